// Free-function operations and the composites built from primitives (no neural-network code here:
// that lives in src/nn). Everything is differentiable to any order through its primitives.

import { bind, constant, lift, type Tensor, type TensorLike } from './tensor.ts';
import { conv2d as conv2dPrimitive } from './prims/conv.ts';
import { concat as concatPrimitive } from './prims/shape.ts';
import { GraphError, fmtShape, type DType } from './types.ts';

export const add = (a: Tensor, b: TensorLike) => a.add(b);
export const sub = (a: Tensor, b: TensorLike) => a.sub(b);
export const mul = (a: Tensor, b: TensorLike) => a.mul(b);
export const div = (a: Tensor, b: TensorLike) => a.div(b);
export const maximum = (a: Tensor, b: TensorLike) => a.maximum(b);
export const matmul = (a: Tensor, b: Tensor) => a.matmul(b);

/** Elementwise select: cond ? a : b, with broadcasting. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const like = typeof a === 'number' ? (typeof b === 'number' ? constant(0) : b) : a;
  return bind('where', [cond, lift(a, like), lift(b, like)], {});
}

export const concat = (xs: Tensor[], axis = 0): Tensor => concatPrimitive(xs, axis);

export interface Conv2dOptions {
  stride?: number | [number, number];
  /** Symmetric padding per spatial axis, or [top, left, bottom, right]; 'same' for odd kernels at stride 1. */
  padding?: number | [number, number] | [number, number, number, number] | 'same';
}

/** 2-D convolution, NCHW input and OIHW weight, no bias. */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  const s = options.stride ?? 1;
  const stride: [number, number] = typeof s === 'number' ? [s, s] : s;
  const p = options.padding ?? 0;
  let padding: [number, number, number, number];
  if (p === 'same') {
    const [kh, kw] = [w.shape[2]!, w.shape[3]!];
    if (kh % 2 === 0 || kw % 2 === 0) throw new GraphError(`conv2d: padding 'same' needs an odd kernel, got ${fmtShape(w.shape)}`);
    padding = [(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2];
  } else if (typeof p === 'number') padding = [p, p, p, p];
  else if (p.length === 2) padding = [p[0], p[1], p[0], p[1]];
  else padding = p;
  return conv2dPrimitive(x, w, { stride, padding });
}

/** Non-overlapping average pooling with a k×k window (k divides the spatial size). */
export function avgPool2d(x: Tensor, k: number): Tensor {
  const [n, c, h, w] = x.shape;
  if (x.rank !== 4 || h! % k !== 0 || w! % k !== 0) {
    throw new GraphError(`avgPool2d: window ${k} does not tile input ${fmtShape(x.shape)}`);
  }
  return x.reshape([n!, c!, h! / k, k, w! / k, k]).mean([3, 5]);
}

/** Mean over the spatial axes of an NCHW tensor: [N, C, H, W] → [N, C]. */
export const globalAvgPool = (x: Tensor): Tensor => x.mean([2, 3]);

/** One-hot rows for integer labels: [..] → [.., classes], by comparing with 0..classes-1. */
export function oneHot(labels: Tensor, classes: number, dtype: DType = 'float32'): Tensor {
  if (labels.dtype !== 'int32' && labels.dtype !== 'int64') throw new GraphError(`oneHot: labels must be int32 or int64, got ${labels.dtype}`);
  const range = constant([...Array(classes).keys()], [classes], labels.dtype);
  return labels.expandDims(-1).equal(range).cast(dtype);
}

/** log Σ exp along an axis, stable: the max is taken out and does not carry a derivative. */
export function logSumExp(x: Tensor, axis = -1, keepdims = false): Tensor {
  const m = x.max(axis, true).stopGradient();
  const out = x.sub(m).exp().sum(axis, true).log().add(m);
  return keepdims ? out : out.reshape(out.shape.filter((_, i) => i !== (axis < 0 ? axis + x.rank : axis)));
}

/** softplus(x) = log(1 + eˣ), computed as max(x, 0) + log(1 + e^-|x|) to stay finite. */
export const softplus = (x: Tensor): Tensor => x.relu().add(x.abs().neg().exp().add(1).log());

/** σ(x) = 1 / (1 + e^-x). */
export const sigmoid = (x: Tensor): Tensor => x.neg().exp().add(1).pow(-1);

/** Squared Euclidean norm of one tensor. */
export const sumOfSquares = (x: Tensor): Tensor => x.mul(x).sum();
