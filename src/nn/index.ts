// Models, losses and the parsing of model specs such as "mlp:4096x3" and "wrn:16-4".

import { mlp } from './mlp.ts';
import { wideResNet } from './wrn.ts';
import type { Model } from './model.ts';

export { mlp } from './mlp.ts';
export { wideResNet } from './wrn.ts';
export { crossEntropy, correctCount, l2Penalty, isDecayed } from './loss.ts';
export { normalTensor, zerosTensor, type Model, type Params } from './model.ts';

export class ModelSpecError extends Error {
  override name = 'UsageError';
}

/** Build a model from its spec for inputs of a given per-example shape. */
export function buildModel(spec: string, inputShape: readonly number[], numClasses: number): Model {
  const m = /^mlp:(\d+)x(\d+)$/.exec(spec);
  if (m) {
    const [width, depth] = [Number(m[1]), Number(m[2])];
    if (width < 1 || depth < 0) throw new ModelSpecError(`--model ${spec}: width must be ≥ 1`);
    return mlp(inputShape, numClasses, width, depth);
  }
  const w = /^wrn:(\d+)-(\d+)$/.exec(spec);
  if (w) {
    const [depth, k] = [Number(w[1]), Number(w[2])];
    if ((depth - 4) % 6 !== 0 || depth < 10 || k < 1) throw new ModelSpecError(`--model ${spec}: Wide-ResNet depth must be 6n+4 (10, 16, 22, …) and k ≥ 1`);
    if (inputShape.length !== 3) throw new ModelSpecError(`--model ${spec}: needs image data [C,H,W]; this data set has examples of shape [${inputShape}]`);
    return wideResNet(inputShape, numClasses, depth, k);
  }
  throw new ModelSpecError(`--model ${spec}: unknown model (expected mlp:WIDTHxDEPTH, e.g. mlp:4096x3, or wrn:DEPTH-K, e.g. wrn:16-4)`);
}
