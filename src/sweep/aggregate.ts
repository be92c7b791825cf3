// Aggregation of a sweep's runs into the SweepSummary contract: the paper's best-k-of-n scoring per
// grid point, and mean/std of the scored runs' metrics.

import type { RunRecord, RunStore } from '../store/index.ts';
import { SpecError, sweepFromStoredSpec, type Scoring, type Sweep } from './spec.ts';
import type { MetricSummary, PointSummary, SweepSummary } from './summary.ts';

/** Wall-clock metrics: they differ between identical runs, so they stay out of the aggregate. */
const TIMING_METRICS = new Set(['steps_per_sec', 'wall_time']);

/** Where this run stands on the scoring metric; NaN when it never measured it (e.g. diverged at once). */
export function scoringValue(run: Pick<RunRecord, 'final' | 'best'>, metric: string): number {
  const value = run.final?.[metric];
  if (value !== undefined && Number.isFinite(value)) return value;
  // A run that diverged mid-epoch has final metrics from before; its best record still names its peak.
  if (metric === 'best_test_acc' && run.best?.test_acc !== undefined && Number.isFinite(run.best.test_acc)) return run.best.test_acc;
  return NaN;
}

/** Mean and sample standard deviation (n − 1; 0 for a single value). */
export function meanStd(values: readonly number[]): MetricSummary {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

export interface PointScore {
  /** The runs the score averages over, best first. */
  scored: RunRecord[];
  /** The candidates ranked best first (runs without a value last), then the runs that were not candidates. */
  ranked: RunRecord[];
  score: MetricSummary | null;
}

/**
 * The paper's protocol: each run is scored by its metric (best test accuracy during training); the
 * point's score is the mean of the best k. Failed and unfinished runs never compete (they are
 * errors of the machinery, not results of the setting). Diverged runs compete with their value
 * from before divergence under `diverged: include`, and are dropped first under `exclude`. A run
 * with no value at all (diverged before its first evaluation) ranks last and adds nothing to the
 * mean, so `scored` can be smaller than k.
 */
export function scorePoint(runs: readonly RunRecord[], scoring: Pick<Scoring, 'metric' | 'best' | 'order' | 'diverged'>): PointScore {
  const competes = (r: RunRecord) => r.status === 'finished' || (r.status === 'diverged' && scoring.diverged === 'include');
  const sign = scoring.order === 'max' ? -1 : 1;
  const candidates = runs
    .filter(competes)
    .map((run) => ({ run, value: scoringValue(run, scoring.metric) }))
    .sort((a, b) => {
      const aOk = Number.isFinite(a.value);
      const bOk = Number.isFinite(b.value);
      if (aOk !== bOk) return aOk ? -1 : 1;
      if (aOk && a.value !== b.value) return sign * (a.value - b.value);
      return a.run.id - b.run.id;
    });
  const top = candidates.slice(0, scoring.best).filter((c) => Number.isFinite(c.value));
  const others = runs.filter((r) => !competes(r)).sort((a, b) => a.id - b.id);
  return {
    scored: top.map((c) => c.run),
    ranked: [...candidates.map((c) => c.run), ...others],
    score: top.length > 0 ? meanStd(top.map((c) => c.value)) : null,
  };
}

function aggregateMetrics(runs: readonly RunRecord[]): Record<string, MetricSummary> {
  const columns = new Map<string, number[]>();
  const add = (name: string, value: number | undefined) => {
    if (value === undefined || !Number.isFinite(value)) return;
    let column = columns.get(name);
    if (!column) columns.set(name, (column = []));
    column.push(value);
  };
  for (const run of runs) {
    for (const [name, value] of Object.entries(run.final ?? {})) if (!TIMING_METRICS.has(name)) add(name, value);
    // "best:train_acc" is the train accuracy at the evaluation where the test accuracy peaked.
    for (const [name, value] of Object.entries(run.best ?? {})) if (!TIMING_METRICS.has(name)) add(`best:${name}`, value);
  }
  const out: Record<string, MetricSummary> = {};
  for (const name of [...columns.keys()].sort()) out[name] = meanStd(columns.get(name)!);
  return out;
}

/** Extra fields of a point beyond the contract: the seeds it should have and how many are not done. */
export interface PointProgress {
  trials: number;
  running: number;
  pending: number;
}

/** The aggregate of a sweep from its runs in `store`; `sweep` overrides the stored spec (e.g. a new scoring rule). */
export function summarizeSweep(store: RunStore, sweepId: string, sweep?: Sweep): SweepSummary & { points: (PointSummary & PointProgress)[] } {
  if (!sweep) {
    const stored = store.findSweep(sweepId);
    if (!stored) throw new SpecError(`sweep '${sweepId}': not in the run store ${store.path}`);
    sweep = sweepFromStoredSpec(sweepId, stored.spec, `sweep ${sweepId}`);
  }
  const { spec } = sweep;
  const byKey = new Map<string, RunRecord>();
  for (const run of store.listRuns({ sweepId })) if (run.trialKey !== null) byKey.set(run.trialKey, run);

  const trialsByPoint = new Map<string, Sweep['trials']>();
  for (const trial of sweep.trials) {
    let list = trialsByPoint.get(trial.pointKey);
    if (!list) trialsByPoint.set(trial.pointKey, (list = []));
    list.push(trial);
  }
  const points = [...trialsByPoint.values()].map((trials) => {
    const runs = trials.map((t) => byKey.get(t.key)).filter((r): r is RunRecord => r !== undefined);
    const { scored, ranked, score } = scorePoint(runs, spec.scoring);
    const count = (status: RunRecord['status']) => runs.filter((r) => r.status === status).length;
    const first = trials[0]!;
    return {
      point: first.point,
      effectiveLr: first.config.lr * first.config.nStep,
      runs: runs.length,
      finished: count('finished'),
      diverged: count('diverged'),
      failed: count('failed'),
      scored: scored.length,
      score,
      metrics: aggregateMetrics(scored),
      runIds: ranked.map((r) => r.id),
      scoredRunIds: scored.map((r) => r.id),
      trials: trials.length,
      running: count('running'),
      pending: trials.length - runs.length,
    };
  });
  return {
    sweepId,
    name: spec.name,
    // A zipped axis may repeat values (two slices through a plane); the summary lists each value once.
    axes: spec.dimensions.flatMap((d) => d.axes.map((a) => ({ name: a.name, values: [...new Set(a.values)] }))),
    scoring: { metric: spec.scoring.metric, best: spec.scoring.best, of: spec.scoring.of, order: spec.scoring.order, diverged: spec.scoring.diverged } as SweepSummary['scoring'],
    base: { ...spec.base },
    points,
  };
}
