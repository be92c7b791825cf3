// The run store's row codecs: the records callers see (runs, metrics, sweeps) and how each is checked
// and encoded into, and decoded from, the SQLite rows of src/store/schema.ts.
//
// Metric values are stored as a JSON object per (run, step). JSON has no NaN or Infinity, and a
// diverged run's loss is exactly that, so non-finite numbers are stored as the strings "NaN",
// "Infinity" and "-Infinity" and turned back into numbers on read.

import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { StoreError, describeError } from './errors.ts';
import { checkpointDirFor } from './paths.ts';

export type RunStatus = 'running' | 'finished' | 'diverged' | 'failed';
export type FinalRunStatus = Exclude<RunStatus, 'running'>;
export const FINAL_STATUSES: readonly FinalRunStatus[] = ['finished', 'diverged', 'failed'];

/** The metrics every training loop reports (others may be added freely). */
export const STANDARD_METRICS = [
  'train_loss',
  'train_acc',
  'test_loss',
  'test_acc',
  'best_test_acc',
  'c_reg',
  'grad_norm_sq',
  'gamma',
  'weight_norm',
  'one_norm',
  'one_norm_batch',
  'steps_per_sec',
  'lr',
  'wall_time',
] as const;
export type StandardMetric = (typeof STANDARD_METRICS)[number];

/** Named metric values; NaN and ±Infinity are kept as such. */
export type MetricValues = Partial<Record<StandardMetric, number>> & Record<string, number>;

/** One row of a run's metric history: where in training, and the values measured there. */
export type MetricRecord = { step: number; epoch: number } & MetricValues;

export interface NewRun {
  /** Everything needed to reproduce the run; any JSON value (finite numbers only). */
  config: unknown;
  seed: number;
  name?: string;
  /** A sweep's runs carry its id and a key naming the trial, unique within the sweep. */
  sweepId?: string;
  trialKey?: string;
  /** Where the run came from (sgdlab version, git commit, Node, ONNX Runtime, threads, CPU): a JSON object. */
  provenance?: Record<string, unknown>;
}

export interface RunOutcome {
  status: FinalRunStatus;
  final?: MetricValues | null;
  best?: MetricValues | null;
  /** Required when status is 'failed'. */
  error?: string;
  /** Required when status is 'diverged': the step whose loss was first NaN or infinite. */
  divergedAtStep?: number;
}

export interface RunRecord {
  id: number;
  name: string | null;
  createdAt: string;
  updatedAt: string;
  config: unknown;
  seed: number;
  status: RunStatus;
  error: string | null;
  divergedAtStep: number | null;
  checkpointPath: string | null;
  final: MetricValues | null;
  best: MetricValues | null;
  sweepId: string | null;
  trialKey: string | null;
  /**
   * The provenance of the process that created the run, with `resumedBy`: those of later processes
   * that resumed it, where they differ. null for runs recorded before schema version 3.
   */
  provenance: Record<string, unknown> | null;
}

/** A sweep as recorded: its id, name and the normalized spec its trials were expanded from. */
export interface SweepRecord {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  spec: unknown;
}

export interface RunQuery {
  status?: RunStatus;
  sweepId?: string;
  limit?: number;
  /** Default false: runs come in creation order; true gives the most recent first. */
  newestFirst?: boolean;
}

export interface RunRow {
  id: number;
  created_at: string;
  updated_at: string;
  name: string | null;
  config: string;
  seed: number;
  status: RunStatus;
  error: string | null;
  diverged_at_step: number | null;
  checkpoint_path: string | null;
  final_metrics: string | null;
  best_metrics: string | null;
  sweep_id: string | null;
  trial_key: string | null;
  provenance: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** Relative to the store's folder (schema version 5); checkpoint_path is the older, cwd-relative column. */
  checkpoint_file: string | null;
}

export interface MetricRow {
  step: number;
  epoch: number;
  metric_values: string;
}

const NON_FINITE_SPELLINGS = new Map<string, number>([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

export function encodeMetricValues(values: MetricValues): string {
  return JSON.stringify(values, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? String(value) : value,
  );
}

export function decodeMetricValues(json: string): MetricValues {
  return JSON.parse(json, (_key, value: unknown) =>
    typeof value === 'string' && NON_FINITE_SPELLINGS.has(value) ? NON_FINITE_SPELLINGS.get(value) : value,
  ) as MetricValues;
}

export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function checkMetricValues(values: Record<string, unknown>, what: string): MetricValues {
  const checked: MetricValues = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'number') throw new StoreError(`${what}: metric '${name}' must be a number, got ${JSON.stringify(value) ?? typeof value}`);
    checked[name] = value;
  }
  return checked;
}

export function checkOptionalText(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '') throw new StoreError(`${what} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

export function encodeConfig(config: unknown): string {
  if (config === undefined) throw new StoreError('run config is missing');
  let json: string | undefined;
  try {
    json = JSON.stringify(config, (key, value: unknown) => {
      // JSON would silently turn these into null, and a config must reproduce the run exactly.
      if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`'${key}' is ${value}`);
      if (typeof value === 'function' || typeof value === 'symbol') throw new Error(`'${key}' is a ${typeof value}`);
      return value;
    });
  } catch (error) {
    throw new StoreError(`run config is not plain JSON: ${describeError(error)}`, { cause: error });
  }
  if (json === undefined) throw new StoreError('run config is not plain JSON');
  return json;
}

/**
 * Where a run's checkpoint is. Rows since schema version 5 name it relative to the store's folder. Older rows
 * named it relative to the working directory of the process that saved it, which is lost: such a path is
 * taken from this directory if the file is there, else from the store's checkpoint folder (where every sgdlab
 * command saved them), else left as written so that the error names it.
 */
function checkpointLocation(row: RunRow, storeFolder: string | null, defaultFolder: string | null): string | null {
  if (row.checkpoint_file !== null) return storeFolder === null ? row.checkpoint_file : resolve(storeFolder, row.checkpoint_file);
  const legacy = row.checkpoint_path;
  if (legacy === null || isAbsolute(legacy) || existsSync(legacy) || defaultFolder === null) return legacy;
  const inStoreFolder = join(defaultFolder, basename(legacy));
  return existsSync(inStoreFolder) ? inStoreFolder : legacy;
}

/** A row as the API returns it; `storePath` resolves its checkpoint (null for an in-memory store). */
export function toRunRecord(row: RunRow, storePath: string | null = null): RunRecord {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    config: JSON.parse(row.config) as unknown,
    seed: row.seed,
    status: row.status,
    error: row.error,
    divergedAtStep: row.diverged_at_step,
    checkpointPath: checkpointLocation(row, storePath === null ? null : dirname(resolve(storePath)), storePath === null ? null : checkpointDirFor(resolve(storePath))),
    final: row.final_metrics === null ? null : decodeMetricValues(row.final_metrics),
    best: row.best_metrics === null ? null : decodeMetricValues(row.best_metrics),
    sweepId: row.sweep_id,
    trialKey: row.trial_key,
    provenance: row.provenance === null ? null : (JSON.parse(row.provenance) as Record<string, unknown>),
  };
}

export function encodeProvenance(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new StoreError(`run provenance must be a JSON object, got ${JSON.stringify(value)}`);
  return encodeConfig(value);
}
