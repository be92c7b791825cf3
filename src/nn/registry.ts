// The model families sgdlab builds, as one name-keyed table: `--model FAMILY:ARGS`, the CLI's help,
// the errors and the memory preflight's size formula come from it. A new family is a model file, one
// entry here, and one row in the model tests.

import { mlp } from './mlp.ts';
import { wideResNet } from './wrn.ts';
import type { Model } from './model.ts';
import { UserError } from '../util/user-error.ts';

export class ModelSpecError extends UserError {
  override name = 'ModelSpecError';
}

/** Parameters and per-example activations of a model, by formula (nothing is allocated). */
export interface ModelSize {
  params: number;
  activations: number;
}

export interface ModelFamily<Args = unknown> {
  /** The spec's form and an example, for help and errors: "mlp:WIDTHxDEPTH", "mlp:4096x3". */
  syntax: string;
  example: string;
  /** The arguments from the part after "family:", or a one-line ModelSpecError naming `spec`. */
  parse(args: string, spec: string): Args;
  /** A model for inputs of the given per-example shape, or a one-line ModelSpecError naming `spec`. */
  build(args: Args, spec: string, inputShape: readonly number[], numClasses: number): Model;
  /** Its size by formula, for the memory preflight (src/train/preflight.ts); undefined where build would refuse. */
  size(args: Args, inputShape: readonly number[], numClasses: number): ModelSize | undefined;
}

/** A table entry with its argument type checked, stored under the table's common type. */
const family = <Args>(f: ModelFamily<Args>): ModelFamily<Args> => f;

export const MODELS = {
  mlp: family({
    syntax: 'mlp:WIDTHxDEPTH',
    example: 'mlp:4096x3',
    parse(args, spec) {
      const m = /^(\d+)x(\d+)$/.exec(args);
      if (!m) throw new ModelSpecError(`--model ${spec}: expected mlp:WIDTHxDEPTH, e.g. mlp:4096x3`);
      const [width, depth] = [Number(m[1]), Number(m[2])];
      if (width < 1) throw new ModelSpecError(`--model ${spec}: width must be ≥ 1`);
      return { width, depth };
    },
    build: ({ width, depth }, _spec, inputShape, numClasses) => mlp(inputShape, numClasses, width, depth),
    size({ width, depth }, inputShape, numClasses) {
      const inputs = inputShape.reduce((a, b) => a * b, 1);
      // The depth is capped so that a hostile spec cannot allocate the list: the estimate is already far past any limit.
      const sizes = [inputs, ...Array<number>(Math.min(depth, 1e6)).fill(width), numClasses];
      let params = 0;
      for (let i = 1; i < sizes.length; i++) params += (sizes[i - 1]! + 1) * sizes[i]!;
      return { params, activations: sizes.reduce((a, b) => a + 2 * b, 0) };
    },
  }),
  wrn: family({
    syntax: 'wrn:DEPTH-K',
    example: 'wrn:16-4',
    parse(args, spec) {
      const w = /^(\d+)-(\d+)$/.exec(args);
      if (!w) throw new ModelSpecError(`--model ${spec}: expected wrn:DEPTH-K, e.g. wrn:16-4`);
      const [depth, k] = [Number(w[1]), Number(w[2])];
      if ((depth - 4) % 6 !== 0 || depth < 10 || k < 1) throw new ModelSpecError(`--model ${spec}: Wide-ResNet depth must be 6n+4 (10, 16, 22, …) and k ≥ 1`);
      return { depth, k };
    },
    build({ depth, k }, spec, inputShape, numClasses) {
      if (inputShape.length !== 3) throw new ModelSpecError(`--model ${spec}: needs image data [C,H,W]; this data set has examples of shape [${inputShape}]`);
      return wideResNet(inputShape, numClasses, depth, k);
    },
    size({ depth, k }, inputShape, numClasses) {
      if (inputShape.length !== 3) return undefined;
      const perStage = (depth - 4) / 6;
      const [c, h, wd] = inputShape as [number, number, number];
      let params = 16 * c * 9;
      // Every conv output is kept for the backward pass, with its ReLU and the im2col buffer (9×).
      let activations = 16 * h * wd * 11;
      let cin = 16;
      let [hh, ww] = [h, wd];
      [16 * k, 32 * k, 64 * k].forEach((cout, stage) => {
        for (let b = 0; b < perStage; b++) {
          if (b === 0 && stage > 0) [hh, ww] = [Math.ceil(hh / 2), Math.ceil(ww / 2)];
          params += cout * cin * 9 + cout * cout * 9 + 1 + (cin !== cout ? cout * cin : 0);
          activations += 2 * cout * hh * ww * 11;
          cin = cout;
        }
      });
      return { params: params + (64 * k + 1) * numClasses, activations };
    },
  }),
} satisfies Record<string, ModelFamily>;

export type ModelFamilyName = keyof typeof MODELS;

/** "mlp:WIDTHxDEPTH (e.g. mlp:4096x3) | wrn:DEPTH-K (e.g. wrn:16-4)": the CLI's help and the unknown-model error. */
export const MODEL_SYNTAX = Object.values(MODELS).map((f) => `${f.syntax} (e.g. ${f.example})`).join(' | ');

/** The family of a spec and the arguments it parses to; an unknown family is a one-line ModelSpecError listing the table. */
function parseSpec(spec: string): { family: ModelFamily; args: unknown } {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  if (!Object.hasOwn(MODELS, name)) throw new ModelSpecError(`--model ${spec}: unknown model (expected ${MODEL_SYNTAX})`);
  const family = MODELS[name as ModelFamilyName] as ModelFamily;
  return { family, args: family.parse(spec.slice(colon + 1), spec) };
}

/** Build a model from its spec for inputs of a given per-example shape. */
export function buildModel(spec: string, inputShape: readonly number[], numClasses: number): Model {
  const { family, args } = parseSpec(spec);
  return family.build(args, spec, inputShape, numClasses);
}

/** A spec's size by its family's formula; undefined for a spec buildModel would refuse (it names the problem). */
export function modelSize(spec: string, inputShape: readonly number[], numClasses: number): ModelSize | undefined {
  let parsed: { family: ModelFamily; args: unknown };
  try {
    parsed = parseSpec(spec);
  } catch (error) {
    if (error instanceof ModelSpecError) return undefined;
    throw error;
  }
  return parsed.family.size(parsed.args, inputShape, numClasses);
}
