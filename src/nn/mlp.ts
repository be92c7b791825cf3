// The paper's fully connected network (Appendix D: 3 hidden ReLU layers of width 4096 and a linear
// softmax layer), at any depth and width. Parameters: layers.{i}.weight [in, out], layers.{i}.bias.

import type { FloatDType, Tensor } from '../graph/index.ts';
import type { HostTensor } from '../graph/index.ts';
import type { Rng } from '../util/random.ts';
import { normalTensor, zerosTensor, type Model, type Params } from './model.ts';

interface Layer<L> { weight: L; bias: L }
type MlpParams<L> = { layers: Layer<L>[] };

export function mlp(inputShape: readonly number[], numClasses: number, width: number, depth: number): Model {
  const inputs = inputShape.reduce((a, b) => a * b, 1);
  const sizes = [inputs, ...Array<number>(depth).fill(width), numClasses];
  return {
    name: `mlp:${width}x${depth}`,
    inputShape,
    numClasses,
    init(rng: Rng, dtype: FloatDType): Params<HostTensor> {
      const layers = sizes.slice(1).map((out, i) => {
        const fanIn = sizes[i]!;
        // He initialisation for ReLU layers; the softmax layer gets variance 1/fan_in.
        const std = i < depth ? Math.sqrt(2 / fanIn) : Math.sqrt(1 / fanIn);
        return { weight: normalTensor(rng, [fanIn, out], std, dtype), bias: zerosTensor([out], dtype) };
      });
      return { layers };
    },
    apply(params: Params<Tensor>, x: Tensor): Tensor {
      const { layers } = params as unknown as MlpParams<Tensor>;
      let h = x.rank > 2 ? x.flatten(1) : x;
      layers.forEach((layer, i) => {
        h = h.matmul(layer.weight).add(layer.bias);
        if (i < layers.length - 1) h = h.relu();
      });
      return h;
    },
    forwardFlopsPerExample: () => sizes.slice(1).reduce((f, out, i) => f + 2 * sizes[i]! * out, 0),
  };
}
