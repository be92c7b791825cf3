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

/**
 * What the verdict's number is, printed: the exponent with its interval, the optimum's 90% set, or the spread.
 * A part the rule did not reach (no set or interval from points of one run, no value from too few points) is left out.
 */
export function formatMeasure(r: { kind: string; exponent?: number; value?: number; interval?: [number, number]; set?: number[]; quality?: number }): string {
  if (r.kind === 'collapse') return `c = ${formatInterval(r.exponent ?? NaN, r.interval)}${r.quality !== undefined && Number.isFinite(r.quality) ? `, quality ${r.quality.toFixed(2)}` : ''}`;
  const known = r.value !== undefined && Number.isFinite(r.value);
  const setText = (show: (v: number) => string): string => (r.set ? `, 90% set {${r.set.map(show).join(', ')}}` : '');
  if (r.kind === 'optimum') return `best ${known ? formatPower(r.value!) : '—'}${setText(formatPower)}`;
  if (r.kind === 'ratio') return `ratio ${known ? formatPower(2 ** r.value!) : '—'}${setText((v) => formatPower(2 ** v))}`;
  const g = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : '—');
  const between = (show: (v: number | undefined) => string): string => (r.interval ? ` [${show(r.interval[0])}, ${show(r.interval[1])}]` : '');
  if (r.kind === 'trend') return `slope ${g(r.value)} per doubling${between(g)}`;
  if (r.kind === 'difference') return `a − b = ${g(r.value)}${between(g)}`;
  const points = (v: number): string => (Number.isFinite(v) ? (100 * v).toFixed(2) : '—');
  return `spread ${known ? formatScoreDifference(r.value!) : '—'}${r.interval ? ` [${points(r.interval[0])}, ${points(r.interval[1])} points]` : ''}`;
}

/** One verdict on one line, as `sgdlab report` and `sgdlab sweep show` print it. */
export function verdictLine(r: { claim: string; rule: ScoreRule; kind: string; verdict: string; falseRate: number; exponent?: number; value?: number; interval?: [number, number]; set?: number[]; quality?: number }): string {
  return `${r.claim} [${RULE_NAMES[r.rule]}]: ${formatMeasure(r)}; ${r.verdict} (false rate on shuffled scores ${formatRate(r.falseRate)})`;
}
