// What a primitive's rules are (the vocabulary itself is primitive-params.ts). Each family module under
// prims/ gives, per primitive, a shape rule, a derivative rule (in traced ops) and an ONNX lowering.

import type { GraphProto } from './onnx-types.ts';
import type { DType, Aval, Shape } from './types.ts';
import type { HostArray, Tensor } from './tensor.ts';
import type { PrimitiveName, PrimitiveParams } from './primitive-params.ts';

export interface Rule<P extends PrimitiveName> {
  /** Output shape and dtype, or a GraphError naming the primitive and the offending shapes. */
  abstractEval(inputs: readonly Aval[], params: PrimitiveParams[P]): Aval;
  /** Cotangents of the inputs from the output's cotangent, in traced ops; null means zero. */
  vjp(ct: Tensor, inputs: readonly Tensor[], params: PrimitiveParams[P], out: Tensor): (Tensor | null)[];
  /** Emit ONNX nodes computing the output from the named inputs; returns the output's name. */
  lower(ctx: LowerCtx, inputs: string[], params: PrimitiveParams[P], node: { inputs: readonly Tensor[]; out: Tensor }): string;
}

export type RuleTable<P extends PrimitiveName> = { [K in P]: Rule<K> };

export type AttrValue = number | number[] | string | { float: number } | { graph: GraphProto };

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
