// Shape primitives: reshape, transpose, broadcast, step-1 slice, zero pad, concat. All linear;
// each one's derivative is another of them (slice ↔ pad, broadcast ↔ sum, concat → slices).

import type { RuleTable } from '../primitives.ts';
import { bind } from '../tensor.ts';
import { unbroadcast } from '../unbroadcast.ts';
import { GraphError, fmtShape, normAxis, sizeOf } from '../types.ts';

export type ShapePrimitive = 'reshape' | 'transpose' | 'broadcastTo' | 'slice' | 'pad' | 'concat';

export const shapeRules: RuleTable<ShapePrimitive> = {
  reshape: {
    abstractEval: ([x], { shape }) => {
      if (shape.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(shape) !== sizeOf(x!.shape)) {
        throw new GraphError(`reshape: cannot reshape ${fmtShape(x!.shape)} into ${fmtShape(shape)}`);
      }
      return { dtype: x!.dtype, shape };
    },
    vjp: (g, [x]) => [g.reshape(x!.shape)],
    lower: (ctx, [x], { shape }) => ctx.node('Reshape', [x!, ctx.int64s(shape)]),
  },
  transpose: {
    abstractEval: ([x], { perm }) => {
      const r = x!.shape.length;
      if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
        throw new GraphError(`transpose: [${perm.join(',')}] is not a permutation of the axes of ${fmtShape(x!.shape)}`);
      }
      return { dtype: x!.dtype, shape: perm.map((p) => x!.shape[p]!) };
    },
    vjp: (g, _x, { perm }) => {
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return [g.transpose(inverse)];
    },
    lower: (ctx, ins, { perm }) => ctx.node('Transpose', ins, { perm }),
  },
  broadcastTo: {
    abstractEval: ([x], { shape }) => {
      const lead = shape.length - x!.shape.length;
      const ok = lead >= 0 && x!.shape.every((d, i) => d === 1 || d === shape[lead + i]);
      if (!ok) throw new GraphError(`broadcastTo: cannot broadcast ${fmtShape(x!.shape)} to ${fmtShape(shape)}`);
      return { dtype: x!.dtype, shape };
    },
    vjp: (g, [x]) => [unbroadcast(g, x!.shape)],
    lower: (ctx, [x], { shape }, { inputs }) =>
      sizeOf(shape) === inputs[0]!.size && shape.length === inputs[0]!.rank
        ? ctx.node('Identity', [x!])
        : ctx.node('Expand', [x!, ctx.int64s(shape)]),
  },
  slice: {
    abstractEval: ([x], { starts, ends }) => {
      const s = x!.shape;
      if (starts.length !== s.length || ends.length !== s.length) {
        throw new GraphError(`slice: needs a range per axis of ${fmtShape(s)}`);
      }
      const shape = s.map((d, i) => {
        const [a, b] = [starts[i]!, ends[i]!];
        if (!(0 <= a && a <= b && b <= d)) throw new GraphError(`slice: range [${a},${b}) out of bounds for axis ${i} of ${fmtShape(s)}`);
        return b - a;
      });
      return { dtype: x!.dtype, shape };
    },
    vjp: (g, [x], { starts, ends }) => [g.pad(starts.map((a, i) => [a, x!.shape[i]! - ends[i]!]))],
    lower: (ctx, [x], { starts, ends }, { inputs }) => {
      const axes = starts.map((_, i) => i).filter((i) => starts[i] !== 0 || ends[i] !== inputs[0]!.shape[i]);
      if (axes.length === 0) return ctx.node('Identity', [x!]);
      return ctx.node('Slice', [x!, ctx.int64s(axes.map((i) => starts[i]!)), ctx.int64s(axes.map((i) => ends[i]!)), ctx.int64s(axes)]);
    },
  },
  pad: {
    abstractEval: ([x], { pads }) => {
      if (pads.length !== x!.shape.length || pads.some(([a, b]) => a < 0 || b < 0 || !Number.isInteger(a) || !Number.isInteger(b))) {
        throw new GraphError(`pad: needs non-negative [before, after] per axis of ${fmtShape(x!.shape)}`);
      }
      return { dtype: x!.dtype, shape: x!.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]) };
    },
    vjp: (g, [x], { pads }) => [g.slice(pads.map(([a], i) => [a, a + x!.shape[i]!]))],
    lower: (ctx, [x], { pads }) => {
      if (pads.every(([a, b]) => a === 0 && b === 0)) return ctx.node('Identity', [x!]);
      return ctx.node('Pad', [x!, ctx.int64s([...pads.map(([a]) => a), ...pads.map(([, b]) => b)])]);
    },
  },
  concat: {
    abstractEval: (xs, { axis }) => {
      if (xs.length === 0) throw new GraphError('concat: needs at least one tensor');
      const first = xs[0]!;
      const a = normAxis(axis, first.shape.length, 'concat');
      let total = 0;
      for (const x of xs) {
        if (x.dtype !== first.dtype) throw new GraphError(`concat: dtype mismatch ${first.dtype} vs ${x.dtype}`);
        if (x.shape.length !== first.shape.length || x.shape.some((d, i) => i !== a && d !== first.shape[i])) {
          throw new GraphError(`concat: shapes ${fmtShape(first.shape)} and ${fmtShape(x.shape)} differ off axis ${a}`);
        }
        total += x.shape[a]!;
      }
      return { dtype: first.dtype, shape: first.shape.map((d, i) => (i === a ? total : d)) };
    },
    vjp: (g, xs, { axis }) => {
      const a = normAxis(axis, g.rank, 'concat');
      let offset = 0;
      return xs.map((x) => {
        const ranges = g.shape.map((d, i) => (i === a ? ([offset, offset + x.shape[a]!] as const) : null));
        offset += x.shape[a]!;
        return g.slice(ranges);
      });
    },
    lower: (ctx, ins, { axis }, { out }) => (ins.length === 1 ? ctx.node('Identity', ins) : ctx.node('Concat', ins, { axis: normAxis(axis, out.rank, 'concat') })),
  },
};

/** Concatenate tensors along an axis. */
export const concat = (xs: import('../tensor.ts').Tensor[], axis: number) => bind('concat', xs, { axis });
