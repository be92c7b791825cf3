// The data every verdict is computed from: grid points with their runs' outcomes under both score rules,
// the best-k-of-n score of a point, its bootstrap resample over seeds, and a shuffle of runs across points.
//
// A run is kept whole (its best and final values and whether it diverged), so that a bootstrap replicate
// or a permutation moves runs, never single numbers, and a point's score is recomputed from its runs
// exactly as for the real data.

import { Rng } from '../util/random.ts';

/** One run of a grid point. Values are oriented so that larger is better (a minimised metric is negated). */
export interface RunOutcome {
  /** The run's best value during training (for a diverged run: before it diverged); NaN if never evaluated. */
  best: number;
  /** The value at the end of training; NaN if never evaluated. */
  final: number;
  diverged: boolean;
}

/** One grid point: its numeric coordinates (lr, lambda, batch, nStep, momentum, epochs, …) and its runs. */
export interface ExperimentPoint {
  coords: Record<string, number>;
  runs: RunOutcome[];
  /** The sweep's key of the grid point (e.g. "lr=2^-5,lambda=0"), where it came from a sweep. */
  key?: string;
}

export interface Experiment {
  points: ExperimentPoint[];
  /** The score of a point is the mean of its best `bestOf` runs (the paper's best 5 of 7). */
  bestOf: number;
  /** What a failed run or a diverged point counts as (chance level for accuracy). */
  failureScore: number;
}

/**
 * The two score rules. The paper states best-during-training only for Fig. 1b (Sec. 2.3); Appendix D says
 * "the mean performance of the best five" without naming when a run is measured. Both are reported.
 */
export const SCORE_RULES = {
  best: 'each run scored by its best test accuracy during training (early stopping on the test set)',
  final: 'each run scored by its test accuracy at the end of training',
} as const;
export type ScoreRule = keyof typeof SCORE_RULES;

export interface PointScore {
  score: number;
  /** More than half of the runs diverged: the point is a failure, whatever its runs reached before. */
  diverged: boolean;
}

/**
 * The point's score under a rule. The divergence rule, stated on every page: a point where more than half
 * the runs diverged is diverged and scores `failureScore`. Otherwise its score is the mean of its best k
 * runs; under the best-during-training rule a diverged run competes with its best value from before it
 * diverged, under the final rule it counts as `failureScore` (its model at the end is diverged).
 */
export function scoreRuns(runs: readonly RunOutcome[], rule: ScoreRule, bestOf: number, failureScore: number): PointScore {
  let divergedRuns = 0;
  const values: number[] = [];
  for (const r of runs) {
    if (r.diverged) divergedRuns++;
    const v = rule === 'final' && r.diverged ? failureScore : r[rule];
    if (Number.isFinite(v)) values.push(v);
  }
  if (runs.length === 0 || 2 * divergedRuns > runs.length || values.length === 0) return { score: failureScore, diverged: true };
  values.sort((a, b) => b - a);
  const k = Math.min(bestOf, values.length);
  let sum = 0;
  for (let i = 0; i < k; i++) sum += values[i]!;
  return { score: sum / k, diverged: false };
}

/** Every point's score under a rule, in the experiment's point order. */
export function scorePoints(e: Experiment, rule: ScoreRule): PointScore[] {
  return e.points.map((p) => scoreRuns(p.runs, rule, e.bestOf, e.failureScore));
}

/** A bootstrap replicate over seeds: each point keeps its coordinates and draws as many runs as it has, with replacement. */
export function resampleRuns(e: Experiment, rng: Rng): Experiment {
  return {
    ...e,
    points: e.points.map((p) => ({ ...p, runs: p.runs.map(() => p.runs[rng.int(p.runs.length)]!) })),
  };
}

/** The null of "the coordinates do not matter": the points' run sets shuffled across the points. */
export function permuteRuns(e: Experiment, rng: Rng): Experiment {
  const order = rng.permutation(e.points.length);
  return { ...e, points: e.points.map((p, i) => ({ ...p, runs: e.points[order[i]!]!.runs })) };
}

/** The points whose coordinates satisfy every condition (a slice of the grid). */
export function slicePoints(e: Experiment, where: Record<string, number>): Experiment {
  return { ...e, points: e.points.filter((p) => Object.entries(where).every(([k, v]) => sameValue(p.coords[k], v))) };
}

/** Coordinates equal up to rounding (2^-4.5 written as a decimal in one spec and as a power in another). */
export function sameValue(a: number | undefined, b: number): boolean {
  return a !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** The q-quantile (0..1) of finite values, by linear interpolation between order statistics; NaN if none. */
export function quantile(values: readonly number[], q: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const at = q * (v.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return v[lo]! + (v[hi]! - v[lo]!) * (at - lo);
}

/**
 * Bootstrap replicates of a rule on the data. Verdicts hold a bootstrap share or interval against a bar (a 90% set, a
 * 90% interval), and at 200 replicates a share near 90% carries about ±2 points of Monte Carlo error: enough to move
 * a grid value in or out of a 90% set. 2,000 bring it to about ±0.7.
 */
export const REPLICATES = 2000;
/** Replicates of each bootstrap on shuffled data, PERMUTATIONS of them per false rate: fewer, so that pages regenerate in time. */
export const NULL_REPLICATES = 200;
/** The replicates on shuffled data for a rule asked for `options`: NULL_REPLICATES, never more than on the data. */
export const nullReplicatesOf = (options: { replicates?: number; nullReplicates?: number }): number =>
  options.nullReplicates ?? Math.min(options.replicates ?? REPLICATES, NULL_REPLICATES);

/** Fixed seeds, so that every page and report prints the same intervals and false rates on every run. */
export const BOOTSTRAP_SEED = 20210301;
export const PERMUTATION_SEED = 20210302;

export { Rng };
