// Matrix multiplication with numpy semantics for the batch axes (rank ≥ 2 on both sides).
// d(AB) = dA·B + A·dB, so the cotangents are matmuls against transposes.

import type { RuleTable } from '../primitives.ts';
import { opOf, type Tensor } from '../tensor.ts';
import { unbroadcast } from '../unbroadcast.ts';
import { GraphError, broadcastShapes, fmtShape } from '../types.ts';

export type LinalgPrimitive = 'matmul';

/** At most this many rows of `a` for a·Wᵀ to lower as (W·aᵀ)ᵀ (see below). */
export const FEW_ROWS = 32;
/** At least this many entries of W for it (smaller W: no measured gain). */
export const LARGE_MATRIX = 1 << 18;

/**
 * a·Wᵀ with few rows in a against a large W (a small batch's input gradient, g·Wᵀ): MLAS's SGEMM
 * packs its whole right operand on every call and reads a row-major left operand in place, so
 * (W·aᵀ)ᵀ, the large matrix on the left, runs up to twice as fast (a·Wᵀ → (W·aᵀ)ᵀ, ms:
 * [16, 4096]·[4096, 4096]ᵀ 4.9 → 3.0, [32, 4096]·… 5.2 → 3.6, [16, 1024]·[1024, 1024]ᵀ 0.17 → 0.15;
 * no clear gain from 64 rows up: [64, 1024]·… 0.47 → 0.41–0.47, [128, 1024]·… 0.87 → 0.87).
 */
function fewRowsAgainstTransposed(a: Tensor, b: Tensor): boolean {
  return a.rank === 2 && b.rank === 2 && opOf(b)?.prim === 'transpose' && a.shape[0]! <= FEW_ROWS && b.size >= LARGE_MATRIX;
}

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
    lower: (ctx, [a, b], _p, { inputs: [ta, tb] }) => {
      if (!fewRowsAgainstTransposed(ta!, tb!)) return ctx.node('MatMul', [a!, b!]);
      // Transpose(b) is W again: ONNX Runtime's optimiser cancels the pair and reads W in place.
      const w = ctx.node('Transpose', [b!], { perm: [1, 0] });
      return ctx.node('Transpose', [ctx.node('MatMul', [w, ctx.node('Transpose', [a!], { perm: [1, 0] })])], { perm: [1, 0] });
    },
  },
};
