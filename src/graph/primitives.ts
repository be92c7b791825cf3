// The primitive vocabulary: every name and its static parameters. Each family module under
// prims/ gives, per primitive, a shape rule, a derivative rule (in traced ops) and an ONNX lowering.

import type onnxProto from 'onnx-proto';
import type { DType, Aval, Shape } from './types.ts';
import type { HostArray, Tensor } from './tensor.ts';

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

export interface Rule<P extends PrimitiveName> {
  /** Output shape and dtype, or a GraphError naming the primitive and the offending shapes. */
  abstractEval(inputs: readonly Aval[], params: PrimitiveParams[P]): Aval;
  /** Cotangents of the inputs from the output's cotangent, in traced ops; null means zero. */
  vjp(ct: Tensor, inputs: readonly Tensor[], params: PrimitiveParams[P], out: Tensor): (Tensor | null)[];
  /** Emit ONNX nodes computing the output from the named inputs; returns the output's name. */
  lower(ctx: LowerCtx, inputs: string[], params: PrimitiveParams[P], node: { inputs: readonly Tensor[]; out: Tensor }): string;
}

export type RuleTable<P extends PrimitiveName> = { [K in P]: Rule<K> };

export type AttrValue = number | number[] | string | { float: number } | { graph: onnxProto.onnx.IGraphProto };

/** What a primitive's lowering may do: add nodes and small constants to the graph being built. */
export interface LowerCtx {
  /** `domain`: an operator set other than ONNX's own (it is declared in the model's imports). */
  node(op: string, inputs: string[], attrs?: Record<string, AttrValue>, domain?: string): string;
  int64s(values: readonly number[]): string;
  scalar(value: number, dtype: DType): string;
  /** A constant tensor of the model (an initializer); `key` names its content, for sharing. */
  constant(dtype: DType, shape: Shape, data: HostArray, key?: string): string;
  onnxType(dtype: DType): number;
}
