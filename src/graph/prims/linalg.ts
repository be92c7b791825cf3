// Matrix multiplication with numpy semantics for the batch axes (rank ≥ 2 on both sides).
// d(AB) = dA·B + A·dB, so the cotangents are matmuls against transposes.

import type { RuleTable } from '../primitives.ts';
import { unbroadcast } from '../unbroadcast.ts';
import { GraphError, broadcastShapes, fmtShape } from '../types.ts';

export type LinalgPrimitive = 'matmul';

export const linalgRules: RuleTable<LinalgPrimitive> = {
  matmul: {
    abstractEval: ([a, b]) => {
      const [sa, sb] = [a!.shape, b!.shape];
      if (a!.dtype !== b!.dtype) throw new GraphError(`matmul: dtype mismatch ${a!.dtype} vs ${b!.dtype}`);
      if (sa.length < 2 || sb.length < 2) throw new GraphError(`matmul: needs rank ≥ 2, got ${fmtShape(sa)} and ${fmtShape(sb)}`);
      if (sa[sa.length - 1] !== sb[sb.length - 2]) {
        throw new GraphError(`matmul: inner dimensions differ in ${fmtShape(sa)} and ${fmtShape(sb)}`);
      }
      const batch = broadcastShapes('matmul', sa.slice(0, -2), sb.slice(0, -2));
      return { dtype: a!.dtype, shape: [...batch, sa[sa.length - 2]!, sb[sb.length - 1]!] };
    },
    vjp: (g, [a, b]) => [unbroadcast(g.matmul(b!.T), a!.shape), unbroadcast(a!.T.matmul(g), b!.shape)],
    lower: (ctx, [a, b]) => ctx.node('MatMul', [a!, b!]),
  },
};
