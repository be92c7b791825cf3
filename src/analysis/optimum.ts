// Where a curve peaks, with its uncertainty: the share of bootstrap resamples (over seeds) in which each grid
// value is the best, the smallest set of grid values covering 90% of them, and the same for the ratio of two optima.

import { BOOTSTRAP_SEED, REPLICATES, Rng, resampleRuns, scorePoints, type Experiment, type ScoreRule } from './experiment.ts';

export interface Share {
  value: number;
  share: number;
}

export interface OptimumLocation {
  /** The best grid value on the data itself. */
  best: number;
  /** Every grid value that won at least one replicate, most wins first. */
  shares: Share[];
  /** The fewest values whose shares add up to at least 90% (most wins first). */
  set: number[];
}

/** The grid value of the best-scoring point along `x` (points are one curve: x differs between them). */
export function argBest(e: Experiment, scores: readonly number[], x: string): number {
  let best = NaN;
  let bestScore = -Infinity;
  e.points.forEach((p, i) => {
    if (scores[i]! > bestScore) {
      bestScore = scores[i]!;
      best = p.coords[x]!;
    }
  });
  return best;
}

/** Shares of each value in a list of bootstrap winners, and the smallest set covering `cover` of them. */
export function sharesOf(winners: readonly number[], cover = 0.9): { shares: Share[]; set: number[] } {
  const counts = new Map<number, number>();
  for (const w of winners) if (Number.isFinite(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const total = winners.length;
  const shares = [...counts].map(([value, n]) => ({ value, share: n / total })).sort((a, b) => b.share - a.share || a.value - b.value);
  const set: number[] = [];
  let covered = 0;
  for (const s of shares) {
    if (covered >= cover - 1e-12) break;
    set.push(s.value);
    covered += s.share;
  }
  return { shares, set };
}

export interface BootstrapOptions {
  replicates?: number;
  seed?: number;
}

/** The optimum of one curve along x with its bootstrap win shares. */
export function locateOptimum(e: Experiment, rule: ScoreRule, x: string, options: BootstrapOptions = {}): OptimumLocation {
  const best = argBest(e, scorePoints(e, rule).map((s) => s.score), x);
  const rng = new Rng(options.seed ?? BOOTSTRAP_SEED);
  const winners: number[] = [];
  for (let r = 0; r < (options.replicates ?? REPLICATES); r++) {
    const sample = resampleRuns(e, rng);
    winners.push(argBest(sample, scorePoints(sample, rule).map((s) => s.score), x));
  }
  return { best, ...sharesOf(winners) };
}

/**
 * log₂ of the ratio of two curves' optima (e.g. λ_opt/ε_opt), both curves resampled in each replicate; the
 * shares are over values of log₂(ratio).
 */
export function locateOptimumRatio(top: Experiment, topX: string, bottom: Experiment, bottomX: string, rule: ScoreRule, options: BootstrapOptions = {}): OptimumLocation {
  const ratio = (t: Experiment, b: Experiment): number =>
    roundLog(Math.log2(argBest(t, scorePoints(t, rule).map((s) => s.score), topX) / argBest(b, scorePoints(b, rule).map((s) => s.score), bottomX)));
  const rng = new Rng(options.seed ?? BOOTSTRAP_SEED);
  const winners: number[] = [];
  for (let r = 0; r < (options.replicates ?? REPLICATES); r++) winners.push(ratio(resampleRuns(top, rng), resampleRuns(bottom, rng)));
  return { best: ratio(top, bottom), ...sharesOf(winners) };
}

/** log₂ values of grid ratios are multiples of small fractions; rounding keeps 2^-4.5/2^-9 from printing as 4.499999. */
const roundLog = (v: number): number => Math.round(v * 1e6) / 1e6;
