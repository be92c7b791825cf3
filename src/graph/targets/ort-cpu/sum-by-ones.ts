// Sums over leading axes as a product with a row of ones: ORT's ReduceSum over a leading axis ran
// at ~1.5 G elements/s, its MatMul at GEMM speed (docs/performance.md, "Sums").

import type { LoweringOverride } from '../../lower.ts';
import type { LowerCtx } from '../../primitives.ts';
import { normAxis, type Shape } from '../../types.ts';
import { SUM_BY_ONES_MIN_ELEMENTS } from './tuning.ts';

/** Σ over the leading `lead` elements' axes of float `x`, as ones[1, lead]·x[lead, rest], shaped `shape`. */
export function sumLeadingAxes(ctx: LowerCtx, x: string, lead: number, shape: Shape, dtype: 'float32' | 'float64'): string {
  const rest = shape.reduce((a, b) => a * b, 1);
  const ones = ctx.constant(dtype, [1, lead], dtype === 'float32' ? new Float32Array(lead).fill(1) : new Float64Array(lead).fill(1), `ones ${lead}`);
  return ctx.node('Reshape', [ctx.node('MatMul', [ones, ctx.node('Reshape', [x, ctx.int64s([lead, rest])])]), ctx.int64s(shape as number[])]);
}

/** A float sum over leading axes ([L, …] → […]) of at least SUM_BY_ONES_MIN_ELEMENTS elements. */
export const sumByOnes: LoweringOverride<'sum'> = (ctx, [x], p, { inputs, out }) => {
  const xs = inputs[0]!.shape;
  const axes = p.axes.map((a) => normAxis(a, xs.length, 'reduce')).sort((a, b) => a - b);
  const lead = axes.reduce((n, a) => n * xs[a]!, 1);
  const rest = xs.slice(axes.length).reduce((n, d) => n * d, 1);
  const leading = axes.every((a, i) => a === i) && lead > 1 && rest > 1;
  if (!leading || lead * rest < SUM_BY_ONES_MIN_ELEMENTS || (out.dtype !== 'float32' && out.dtype !== 'float64')) return undefined;
  return sumLeadingAxes(ctx, x!, lead, out.shape, out.dtype);
};
