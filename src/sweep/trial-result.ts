// A trial's result as it crosses a process boundary (a BullMQ job's return value, a line of a committed
// results file): its type, its JSON encoding, its validation like user input, and writing it into a
// run store exactly once.

import { RunStore, type MetricValues, type StandardMetric } from '../store/index.ts';
import { newRunRecord } from '../train/index.ts';
import type { Trial } from './spec.ts';
import { QueueError } from './redis-url.ts';

export { QueueError };


export interface TrialResult {
  trialKey: string;
  status: 'finished' | 'diverged' | 'failed';
  divergedAtStep?: number;
  error?: string;
  final: MetricValues | null;
  best: MetricValues | null;
  history: ({ step: number; epoch: number } & MetricValues)[];
  seconds: number;
  worker: string;
  /** The provenance the worker's run recorded (sgdlab version, git commit, Node, ONNX Runtime, threads, CPU). */
  provenance?: Record<string, unknown> | null;
}


const MAX_HISTORY = 100_000;

/** Redis holds JSON, which has no NaN or Infinity, and a diverged run's loss is exactly that. */
const NON_FINITE = new Map<string, number>([['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]]);
export function encodeResult(result: TrialResult): string {
  return JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/**
 * What values each standard metric can take. A diverged run's losses and norms are NaN or +Infinity and
 * stay data; an accuracy is a fraction, always finite; nothing that is a size or a rate is negative.
 * Other metric names (gamma_exact, a new one) may be any number.
 */
interface MetricRange {
  min: number;
  max: number;
  /** NaN and +Infinity allowed (the values of a run that diverged). */
  diverged: boolean;
}
const FRACTION: MetricRange = { min: 0, max: 1, diverged: false };
const MAGNITUDE: MetricRange = { min: 0, max: Infinity, diverged: true };
const METRIC_RANGES: Record<StandardMetric, MetricRange> = {
  train_loss: MAGNITUDE,
  train_acc: FRACTION,
  test_loss: MAGNITUDE,
  test_acc: FRACTION,
  best_test_acc: FRACTION,
  c_reg: MAGNITUDE,
  grad_norm_sq: MAGNITUDE,
  gamma: MAGNITUDE,
  weight_norm: MAGNITUDE,
  one_norm: MAGNITUDE,
  one_norm_batch: MAGNITUDE,
  steps_per_sec: MAGNITUDE,
  lr: { min: 0, max: Infinity, diverged: false },
  wall_time: MAGNITUDE,
};

function checkMetricRange(name: string, value: number, what: string): void {
  const range = Object.hasOwn(METRIC_RANGES, name) ? METRIC_RANGES[name as StandardMetric] : undefined;
  if (range === undefined) return;
  const divergedValue = Number.isNaN(value) || value === Infinity;
  const ok = divergedValue ? range.diverged : value >= range.min && value <= range.max && Number.isFinite(value);
  if (!ok) {
    const allowed = `${range.diverged ? 'a number' : 'a finite number'} from ${range.min} to ${range.max === Infinity ? '∞' : range.max}${range.diverged ? ' (or NaN/Infinity for a diverged run)' : ''}`;
    throw new QueueError(`${what}: metric '${name}' is ${value}; it must be ${allowed}`);
  }
}

function decodeMetrics(raw: unknown, what: string, allowNull: boolean): MetricValues | null {
  if (raw === null && allowNull) return null;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new QueueError(`${what}: not an object of metrics`);
  const out: MetricValues = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw new QueueError(`${what}: '${name.slice(0, 40)}' is not a metric name`);
    const n = typeof value === 'number' ? value : typeof value === 'string' ? NON_FINITE.get(value) : undefined;
    if (n === undefined) throw new QueueError(`${what}: metric '${name}' is not a number`);
    checkMetricRange(name, n, what);
    out[name] = n;
  }
  return out;
}

/** One process's facts: a flat object of short one-line strings, finite numbers, booleans and nulls. */
function decodeFacts(raw: unknown, what: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new QueueError(`${what}: not an object`);
  const entries = Object.entries(raw);
  if (entries.length > 32) throw new QueueError(`${what}: more than 32 facts`);
  for (const [name, value] of entries) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(name)) throw new QueueError(`${what}: '${name.slice(0, 40)}' is not a fact name`);
    const ok = value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length <= 200 && !/[\n\r]/.test(value));
    if (!ok) throw new QueueError(`${what}: '${name}' is not a short string, number, boolean or null`);
  }
  return Object.fromEntries(entries);
}

/**
 * A worker's provenance: the facts of the process that created the run, and `resumedBy`, those of
 * the processes that resumed it (a trial taken over from a dead worker is one), at most 32.
 */
function decodeProvenance(raw: unknown, what: string): Record<string, unknown> | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new QueueError(`${what}: not an object`);
  const { resumedBy, ...own } = raw as Record<string, unknown>;
  const facts = decodeFacts(own, what);
  if (resumedBy === undefined) return facts;
  if (!Array.isArray(resumedBy) || resumedBy.length > 32) throw new QueueError(`${what}: resumedBy is not a list of at most 32 processes`);
  return { ...facts, resumedBy: resumedBy.map((p, i) => decodeFacts(p, `${what}: resumedBy[${i}]`)) };
}

/** A job's return value (a string of JSON from Redis), checked field by field before it reaches the store. */
export function validateTrialResult(raw: unknown, expectedKey: string): TrialResult {
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new QueueError(`result of ${expectedKey}: not JSON`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new QueueError(`result of ${expectedKey}: not an object`);
  const r = parsed as Record<string, unknown>;
  const what = `result of ${expectedKey}`;
  if (r.trialKey !== expectedKey) throw new QueueError(`${what}: belongs to another trial`);
  if (r.status !== 'finished' && r.status !== 'diverged' && r.status !== 'failed') throw new QueueError(`${what}: status is not finished, diverged or failed`);
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (r.status === 'diverged' && !isCount(r.divergedAtStep)) throw new QueueError(`${what}: a diverged run needs divergedAtStep`);
  if (r.status === 'failed' && (typeof r.error !== 'string' || r.error === '')) throw new QueueError(`${what}: a failed run needs an error message`);
  if (!Array.isArray(r.history) || r.history.length > MAX_HISTORY) throw new QueueError(`${what}: history is not a list of at most ${MAX_HISTORY} records`);
  let lastStep = -1;
  const history = r.history.map((row, i) => {
    const values = decodeMetrics(row, `${what}: history[${i}]`, false)!;
    const { step, epoch } = values;
    if (!isCount(step) || step <= lastStep) throw new QueueError(`${what}: history[${i}].step must be an integer above the previous one`);
    if (epoch === undefined || !Number.isFinite(epoch) || epoch < 0) throw new QueueError(`${what}: history[${i}].epoch must be a non-negative number`);
    lastStep = step;
    return values as { step: number; epoch: number } & MetricValues;
  });
  return {
    trialKey: expectedKey,
    status: r.status,
    ...(r.status === 'diverged' ? { divergedAtStep: r.divergedAtStep as number } : {}),
    ...(r.status === 'failed' ? { error: (r.error as string).split('\n')[0]!.slice(0, 500) } : {}),
    final: decodeMetrics(r.final, `${what}: final`, true),
    best: decodeMetrics(r.best, `${what}: best`, true),
    history,
    seconds: typeof r.seconds === 'number' && Number.isFinite(r.seconds) ? r.seconds : 0,
    worker: typeof r.worker === 'string' ? r.worker.slice(0, 100) : 'unknown',
    provenance: decodeProvenance(r.provenance, `${what}: provenance`),
  };
}

/**
 * Write a trial's result into the coordinator's store, once: a trial already finished or
 * diverged there is left alone (returns false); one left running or failed is replaced.
 */
export function recordTrialResult(store: RunStore, sweepId: string, trial: Trial, result: TrialResult): boolean {
  const existing = store.listRuns({ sweepId }).find((r) => r.trialKey === trial.key);
  if (existing && (existing.status === 'finished' || existing.status === 'diverged')) return false;
  let runId: number;
  let after = -1;
  if (existing) {
    runId = existing.id;
    store.reopenRun(runId);
    if (result.provenance) store.noteResumedBy(runId, result.provenance);
    store.deleteMetricsAfter(runId, 0);
    after = store.metrics(runId).at(-1)?.step ?? -1;
  } else {
    // The record train() makes: the coordinator's own config for the trial, never the worker's.
    runId = store.createRun(newRunRecord(trial.config, { sweep: { id: sweepId, trialKey: trial.key }, ...(result.provenance ? { provenance: result.provenance } : {}) }));
  }
  for (const row of result.history) if (row.step > after) store.appendMetrics(runId, row);
  store.finishRun(runId, {
    status: result.status,
    final: result.final,
    best: result.best,
    ...(result.error !== undefined ? { error: result.error } : {}),
    ...(result.divergedAtStep !== undefined ? { divergedAtStep: result.divergedAtStep } : {}),
  });
  return true;
}

/**
 * A trial's compute in seconds: its last evaluation's wall_time, which counts every process that trained it
 * (src/train/recorder.ts), or the time this process measured if that is longer (runs from before wall_time).
 */
export function trialSeconds(history: readonly Record<string, number>[], timed: number): number {
  const recorded = history.at(-1)?.wall_time;
  return Math.max(timed, recorded !== undefined && Number.isFinite(recorded) ? recorded : 0);
}
