// The modified loss a run follows, written out with the live values of its terms: SGD's implicit
// regularizer (Eq. 1/20; Eq. 11 for full batch; Eq. 39 for n-step) plus the explicit one (Sec. 2.3).

import type { SamplerKind } from '../data/samplers.ts';
import { formatSetting, type RunSettings } from './settings.ts';

export interface Formula {
  /** The law, symbols only. */
  symbolic: string;
  /** The same with today's numbers substituted, and its value. */
  numeric: string;
  value: number;
  /** Where the law comes from, or why it is only approximate for this run. */
  note: string;
}

const fmt = (x: number): string => (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(3));

/**
 * C̃ = C + (α + λ)·C_reg with C_reg = (1/4m)Σ_k||∇Ĉ_k||²: α = ε for SGD (Eq. 20, ε/4m · Σ), the bare
 * rate α = ε/n for n-step SGD (Eq. 39), and λ the explicit coefficient (C_mod = C + λ·C_reg).
 */
export function modifiedLoss(run: RunSettings, sampler: SamplerKind, m: number, values: { c?: number; cReg?: number }): Formula {
  const alpha = run.lr;
  const coefficient = alpha + run.lambda;
  const implicit = run.nStep > 1 ? `(ε/4mn)Σₖ‖∇Ĉₖ‖²` : sampler === 'full' ? `(ε/4)‖∇C‖²` : `(ε/4m)Σₖ‖∇Ĉₖ‖²`;
  const explicit = run.lambda > 0 ? ` + (λ/4m)Σₖ‖∇Ĉₖ‖²` : '';
  const symbolic = `C̃ = C + ${implicit}${explicit} = C + ${run.lambda > 0 ? `(${run.nStep > 1 ? 'ε/n' : 'ε'} + λ)` : run.nStep > 1 ? '(ε/n)' : 'ε'}·C_reg`;
  const c = values.c ?? NaN;
  const cReg = values.cReg ?? NaN;
  const value = c + coefficient * cReg;
  const rate = run.nStep > 1 ? `${formatSetting(run.lr * run.nStep)}/${run.nStep}` : formatSetting(run.lr);
  const numeric = `= ${fmt(c)} + ${run.lambda > 0 ? `(${rate} + ${formatSetting(run.lambda)})` : rate}·${fmt(cReg)} = ${fmt(value)}`;
  const notes: string[] = [];
  if (run.lambda > 0) notes.push(`trains on C_mod = C + λ·C_reg (${run.regGrad === 'exact' ? 'double backprop' : 'finite-difference Hessian-vector product'}); SGD adds its own ε·C_reg`);
  if (sampler === 'full') notes.push('full batch: m = 1, C_reg = ‖∇C‖²/4 (Eq. 11)');
  else if (run.nStep > 1) notes.push(`n-step SGD: the regularizer scales with α = ε/n, not ε (Eq. 39)${Number.isFinite(m) ? `, m = ${m}` : ''}`);
  else notes.push(`${Number.isFinite(m) ? `m = ${m}` : 'm ='} batches per epoch (Eq. 20)`);
  if (sampler === 'with-replacement') notes.push('Eq. 20 assumes every example once per epoch; batches drawn with replacement add noise it leaves out');
  if (sampler === 'fixed') notes.push('one fixed batch order: the order-dependent O(ε²) term is not averaged away');
  return { symbolic, numeric, value, note: notes.join('; ') };
}
