// "Similar at their best": groups of points (one per n, per β, or the two slices of Fig. 6a) compared by
// their best scores, as a bootstrap interval of the spread (best group minus worst) judged against a stated margin.

import { BOOTSTRAP_SEED, REPLICATES, Rng, quantile, resampleRuns, scorePoints, type Experiment, type ScoreRule } from './experiment.ts';

/** A group of points, by its coordinates (a point may belong to several groups). */
export type Group = (coords: Record<string, number>) => boolean;

/** The spread of the groups' best scores: the best group's best minus the worst group's best; NaN with fewer than 2 groups that have points. */
export function bestSpread(e: Experiment, scores: readonly number[], groups: readonly Group[]): number {
  const bests = groups.map((inGroup) => e.points.reduce((m, p, i) => (inGroup(p.coords) ? Math.max(m, scores[i]!) : m), -Infinity)).filter(Number.isFinite);
  return bests.length < 2 ? NaN : Math.max(...bests) - Math.min(...bests);
}

export interface SimilarResult {
  spread: number;
  /** 90% bootstrap interval of the spread. */
  interval: [number, number];
  margin: number;
  verdict: string;
  supports: boolean;
}

/**
 * Similar when the whole 90% interval of the spread lies below the margin, different when it lies above it,
 * inconclusive otherwise. The spread of noisy maxima is biased upwards, so "similar" errs on the strict side.
 */
export function similarAtBest(
  e: Experiment,
  rule: ScoreRule,
  groups: readonly Group[],
  margin: number,
  options: { replicates?: number; seed?: number; unit?: (v: number) => string } = {},
): SimilarResult {
  const spread = bestSpread(e, scorePoints(e, rule).map((s) => s.score), groups);
  const rng = new Rng(options.seed ?? BOOTSTRAP_SEED);
  const spreads: number[] = [];
  for (let r = 0; r < (options.replicates ?? REPLICATES); r++) {
    const sample = resampleRuns(e, rng);
    spreads.push(bestSpread(sample, scorePoints(sample, rule).map((s) => s.score), groups));
  }
  const interval: [number, number] = [quantile(spreads, 0.05), quantile(spreads, 0.95)];
  const unit = options.unit ?? ((v: number) => v.toFixed(3));
  if (!Number.isFinite(spread)) return { spread, interval, margin, verdict: 'too few groups', supports: false };
  if (interval[1] < margin) return { spread, interval, margin, verdict: `similar (the spread's 90% interval lies below ${unit(margin)})`, supports: true };
  if (interval[0] > margin) return { spread, interval, margin, verdict: `different (the spread's 90% interval lies above ${unit(margin)})`, supports: false };
  return { spread, interval, margin, verdict: `inconclusive (the spread's 90% interval straddles ${unit(margin)})`, supports: false };
}
