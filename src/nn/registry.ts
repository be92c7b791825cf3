// The model families sgdlab builds, as one name-keyed table: `--model FAMILY:ARGS`, the CLI's help and
// the errors come from it. A new family is a model file, one entry here, and one row in the model tests.

import { mlp } from './mlp.ts';
import { wideResNet } from './wrn.ts';
import type { Model } from './model.ts';

export class ModelSpecError extends Error {
  override name = 'UsageError';
}

export interface ModelFamily {
  /** The spec's form and an example, for help and errors: "mlp:WIDTHxDEPTH", "mlp:4096x3". */
  syntax: string;
  example: string;
  /** A model from the part after "family:", or a one-line ModelSpecError naming `spec`. */
  build(args: string, spec: string, inputShape: readonly number[], numClasses: number): Model;
}

export const MODELS = {
  mlp: {
    syntax: 'mlp:WIDTHxDEPTH',
    example: 'mlp:4096x3',
    build(args, spec, inputShape, numClasses) {
      const m = /^(\d+)x(\d+)$/.exec(args);
      if (!m) throw new ModelSpecError(`--model ${spec}: expected mlp:WIDTHxDEPTH, e.g. mlp:4096x3`);
      const [width, depth] = [Number(m[1]), Number(m[2])];
      if (width < 1) throw new ModelSpecError(`--model ${spec}: width must be ≥ 1`);
      return mlp(inputShape, numClasses, width, depth);
    },
  },
  wrn: {
    syntax: 'wrn:DEPTH-K',
    example: 'wrn:16-4',
    build(args, spec, inputShape, numClasses) {
      const w = /^(\d+)-(\d+)$/.exec(args);
      if (!w) throw new ModelSpecError(`--model ${spec}: expected wrn:DEPTH-K, e.g. wrn:16-4`);
      const [depth, k] = [Number(w[1]), Number(w[2])];
      if ((depth - 4) % 6 !== 0 || depth < 10 || k < 1) throw new ModelSpecError(`--model ${spec}: Wide-ResNet depth must be 6n+4 (10, 16, 22, …) and k ≥ 1`);
      if (inputShape.length !== 3) throw new ModelSpecError(`--model ${spec}: needs image data [C,H,W]; this data set has examples of shape [${inputShape}]`);
      return wideResNet(inputShape, numClasses, depth, k);
    },
  },
} satisfies Record<string, ModelFamily>;

export type ModelFamilyName = keyof typeof MODELS;

/** "mlp:WIDTHxDEPTH (e.g. mlp:4096x3) | wrn:DEPTH-K (e.g. wrn:16-4)": the CLI's help and the unknown-model error. */
export const MODEL_SYNTAX = Object.values(MODELS).map((f) => `${f.syntax} (e.g. ${f.example})`).join(' | ');

/** Build a model from its spec for inputs of a given per-example shape. */
export function buildModel(spec: string, inputShape: readonly number[], numClasses: number): Model {
  const colon = spec.indexOf(':');
  const family = colon < 0 ? spec : spec.slice(0, colon);
  if (!Object.hasOwn(MODELS, family)) throw new ModelSpecError(`--model ${spec}: unknown model (expected ${MODEL_SYNTAX})`);
  return (MODELS[family as ModelFamilyName] as ModelFamily).build(spec.slice(colon + 1), spec, inputShape, numClasses);
}
