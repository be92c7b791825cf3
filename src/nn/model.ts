// What a model is to the rest of sgdlab: named parameters in a plain nested object, an initialiser
// on the host, and a traced forward pass from a batch to logits.

import type { FloatDType, Tensor, Tree } from '../graph/index.ts';
import { HostTensor } from '../graph/index.ts';
import type { Rng } from '../util/random.ts';

/** Parameters: nested objects/arrays; the leaf paths ("layers.0.weight") are their stable names. */
export type Params<L> = Tree<L>;

export interface Model {
  /** The spec it was built from, e.g. "mlp:1024x3" or "wrn:16-4". */
  readonly name: string;
  /** Shape of one input example, e.g. [784] or [3, 32, 32]. */
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** He-initialised parameters (SkipInit gates at 0) on the host. */
  init(rng: Rng, dtype: FloatDType): Params<HostTensor>;
  /** Logits [batch, classes] for a batch of inputs [batch, ...inputShape]. */
  apply(params: Params<Tensor>, x: Tensor): Tensor;
  /** Multiply-adds ×2 of one forward pass for one example (for GFLOP/s in benchmarks). */
  forwardFlopsPerExample(): number;
}

/** A tensor of i.i.d. N(0, std²) values (He initialisation uses std = √(2 / fan_in)). */
export function normalTensor(rng: Rng, shape: number[], std: number, dtype: FloatDType): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
  return new HostTensor(data, shape);
}

export function zerosTensor(shape: number[], dtype: FloatDType): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new HostTensor(dtype === 'float64' ? new Float64Array(n) : new Float32Array(n), shape);
}
