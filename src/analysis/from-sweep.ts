// Experiments from what sweeps record: a sweep's trials with their runs in a run store, or the trials of a
// committed results file. Each grid point's coordinates come from its resolved training config, so that
// lrPerBatch or updates axes and base values (batch 16, n = 1, β = 0) all appear as numbers.

import type { RunRecord } from '../store/index.ts';
import { recordOf, scoringValue, sweepClaims, type ExportedTrial, type Scoring, type Sweep, type Trial } from '../sweep/index.ts';
import type { TrainConfig } from '../train/index.ts';
import { claimMetric, evaluateClaim, type ClaimResult, type EvaluateOptions } from './claims.ts';
import { SCORE_RULES, type Experiment, type ExperimentPoint, type RunOutcome, type ScoreRule } from './experiment.ts';

/**
 * Every data set sgdlab trains on has 10 classes (digits, Fashion-MNIST, CIFAR-10, the synthetic sets'
 * default), so chance-level accuracy is 0.1: what a diverged point counts as in a fit.
 */
export const CHANCE_ACCURACY = 0.1;

/** The config values a claim can name, as numbers. */
export function coordinatesOf(config: TrainConfig, point: Record<string, number | string> = {}): Record<string, number> {
  const coords: Record<string, number> = {};
  for (const [k, v] of Object.entries(point)) if (typeof v === 'number') coords[k] = v;
  coords.lr = config.lr;
  if (typeof config.lambda === 'number') coords.lambda = config.lambda;
  coords.batch = config.batch;
  coords.nStep = config.nStep;
  coords.momentum = config.momentum ?? 0;
  if (config.epochs !== undefined) coords.epochs = config.epochs;
  if (config.steps !== undefined) coords.steps = config.steps;
  return coords;
}

/** A run's value under the final rule: its metric at the end (for best_test_acc, the final test accuracy). */
const finalMetric = (metric: string): string => (metric === 'best_test_acc' ? 'test_acc' : metric);

interface Outcome {
  status: string;
  final: Record<string, number> | null;
  best: Record<string, number> | null;
}

function outcome(run: Outcome, scoring: Pick<Scoring, 'metric' | 'order'>): RunOutcome {
  const sign = scoring.order === 'min' ? -1 : 1;
  return {
    best: sign * scoringValue({ final: run.final, best: run.best }, scoring.metric),
    final: sign * (run.final?.[finalMetric(scoring.metric)] ?? NaN),
    diverged: run.status === 'diverged',
  };
}

/** What a failure counts as: chance level for accuracy, else the worst value any run reached. */
function failureScore(points: readonly ExperimentPoint[], scoring: Pick<Scoring, 'metric'>): number {
  if (/acc/.test(scoring.metric)) return CHANCE_ACCURACY;
  const values = points.flatMap((p) => p.runs.flatMap((r) => [r.best, r.final])).filter(Number.isFinite);
  return values.length ? Math.min(...values) : NaN;
}

/**
 * A run's value of a metric other than the score: at the end of training (final rule) and at the evaluation
 * where its score was best (best rule); NaN where not recorded.
 */
function metricOutcome(run: Outcome, metric: string): RunOutcome {
  return { best: run.best?.[metric] ?? NaN, final: run.final?.[metric] ?? NaN, diverged: run.status === 'diverged' };
}

/**
 * One point per grid point of the sweep that has ended runs (finished or diverged); points without any are left
 * out. With `metric` (a recorded metric other than the sweep's score): each point's value is the mean over all
 * its runs, and a point where most runs diverged has none.
 */
export function experimentFromRuns(sweep: Sweep, runs: readonly RunRecord[], metric?: string): Experiment {
  const byKey = new Map(runs.filter((r) => r.trialKey !== null).map((r) => [r.trialKey!, r]));
  return build(sweep, (t) => byKey.get(t.key), metric);
}

/** The same from a results file's records (each trial's own, or an identical training's: `sweep import` loads the same). */
export function experimentFromResults(sweep: Sweep, records: readonly ExportedTrial[], metric?: string): Experiment {
  return build(sweep, (t) => recordOf(records, sweep, t)?.result, metric);
}

function build(sweep: Sweep, runOf: (t: Trial) => Outcome | undefined, metric: string | undefined): Experiment {
  const byPoint = new Map<string, ExperimentPoint>();
  for (const trial of sweep.trials) {
    let point = byPoint.get(trial.pointKey);
    if (!point) byPoint.set(trial.pointKey, (point = { coords: coordinatesOf(trial.config, trial.point), runs: [], key: trial.pointKey }));
    const run = runOf(trial);
    if (run && (run.status === 'finished' || run.status === 'diverged')) point.runs.push(metric === undefined ? outcome(run, sweep.spec.scoring) : metricOutcome(run, metric));
  }
  const points = [...byPoint.values()].filter((p) => p.runs.length > 0);
  if (metric !== undefined) return { points, bestOf: Infinity, failureScore: NaN };
  return { points, bestOf: sweep.spec.scoring.best, failureScore: failureScore(points, sweep.spec.scoring) };
}

/** Several sweeps as one experiment (their points side by side), e.g. a page's slices from two specs. */
export function mergeExperiments(parts: readonly Experiment[]): Experiment {
  if (parts.length === 0) return { points: [], bestOf: 1, failureScore: NaN };
  return { points: parts.flatMap((p) => p.points), bestOf: parts[0]!.bestOf, failureScore: parts[0]!.failureScore };
}

/**
 * Every claim the sweep declares, under both score rules (best during training first), each on the experiment of
 * its metric (`experimentOf(undefined)` is the sweep's score).
 */
export function sweepVerdicts(sweep: Sweep, experimentOf: (metric: string | undefined) => Experiment, options: EvaluateOptions = {}): (ClaimResult & { sweep: string })[] {
  return sweepClaims(sweep).flatMap((claim) => {
    const e = experimentOf(claimMetric(claim));
    return (Object.keys(SCORE_RULES) as ScoreRule[]).map((rule) => ({ sweep: sweep.spec.name, ...evaluateClaim(claim, e, rule, options) }));
  });
}
