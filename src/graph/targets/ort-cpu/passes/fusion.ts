// Pass of the ort-cpu target: fusions that ONNX Runtime does not find by itself, planned on the
// traced program and lowered in place of the sub-expressions they cover.
// The main one is the SGD update of a matmul's weight, W − s·Σ_k A_k·B_k: as a chain of Gemm nodes
// it writes W' directly instead of materialising ∇W, scaling it and subtracting (three passes over
// the parameters less per step, which is what bounds small-batch steps: they are memory bound).
// The other is Σ x², the squared gradient norm of the fd step and of weight decay, as one
// ReduceSumSquare pass instead of a Mul that writes x² and a ReduceSum that reads it back.

import type { FusedNode } from '../../../lower.ts';
import type { LowerCtx } from '../../../primitives.ts';
import { opOf as op, type Tensor } from '../../../tensor.ts';
import { sameShape } from '../../../types.ts';

export interface GemmTerm {
  a: Tensor;
  b: Tensor;
  transA: boolean;
  transB: boolean;
}

/** base − scale · Σ terms (A·B), with every intermediate used only here. */
export interface GemmUpdate {
  base: Tensor;
  scale: Tensor;
  terms: GemmTerm[];
}

/** How many times each tensor is read by the program's nodes or returned as an output. */
function useCounts(order: readonly Tensor[], outputs: readonly Tensor[]): Map<number, number> {
  const uses = new Map<number, number>();
  const bump = (t: Tensor) => uses.set(t.id, (uses.get(t.id) ?? 0) + 1);
  for (const t of order) op(t)?.inputs.forEach(bump);
  outputs.forEach(bump);
  return uses;
}

/** A 2-D matrix or the single-use transpose of one, as a Gemm operand. */
function operand(t: Tensor, once: (t: Tensor) => boolean): { t: Tensor; trans: boolean } {
  const o = op(t);
  if (o?.prim === 'transpose' && t.rank === 2 && once(t)) return { t: o.inputs[0]!, trans: true };
  return { t, trans: false };
}

/** The matmuls summed into `t`, if `t` is nothing but a single-use sum of single-use 2-D matmuls. */
function matmulTerms(t: Tensor, once: (t: Tensor) => boolean): GemmTerm[] | null {
  const o = op(t);
  if (!o || !once(t)) return null;
  if (o.prim === 'add') {
    if (!sameShape(o.inputs[0]!.shape, t.shape) || !sameShape(o.inputs[1]!.shape, t.shape)) return null;
    const left = matmulTerms(o.inputs[0]!, once);
    const right = left && matmulTerms(o.inputs[1]!, once);
    return left && right ? [...left, ...right] : null;
  }
  if (o.prim === 'matmul' && t.rank === 2 && o.inputs[0]!.rank === 2 && o.inputs[1]!.rank === 2) {
    const a = operand(o.inputs[0]!, once);
    const b = operand(o.inputs[1]!, once);
    return [{ a: a.t, b: b.t, transA: a.trans, transB: b.trans }];
  }
  // (A·B)ᵀ = Bᵀ·Aᵀ: second-order terms of a weight's gradient come out transposed.
  if (o.prim === 'transpose' && t.rank === 2) {
    const inner = matmulTerms(o.inputs[0]!, once);
    return inner && inner.length === 1 ? [{ a: inner[0]!.b, b: inner[0]!.a, transA: !inner[0]!.transB, transB: !inner[0]!.transA }] : null;
  }
  return null;
}

/** Σ x² over `axes`: a `sum` of a single-use `mul(x, x)`. */
export interface SquareSum {
  x: Tensor;
  axes: number[];
  keepdims: boolean;
}

/** The `sum` node `t` as Σ x², when it sums a single-use `mul(x, x)`. */
function squareSum(t: Tensor, once: (t: Tensor) => boolean): SquareSum | null {
  const o = op(t);
  if (o?.prim !== 'sum') return null;
  const { axes, keepdims } = o.params as { axes: number[]; keepdims: boolean };
  const square = o.inputs[0]!;
  const m = op(square);
  if (axes.length === 0 || m?.prim !== 'mul' || m.inputs[0] !== m.inputs[1] || !once(square)) return null;
  return { x: m.inputs[0]!, axes: axes.map((a) => (a < 0 ? a + square.rank : a)), keepdims };
}

/** The `sub` node `t` as a Gemm update, when it is base − s·Σ A·B with single-use intermediates. */
function gemmUpdate(t: Tensor, once: (t: Tensor) => boolean): GemmUpdate | null {
  const o = op(t);
  if (o?.prim !== 'sub' || t.rank !== 2 || (t.dtype !== 'float32' && t.dtype !== 'float64')) return null;
  const [base, scaled] = o.inputs as [Tensor, Tensor];
  const m = op(scaled);
  if (!sameShape(base.shape, t.shape) || m?.prim !== 'mul' || !once(scaled)) return null;
  const [x, y] = m.inputs as [Tensor, Tensor];
  const [product, scale] = y.rank === 0 ? [x, y] : x.rank === 0 ? [y, x] : [undefined, undefined];
  if (!product || !scale || !sameShape(product.shape, t.shape)) return null;
  const terms = matmulTerms(product, once);
  return terms && { base, scale, terms };
}

/** A node of the program lowered as fused ONNX nodes instead of its traced sub-expression. */
export type Fusion = { kind: 'gemmUpdate'; update: GemmUpdate } | { kind: 'squareSum'; square: SquareSum };

/** The tensors a fusion reads in place of its sub-expression. */
export const fusionInputs = (f: Fusion): Tensor[] =>
  f.kind === 'gemmUpdate' ? [f.update.base, f.update.scale, ...f.update.terms.flatMap((k) => [k.a, k.b])] : [f.square.x];

/** Which nodes of the program are lowered fused, and how. */
export function planFusions(order: readonly Tensor[], outputs: readonly Tensor[]): Map<number, Fusion> {
  const uses = useCounts(order, outputs);
  const once = (t: Tensor) => uses.get(t.id) === 1;
  const plan = new Map<number, Fusion>();
  for (const t of order) {
    const update = gemmUpdate(t, once);
    if (update) {
      plan.set(t.id, { kind: 'gemmUpdate', update });
      continue;
    }
    const square = squareSum(t, once);
    if (square) plan.set(t.id, { kind: 'squareSum', square });
  }
  return plan;
}

/** The plan as the lowering driver reads it: each fused node with its inputs and its ONNX nodes. */
export function fusedNodes(order: readonly Tensor[], outputs: readonly Tensor[]): Map<number, FusedNode> {
  const nodes = new Map<number, FusedNode>();
  for (const [id, f] of planFusions(order, outputs)) {
    nodes.set(id, { inputs: fusionInputs(f), lower: (ctx, name) => (f.kind === 'gemmUpdate' ? lowerGemmUpdate(ctx, f.update, name) : lowerSquareSum(ctx, f.square, name)) });
  }
  return nodes;
}

/** Opset 17's ReduceSumSquare takes its axes as an attribute. */
function lowerSquareSum(ctx: LowerCtx, { x, axes, keepdims }: SquareSum, name: (t: Tensor) => string): string {
  return ctx.node('ReduceSumSquare', [name(x)], { axes, keepdims: keepdims ? 1 : 0 });
}

/** base − s·Σ A_k·B_k as chained Gemm(A, s·B, C, alpha = −1, beta = 1), scaling the smaller operand. */
function lowerGemmUpdate(ctx: LowerCtx, u: GemmUpdate, name: (t: Tensor) => string): string {
  const s = name(u.scale);
  let acc = name(u.base);
  for (const k of u.terms) {
    let [a, b] = [name(k.a), name(k.b)];
    if (k.a.size <= k.b.size) a = ctx.node('Mul', [a, s]);
    else b = ctx.node('Mul', [b, s]);
    acc = ctx.node('Gemm', [a, b, acc], { alpha: { float: -1 }, beta: { float: 1 }, transA: k.transA ? 1 : 0, transB: k.transB ? 1 : 0 });
  }
  return acc;
}
