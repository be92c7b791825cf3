// Which way a measured quantity moves: its trend along a grid axis (least-squares slope against log₂ x) and
// the difference between two slices of the grid, each with a 90% bootstrap interval over seeds.
//
// These serve claims about metrics other than the score (the perturbed one-norm N of an Adam run, C_reg): a
// point's value is then the mean over its runs, and a point whose runs mostly diverged has none (it drops out).

import { BOOTSTRAP_SEED, REPLICATES, Rng, quantile, resampleRuns, scorePoints, type Experiment, type ScoreRule } from './experiment.ts';

export type Direction = 'rises' | 'falls';

export interface DirectionResult {
  /** The slope (per doubling of x) or the difference a − b, on the log₂ scale when asked. */
  value: number;
  /** Trend: Spearman's rank correlation of the points' values with x. */
  rankCorrelation?: number;
  /** Its 90% bootstrap interval over seeds. */
  interval: [number, number];
  /** 'rises' when the whole interval is above 0, 'falls' when below, undefined otherwise. */
  direction: Direction | undefined;
}

/** A point's values, on the log₂ scale when asked (a non-positive value has none there). */
function values(e: Experiment, rule: ScoreRule, log: boolean): number[] {
  return scorePoints(e, rule).map((s) => (s.diverged && !Number.isFinite(e.failureScore) ? NaN : log ? (s.score > 0 ? Math.log2(s.score) : NaN) : s.score));
}

/** Least-squares slope of y against log₂ x over the points with finite y; NaN with fewer than two distinct x. */
export function slopeAgainstLog2(xs: readonly number[], ys: readonly number[]): number {
  const pairs = xs.map((x, i) => [Math.log2(x), ys[i]!] as const).filter(([u, v]) => Number.isFinite(u) && Number.isFinite(v));
  if (new Set(pairs.map(([u]) => u)).size < 2) return NaN;
  const mu = pairs.reduce((s, [u]) => s + u, 0) / pairs.length;
  const mv = pairs.reduce((s, [, v]) => s + v, 0) / pairs.length;
  let num = 0;
  let den = 0;
  for (const [u, v] of pairs) {
    num += (u - mu) * (v - mv);
    den += (u - mu) ** 2;
  }
  return num / den;
}

function bootstrap(e: Experiment, statistic: (sample: Experiment) => number, replicates: number, seed: number): [number, number] {
  const rng = new Rng(seed);
  const draws: number[] = [];
  for (let r = 0; r < replicates; r++) draws.push(statistic(resampleRuns(e, rng)));
  return [quantile(draws, 0.05), quantile(draws, 0.95)];
}

const directionOf = (interval: [number, number]): Direction | undefined => (interval[0] > 0 ? 'rises' : interval[1] < 0 ? 'falls' : undefined);

/**
 * The rank correlation a trend needs besides its slope's interval. Points measured precisely give a slope of sure
 * sign in any order (shuffled too, half the time), so the points must also be nearly in order: with 5 points,
 * ρ ≥ 0.8 allows one or two neighbouring swaps, which a random order gives 8 times in 120.
 */
export const MIN_RANK_CORRELATION = 0.8;

/** Ranks (1-based, ties averaged). */
function ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's ρ over the pairs with finite values (the Pearson correlation of their ranks); NaN below 3 pairs. */
export function rankCorrelation(xs: readonly number[], ys: readonly number[]): number {
  const pairs = xs.map((x, i) => [x, ys[i]!] as const).filter(([u, v]) => Number.isFinite(u) && Number.isFinite(v));
  if (pairs.length < 3) return NaN;
  const rx = ranks(pairs.map(([u]) => u));
  const ry = ranks(pairs.map(([, v]) => v));
  const m = (pairs.length + 1) / 2;
  let num = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < pairs.length; i++) {
    num += (rx[i]! - m) * (ry[i]! - m);
    dx += (rx[i]! - m) ** 2;
    dy += (ry[i]! - m) ** 2;
  }
  return dx > 0 && dy > 0 ? num / Math.sqrt(dx * dy) : NaN;
}

/**
 * The trend of the points' values along axis x: slope per doubling of x, with its bootstrap interval. It has a
 * direction when the interval excludes 0 and the points are nearly in that order (MIN_RANK_CORRELATION).
 */
export function trendAlong(e: Experiment, x: string, rule: ScoreRule, options: { log?: boolean; replicates?: number; seed?: number } = {}): DirectionResult {
  const log = options.log ?? false;
  const xs = e.points.map((p) => p.coords[x] ?? NaN);
  const slope = (sample: Experiment) => slopeAgainstLog2(xs, values(sample, rule, log));
  const interval = bootstrap(e, slope, options.replicates ?? REPLICATES, options.seed ?? BOOTSTRAP_SEED);
  const rho = rankCorrelation(xs, values(e, rule, log));
  const sign = directionOf(interval);
  const ordered = sign === 'rises' ? rho >= MIN_RANK_CORRELATION : sign === 'falls' ? rho <= -MIN_RANK_CORRELATION : false;
  return { value: slope(e), rankCorrelation: rho, interval, direction: ordered ? sign : undefined };
}

/** The mean value of the points in slice a minus that of slice b, with its bootstrap interval. */
export function differenceBetween(e: Experiment, inA: (c: Record<string, number>) => boolean, inB: (c: Record<string, number>) => boolean, rule: ScoreRule, options: { log?: boolean; replicates?: number; seed?: number } = {}): DirectionResult {
  const log = options.log ?? false;
  const mean = (v: number[]) => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN);
  const difference = (sample: Experiment) => {
    const ys = values(sample, rule, log);
    return mean(sample.points.flatMap((p, i) => (inA(p.coords) ? [ys[i]!] : []))) - mean(sample.points.flatMap((p, i) => (inB(p.coords) ? [ys[i]!] : [])));
  };
  const interval = bootstrap(e, difference, options.replicates ?? REPLICATES, options.seed ?? BOOTSTRAP_SEED);
  return { value: difference(e), interval, direction: directionOf(interval) };
}

/**
 * The null of "the two slices do not differ" for a difference: the runs themselves (not the points' run sets,
 * which for two points leave only two arrangements) shuffled across the points, each point keeping its count.
 */
export function permuteEachRun(e: Experiment, rng: Rng): Experiment {
  const pool = e.points.flatMap((p) => p.runs);
  const order = rng.permutation(pool.length);
  let next = 0;
  return { ...e, points: e.points.map((p) => ({ ...p, runs: p.runs.map(() => pool[order[next++]!]!) })) };
}
