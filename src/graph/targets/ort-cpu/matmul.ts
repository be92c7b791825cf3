// a·Wᵀ with few rows in a against a large W (a small batch's input gradient, g·Wᵀ) as (W·aᵀ)ᵀ: MLAS
// packs its whole right operand on every call and reads a row-major left operand in place, so the
// large matrix goes on the left (up to 2× faster; docs/performance.md, "Matrix products").

import type { LoweringOverride } from '../../lower.ts';
import { opOf } from '../../tensor.ts';
import { FEW_ROWS, LARGE_MATRIX } from './tuning.ts';

export const transposedFewRows: LoweringOverride<'matmul'> = (ctx, [a, b], _p, { inputs: [ta, tb] }) => {
  if (!(ta!.rank === 2 && tb!.rank === 2 && opOf(tb!)?.prim === 'transpose' && ta!.shape[0]! <= FEW_ROWS && tb!.size >= LARGE_MATRIX)) return undefined;
  // Transpose(b) is W again: ONNX Runtime's optimiser cancels the pair and reads W in place.
  const w = ctx.node('Transpose', [b!], { perm: [1, 0] });
  return ctx.node('Transpose', [ctx.node('MatMul', [w, ctx.node('Transpose', [a!], { perm: [1, 0] })])], { perm: [1, 0] });
};
