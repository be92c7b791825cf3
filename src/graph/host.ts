// Tensors in host memory: what compiled programs take and return. No runtime dependency, so the
// browser playground uses the same class.

import type { Tree } from './pytree.ts';
import type { HostArray, Tensor } from './tensor.ts';
import type { TensorSpec } from './trace.ts';
import { GraphError, fmtShape, sizeOf, type DType, type Shape } from './types.ts';

/** A tensor in host memory: row-major data and its shape. */
export class HostTensor {
  constructor(readonly data: HostArray, readonly shape: Shape) {
    if (data.length !== sizeOf(shape)) throw new GraphError(`HostTensor: ${data.length} values for shape ${fmtShape(shape)}`);
  }
  get dtype(): DType {
    return dtypeOfArray(this.data);
  }
  /** The single value of a scalar (or the first value). */
  item(): number {
    return Number(this.data[0]);
  }
}

export function dtypeOfArray(data: HostArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  return 'bool';
}

/** Host-tensor trees in and out of a compiled program. */
export type HostTree = Tree<HostTensor>;

/**
 * A tree of specs or traced tensors with each leaf as the host tensor that stands for it at run time
 * (HostTree where the type is a whole Tree, whose structure is only known at run time).
 */
export type HostOf<T> = Tree<TensorSpec> extends T ? HostTree : Tree<Tensor> extends T ? HostTree : T extends TensorSpec | Tensor | HostTensor
  ? HostTensor
  : T extends readonly unknown[]
    ? { [K in keyof T]: HostOf<T[K]> }
    : T extends object
      ? { [K in keyof T]: HostOf<T[K]> }
      : never;
