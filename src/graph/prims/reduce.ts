// Reductions over a set of axes, with or without keeping the reduced axes as size 1.
// Their derivatives broadcast the cotangent back over the reduced axes.

import type { RuleTable } from '../primitives.ts';
import type { ReduceParams } from '../primitive-params.ts';
import type { Tensor } from '../tensor.ts';
import { GraphError, normAxis, type Aval } from '../types.ts';

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

export const reduceRules: RuleTable<ReducePrimitive> = {
  sum: {
    abstractEval: ([x], p) => reducedAval('sum', x!, p),
    vjp: (g, [x], p) => [spreadBack(g, x!, p)],
    lower: (ctx, [x], p, { inputs }) => {
      // ReduceSum with no axes would reduce everything: an empty sum is the identity.
      if (p.axes.length === 0) return ctx.node('Identity', [x!]);
      const axes = normalisedAxes(p, inputs[0]!.rank).sort((a, b) => a - b);
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
