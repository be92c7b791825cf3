// Reductions over a set of axes, with or without keeping the reduced axes as size 1.
// Their derivatives broadcast the cotangent back over the reduced axes.

import type { ReduceParams, RuleTable } from '../primitives.ts';
import type { Tensor } from '../tensor.ts';
import type { LowerCtx } from '../lower.ts';
import { GraphError, normAxis, type Aval, type Shape } from '../types.ts';

export type ReducePrimitive = 'sum' | 'max';

function reducedAval(prim: string, x: Aval, { axes, keepdims }: ReduceParams): Aval {
  if (x.dtype === 'bool') throw new GraphError(`${prim}: not defined for bool tensors`);
  const set = new Set(axes.map((a) => normAxis(a, x.shape.length, prim)));
  if (set.size !== axes.length) throw new GraphError(`${prim}: repeated axis in [${axes.join(',')}]`);
  const shape = keepdims ? x.shape.map((d, i) => (set.has(i) ? 1 : d)) : x.shape.filter((_, i) => !set.has(i));
  return { dtype: x.dtype, shape };
}

/** The reduced value or cotangent reshaped with the reduced axes kept, then broadcast to `x`. */
function spreadBack(t: Tensor, x: Aval, { axes }: ReduceParams): Tensor {
  const set = new Set(axes.map((a) => normAxis(a, x.shape.length, 'reduce')));
  return t.reshape(x.shape.map((d, i) => (set.has(i) ? 1 : d))).broadcastTo(x.shape);
}

const normalisedAxes = (p: ReduceParams, rank: number): number[] => p.axes.map((a) => normAxis(a, rank, 'reduce'));

/** Σ over the leading `lead` elements' axes of float `x`, as ones[1, lead]·x[lead, rest], shaped `shape`. */
export function sumLeadingAxes(ctx: LowerCtx, x: string, lead: number, shape: Shape, dtype: 'float32' | 'float64'): string {
  const rest = shape.reduce((a, b) => a * b, 1);
  const ones = ctx.constant(dtype, [1, lead], dtype === 'float32' ? new Float32Array(lead).fill(1) : new Float64Array(lead).fill(1), `ones ${lead}`);
  return ctx.node('Reshape', [ctx.node('MatMul', [ones, ctx.node('Reshape', [x, ctx.int64s([lead, rest])])]), ctx.int64s(shape as number[])]);
}

export const reduceRules: RuleTable<ReducePrimitive> = {
  sum: {
    abstractEval: ([x], p) => reducedAval('sum', x!, p),
    vjp: (g, [x], p) => [spreadBack(g, x!, p)],
    lower: (ctx, [x], p, { inputs, out }) => {
      // ReduceSum with no axes would reduce everything: an empty sum is the identity.
      if (p.axes.length === 0) return ctx.node('Identity', [x!]);
      const xs = inputs[0]!.shape;
      const axes = normalisedAxes(p, xs.length).sort((a, b) => a - b);
      const lead = axes.reduce((n, a) => n * xs[a]!, 1);
      const rest = xs.slice(axes.length).reduce((n, d) => n * d, 1);
      // Large sums over leading axes ([L, …] → […]) as ones[1, L]·[L, T]: ORT's ReduceSum over a
      // leading axis ran at ~1.5 G elements/s (batch 32: [32,192,192] 0.8 ms, [32,384,384] 4.1 ms;
      // the product within 0.01 ms of nothing). Not below 2^18 elements: an MLP's bias gradients
      // ([16,1024] to [128,1024]) measured no faster, and the MLP steps 2–5% slower at batch 16.
      if (axes.every((a, i) => a === i) && lead > 1 && rest > 1 && lead * rest >= 1 << 18 && (out.dtype === 'float32' || out.dtype === 'float64')) {
        return sumLeadingAxes(ctx, x!, lead, out.shape, out.dtype);
      }
      return ctx.node('ReduceSum', [x!, ctx.int64s(axes)], { keepdims: p.keepdims ? 1 : 0 });
    },
  },
  max: {
    abstractEval: ([x], p) => reducedAval('max', x!, p),
    // The cotangent is shared equally among the positions that attain the maximum.
    vjp: (g, [x], p, out) => {
      const mask = x!.equal(spreadBack(out, x!, p)).cast(x!.dtype);
      const count = spreadBack(mask.sum(p.axes, true), x!, p);
      return [spreadBack(g, x!, p).mul(mask).div(count)];
    },
    lower: (ctx, [x], p, { inputs }) => {
      if (p.axes.length === 0) return ctx.node('Identity', [x!]);
      // Opset 17: ReduceMax still takes its axes as an attribute.
      return ctx.node('ReduceMax', [x!], { axes: normalisedAxes(p, inputs[0]!.rank), keepdims: p.keepdims ? 1 : 0 });
    },
  },
};
