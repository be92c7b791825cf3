// The primitive vocabulary: every name and its static parameters. Types only, read by tensor.ts (a node
// records its primitive) and by primitives.ts (what each primitive's rules are).

import type { DType } from './types.ts';

type NoParams = Record<string, never>;
export interface ReduceParams { axes: number[]; keepdims: boolean }
/** stride [sh, sw]; padding [top, left, bottom, right] (ONNX order). */
export interface ConvGeometry { stride: [number, number]; padding: [number, number, number, number] }

export interface PrimitiveParams {
  // elementwise (prims/elementwise.ts)
  add: NoParams; sub: NoParams; mul: NoParams; div: NoParams; maximum: NoParams;
  neg: NoParams; exp: NoParams; log: NoParams; sqrt: NoParams; tanh: NoParams;
  relu: NoParams; abs: NoParams; sign: NoParams; powScalar: { exponent: number };
  less: NoParams; greater: NoParams; equal: NoParams; where: NoParams;
  cast: { dtype: DType }; stopGradient: NoParams; identity: NoParams;
  // reductions (prims/reduce.ts)
  sum: ReduceParams; max: ReduceParams;
  // shape (prims/shape.ts)
  reshape: { shape: number[] }; transpose: { perm: number[] }; broadcastTo: { shape: number[] };
  slice: { starts: number[]; ends: number[] }; pad: { pads: [number, number][] }; concat: { axis: number };
  // linear algebra (prims/linalg.ts)
  matmul: NoParams;
  // convolution (prims/conv.ts): conv2d and its two adjoints, closed under differentiation
  conv2d: ConvGeometry;
  conv2dInputGrad: ConvGeometry & { inputSize: [number, number] };
  conv2dWeightGrad: ConvGeometry & { kernelSize: [number, number] };
  // normalisation (prims/softmax.ts)
  logSoftmax: { axis: number };
}

export type PrimitiveName = keyof PrimitiveParams;
