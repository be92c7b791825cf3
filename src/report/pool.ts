// One table of settings from one or more sweep summaries: each grid point with every coordinate the
// figures need resolved (from the point, else the sweep's base config, else the training default).

import type { MetricSummary, PointSummary, SweepSummary } from '../sweep/summary.ts';
import { parsePowerOfTwoNumber } from './log2.ts';
import { UserError } from '../util/user-error.ts';

/** 'updates' is the sweep's derived axis (steps = updates / n): the same number of parameter updates for every n. */
export type Budget = { unit: 'epochs' | 'steps' | 'updates'; value: number };

/** A grid point, as the figures see it. */
export interface Setting {
  sweepId: string;
  sweepName: string;
  /** The bare learning rate (α for n-step SGD). */
  lr: number;
  /** The effective learning rate ε = n·α. */
  epsilon: number;
  lambda: number;
  batch: number;
  nStep: number;
  budget: Budget;
  score: MetricSummary | null;
  metrics: Record<string, MetricSummary>;
  runs: number;
  diverged: number;
  scoredRunIds: number[];
  /** Which of batch and nStep vary within this setting's sweep: figures draw from the sweeps made for them. */
  sweepVaries: { batch: boolean; nStep: boolean };
}

/** Training defaults (src/train/config.ts) for coordinates that neither the point nor the base sets. */
const DEFAULTS = { lambda: 0, nStep: 1, batch: 16 } as const;

export class ReportInputError extends UserError {
  override name = 'ReportInputError';
}

function coordinate(point: PointSummary, base: Record<string, unknown>, key: string): number | undefined {
  const raw = point.point[key] ?? base[key];
  if (raw === undefined || raw === null) return undefined;
  const value = parsePowerOfTwoNumber(raw);
  if (!Number.isFinite(value)) throw new ReportInputError(`sweep coordinate ${key}=${JSON.stringify(raw)} is not a number`);
  return value;
}

export function settingsOf(summary: SweepSummary): Setting[] {
  const settings = summary.points.map((p) => {
    const at = (key: string) => coordinate(p, summary.base, key);
    const onPoint = (key: string) => (p.point[key] !== undefined ? coordinate(p, {}, key) : undefined);
    const nStep = at('nStep') ?? DEFAULTS.nStep;
    const batch = at('batch') ?? DEFAULTS.batch;
    // The sweep's derived axes (src/sweep/spec.ts DERIVED_AXES): lrPerBatch and lambdaPerBatch times B.
    const lrPerBatch = onPoint('lrPerBatch');
    const lambdaPerBatch = onPoint('lambdaPerBatch');
    const lr = onPoint('lr') ?? (lrPerBatch !== undefined ? lrPerBatch * batch : undefined) ?? at('lr') ?? (p.effectiveLr > 0 ? p.effectiveLr / nStep : undefined);
    if (lr === undefined) throw new ReportInputError(`sweep ${summary.sweepId}: a point has no learning rate (lr) in its coordinates or base config`);
    const lambda = onPoint('lambda') ?? (lambdaPerBatch !== undefined ? lambdaPerBatch * batch : undefined) ?? at('lambda') ?? DEFAULTS.lambda;
    // A point's budget overrides the base's other one (a trial gives epochs or steps, never both).
    const updates = onPoint('updates');
    const pointSteps = onPoint('steps');
    const pointEpochs = onPoint('epochs');
    const baseEpochs = coordinate({ ...p, point: {} }, summary.base, 'epochs');
    const baseSteps = coordinate({ ...p, point: {} }, summary.base, 'steps');
    const budget: Budget =
      updates !== undefined ? { unit: 'updates', value: updates }
      : pointSteps !== undefined ? { unit: 'steps', value: pointSteps }
      : pointEpochs !== undefined ? { unit: 'epochs', value: pointEpochs }
      : baseSteps !== undefined ? { unit: 'steps', value: baseSteps }
      // src/train/config.ts trains 10 epochs when neither is given.
      : { unit: 'epochs', value: baseEpochs ?? 10 };
    return {
      sweepId: summary.sweepId,
      sweepName: summary.name,
      lr,
      epsilon: Number.isFinite(p.effectiveLr) && p.effectiveLr > 0 ? p.effectiveLr : lr * nStep,
      lambda,
      batch,
      nStep,
      budget,
      score: p.score,
      metrics: p.metrics,
      runs: p.runs,
      diverged: p.diverged,
      scoredRunIds: p.scoredRunIds,
      sweepVaries: { batch: false, nStep: false },
    };
  });
  // Decided from the values, not the axis names, so zipped axes ("hold ε/B fixed") count too.
  const varies = { batch: distinct(settings.map((s) => s.batch)).length > 1, nStep: distinct(settings.map((s) => s.nStep)).length > 1 };
  for (const s of settings) s.sweepVaries = varies;
  return settings;
}

/**
 * A grid point where most runs diverged (NaN/Inf): figures draw it as a marked outlier at the plot's
 * edge, never as an ordinary point and never setting an axis, whatever score its runs had before.
 */
export const mostlyDiverged = (s: Pick<Setting, 'runs' | 'diverged'>): boolean => s.runs > 0 && 2 * s.diverged > s.runs;

export const poolSettings = (summaries: readonly SweepSummary[]): Setting[] => summaries.flatMap(settingsOf);

/** "1 epoch", "60 epochs", "38400 updates": a budget in words (also its key). */
export const budgetKey = (b: Budget): string => `${b.value} ${b.value === 1 ? b.unit.replace(/s$/, '') : b.unit}`;

/** Distinct values, ascending. */
export function distinct(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** The most frequent key (ties: the first seen), so that one slice of a mixed pool is plotted consistently. */
export function mostCommon<T>(items: readonly T[], key: (item: T) => string): string | undefined {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  let best: string | undefined;
  for (const [k, n] of counts) if (best === undefined || n > counts.get(best)!) best = k;
  return best;
}
