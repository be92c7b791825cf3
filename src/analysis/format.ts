// How verdicts print: grid values in the paper's powers of two (half powers too: 2^-4.5), score differences in
// points of accuracy, intervals as [lo, hi], and one line per verdict for the CLI.

import type { ScoreRule } from './experiment.ts';

/** 2^-5 → "2^-5", 2^-4.5 → "2^-4.5", 1 → "1", 0 → "0", others with 3 significant digits. */
export function formatPower(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const e = Math.log2(Math.abs(x));
  const half = Math.round(2 * e) / 2;
  if (Math.abs(e - half) < 1e-9 && Math.abs(half) >= 1 && !Number.isInteger(x)) return `${x < 0 ? '-' : ''}2^${half}`;
  if (Number.isInteger(x)) return String(x);
  return Number(x.toPrecision(3)).toString();
}

/** An accuracy difference (0.005) in points (0.50 points). */
export const formatScoreDifference = (d: number): string => `${(100 * d).toFixed(2)} points`;

/** An exponent or its interval, two decimals: "0.35 [0.30, 0.40]". */
export function formatInterval(value: number, interval: readonly [number, number] | undefined): string {
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '—');
  return interval ? `${f(value)} [${f(interval[0])}, ${f(interval[1])}]` : f(value);
}

/** A false rate as a percentage of the permutations. */
export const formatRate = (r: number): string => `${(100 * r).toFixed(0)}%`;

/** The score rules as a table column names them. */
export const RULE_NAMES: Record<ScoreRule, string> = { best: 'best during training', final: 'final' };

/** What the verdict's number is, printed: the exponent with its interval, the optimum's 90% set, or the spread. */
export function formatMeasure(r: { kind: string; exponent?: number; value?: number; interval?: [number, number]; set?: number[]; quality?: number }): string {
  if (r.kind === 'collapse') return `c = ${formatInterval(r.exponent ?? NaN, r.interval)}${r.quality !== undefined && Number.isFinite(r.quality) ? `, quality ${r.quality.toFixed(2)}` : ''}`;
  if (r.kind === 'optimum') return `best ${formatPower(r.value ?? NaN)}, 90% set {${(r.set ?? []).map(formatPower).join(', ')}}`;
  if (r.kind === 'ratio') return `ratio ${formatPower(2 ** (r.value ?? NaN))}, 90% set {${(r.set ?? []).map((v) => formatPower(2 ** v)).join(', ')}}`;
  const g = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : '—');
  if (r.kind === 'trend') return `slope ${g(r.value)} per doubling [${g(r.interval?.[0])}, ${g(r.interval?.[1])}]`;
  if (r.kind === 'difference') return `a − b = ${g(r.value)} [${g(r.interval?.[0])}, ${g(r.interval?.[1])}]`;
  return `spread ${formatScoreDifference(r.value ?? NaN)} [${formatScoreDifference(r.interval?.[0] ?? NaN).replace(' points', '')}, ${formatScoreDifference(r.interval?.[1] ?? NaN)}]`;
}

/** One verdict on one line, as `sgdlab report` and `sgdlab sweep show` print it. */
export function verdictLine(r: { claim: string; rule: ScoreRule; kind: string; verdict: string; falseRate: number; exponent?: number; value?: number; interval?: [number, number]; set?: number[]; quality?: number }): string {
  return `${r.claim} [${RULE_NAMES[r.rule]}]: ${formatMeasure(r)}; ${r.verdict} (false rate on shuffled scores ${formatRate(r.falseRate)})`;
}
