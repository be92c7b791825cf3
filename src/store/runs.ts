// The run store: one SQLite file that records every training run, its metrics over time, its
// checkpoint and how it ended, so sweeps can be resumed and reports can query results with SQL.
//
// Durability: WAL mode and one transaction per write, so a crash (or a kill) mid-write loses at
// most that write and never corrupts earlier runs; a busy timeout lets several processes (sweep
// workers) write to the same file. The schema is versioned with PRAGMA user_version and upgraded
// by `migrate` on open.
//
// Metric values are stored as a JSON object per (run, step). JSON has no NaN or Infinity, and a
// diverged run's loss is exactly that, so non-finite numbers are stored as the strings "NaN",
// "Infinity" and "-Infinity" and turned back into numbers on read.

import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError, describeError } from './errors.ts';
import { leaseBlocks, newLeaseOwner, describeLeaseOwner, DEFAULT_LEASE_TTL_MS } from './lease.ts';

export const DEFAULT_RUN_STORE_PATH = './sgdlab-runs/runs.sqlite';

export type RunStatus = 'running' | 'finished' | 'diverged' | 'failed';
export type FinalRunStatus = Exclude<RunStatus, 'running'>;
const FINAL_STATUSES: readonly FinalRunStatus[] = ['finished', 'diverged', 'failed'];

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

export interface RunStoreOptions {
  /** How long a write waits for another process's write to finish before failing. */
  busyTimeoutMs?: number;
  /** How long a run stays leased to this handle without a heartbeat (default 10 minutes). */
  leaseTtlMs?: number;
  /** Refuse to create a store that does not exist yet (commands that only read). */
  mustExist?: boolean;
}

type Db = Database.Database;

const SCHEMA_V1 = `
  CREATE TABLE runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    name             TEXT,
    config           TEXT    NOT NULL CHECK (json_valid(config)),
    seed             INTEGER NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('running', 'finished', 'diverged', 'failed')),
    error            TEXT,
    diverged_at_step INTEGER,
    checkpoint_path  TEXT,
    final_metrics    TEXT CHECK (final_metrics IS NULL OR json_valid(final_metrics)),
    best_metrics     TEXT CHECK (best_metrics IS NULL OR json_valid(best_metrics)),
    sweep_id         TEXT,
    trial_key        TEXT,
    UNIQUE (sweep_id, trial_key)
  );
  CREATE INDEX runs_by_status ON runs (status);
  CREATE INDEX runs_by_sweep ON runs (sweep_id);
  CREATE TABLE metrics (
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step          INTEGER NOT NULL,
    epoch         REAL    NOT NULL,
    metric_values TEXT    NOT NULL CHECK (json_valid(metric_values)),
    PRIMARY KEY (run_id, step)
  ) WITHOUT ROWID;
`;

/** Version 2: sweeps, so a sweep's spec (axes, scoring) can be read back from its id alone. */
const SCHEMA_V2 = `
  CREATE TABLE sweeps (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    spec       TEXT NOT NULL CHECK (json_valid(spec))
  );
`;

/** Version 3: each run's provenance (older runs keep NULL: their facts were not recorded). */
const SCHEMA_V3 = `
  ALTER TABLE runs ADD COLUMN provenance TEXT CHECK (provenance IS NULL OR json_valid(provenance));
`;

/**
 * Version 4: a lease on each running run (src/store/lease.ts): who trains it and until when, so two
 * live processes never train one run and a crashed process's run can be resumed once it expires.
 */
const SCHEMA_V4 = `
  ALTER TABLE runs ADD COLUMN lease_owner TEXT;
  ALTER TABLE runs ADD COLUMN lease_expires_at INTEGER;
`;

/** Migration i takes the schema from version i to version i + 1; append, never edit. */
const MIGRATIONS: readonly ((db: Db) => void)[] = [(db) => db.exec(SCHEMA_V1), (db) => db.exec(SCHEMA_V2), (db) => db.exec(SCHEMA_V3), (db) => db.exec(SCHEMA_V4)];

/** The schema version this code writes and expects. */
export const RUN_STORE_SCHEMA_VERSION = MIGRATIONS.length;

function readSchemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Bring the schema up to RUN_STORE_SCHEMA_VERSION. Runs in an IMMEDIATE transaction and re-reads
 * the version inside it, so two processes opening a new store at once migrate it exactly once.
 */
export function migrate(db: Db, label: string): void {
  if (readSchemaVersion(db) === RUN_STORE_SCHEMA_VERSION) return;
  db.transaction(() => {
    const version = readSchemaVersion(db);
    if (version > RUN_STORE_SCHEMA_VERSION) {
      throw new StoreError(
        `${label}: run store schema version ${version} is newer than this sgdlab supports (${RUN_STORE_SCHEMA_VERSION}); upgrade sgdlab`,
      );
    }
    if (version === 0) {
      const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).get() as { n: number };
      if (tables.n > 0) throw new StoreError(`${label}: is a SQLite database but not an sgdlab run store`);
    }
    for (let from = version; from < RUN_STORE_SCHEMA_VERSION; from++) {
      MIGRATIONS[from]!(db);
      db.pragma(`user_version = ${from + 1}`);
    }
  }).immediate();
}

interface RunRow {
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
}

interface MetricRow {
  step: number;
  epoch: number;
  metric_values: string;
}

const NON_FINITE_SPELLINGS = new Map<string, number>([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

function encodeMetricValues(values: MetricValues): string {
  return JSON.stringify(values, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? String(value) : value,
  );
}

function decodeMetricValues(json: string): MetricValues {
  return JSON.parse(json, (_key, value: unknown) =>
    typeof value === 'string' && NON_FINITE_SPELLINGS.has(value) ? NON_FINITE_SPELLINGS.get(value) : value,
  ) as MetricValues;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkMetricValues(values: Record<string, unknown>, what: string): MetricValues {
  const checked: MetricValues = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'number') throw new StoreError(`${what}: metric '${name}' must be a number, got ${JSON.stringify(value) ?? typeof value}`);
    checked[name] = value;
  }
  return checked;
}

function checkOptionalText(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '') throw new StoreError(`${what} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function encodeConfig(config: unknown): string {
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

function toRunRecord(row: RunRow): RunRecord {
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
    checkpointPath: row.checkpoint_path,
    final: row.final_metrics === null ? null : decodeMetricValues(row.final_metrics),
    best: row.best_metrics === null ? null : decodeMetricValues(row.best_metrics),
    sweepId: row.sweep_id,
    trialKey: row.trial_key,
    provenance: row.provenance === null ? null : (JSON.parse(row.provenance) as Record<string, unknown>),
  };
}

function encodeProvenance(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new StoreError(`run provenance must be a JSON object, got ${JSON.stringify(value)}`);
  return encodeConfig(value);
}

function isInMemory(path: string): boolean {
  return path === ':memory:' || path === '';
}

export class RunStore {
  // Prepared once per SQL text: appendMetrics may run every few steps of a training loop.
  private readonly statements = new Map<string, Database.Statement>();
  /** This handle's name in lease columns, and the runs it holds. */
  private readonly leaseOwner = newLeaseOwner();
  private readonly leased = new Set<number>();
  private heartbeat: NodeJS.Timeout | undefined;

  private constructor(
    private readonly db: Db,
    /** The path as given, for error messages. */
    readonly path: string,
    private readonly leaseTtlMs: number,
  ) {}

  /** Open (creating if needed, with parent directories) the run store at `path`. */
  static open(path: string = DEFAULT_RUN_STORE_PATH, options: RunStoreOptions = {}): RunStore {
    if (typeof path !== 'string') throw new StoreError(`run store path must be a string, got ${typeof path}`);
    if (options.mustExist === true && !isInMemory(path) && !existsSync(path)) {
      throw new StoreError(`${path}: no run store at this path (check --store)`);
    }
    if (!isInMemory(path)) {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (error) {
        throw new StoreError(`${path}: cannot create the run store directory: ${describeError(error)}`, { cause: error });
      }
    }
    let db: Db;
    try {
      db = new Database(path, { timeout: options.busyTimeoutMs ?? 10_000 });
    } catch (error) {
      throw new StoreError(`${path}: cannot open the run store: ${describeError(error)}`, { cause: error });
    }
    try {
      // The first statement reads the file header: a file that is not SQLite fails here.
      db.pragma('journal_mode = WAL');
      // NORMAL is safe from corruption in WAL mode; only the last commits can be lost on power loss.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, path);
    } catch (error) {
      db.close();
      if (error instanceof StoreError) throw error;
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_NOTADB') throw new StoreError(`${path}: not a SQLite database`, { cause: error });
      throw new StoreError(`${path}: cannot open the run store: ${describeError(error)}`, { cause: error });
    }
    return new RunStore(db, path, options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS);
  }

  /** The schema version recorded in the file. */
  schemaVersion(): number {
    return this.guard(() => readSchemaVersion(this.db));
  }

  /** Record a new run with status 'running'; returns its id. */
  createRun(run: NewRun): number {
    return this.guard(() => {
      if (typeof run !== 'object' || run === null) throw new StoreError('createRun needs {config, seed}');
      if (typeof run.seed !== 'number' || !Number.isSafeInteger(run.seed)) {
        throw new StoreError(`run seed must be an integer, got ${JSON.stringify(run.seed)}`);
      }
      const config = encodeConfig(run.config);
      const name = checkOptionalText(run.name, 'run name');
      const sweepId = checkOptionalText(run.sweepId, 'sweep id');
      const trialKey = checkOptionalText(run.trialKey, 'trial key');
      const provenance = encodeProvenance(run.provenance);
      if ((sweepId === null) !== (trialKey === null)) {
        throw new StoreError('a sweep run needs both a sweep id and a trial key');
      }
      return this.db.transaction(() => {
        if (sweepId !== null) {
          const existing = this.statement('SELECT id FROM runs WHERE sweep_id = ? AND trial_key = ?').get(sweepId, trialKey) as
            | { id: number }
            | undefined;
          if (existing !== undefined) {
            throw new StoreError(`sweep '${sweepId}' already has trial '${trialKey}' (run ${existing.id})`);
          }
        }
        const now = new Date().toISOString();
        const result = this.statement(
          `INSERT INTO runs (created_at, updated_at, name, config, seed, status, sweep_id, trial_key, provenance, lease_owner, lease_expires_at)
           VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)`,
        ).run(now, now, name, config, run.seed, sweepId, trialKey, provenance, this.leaseOwner, Date.now() + this.leaseTtlMs);
        const id = Number(result.lastInsertRowid);
        this.holdLease(id);
        return id;
      }).immediate();
    });
  }

  /**
   * Append one row of metrics. Steps must increase: after resuming from a checkpoint, call
   * `deleteMetricsAfter` first so the replayed steps are not recorded twice.
   */
  appendMetrics(id: number, record: MetricRecord): void {
    this.guard(() => {
      if (typeof record !== 'object' || record === null) throw new StoreError(`run ${id}: metrics must be an object with step and epoch`);
      const { step, epoch, ...rest } = record as Record<string, unknown>;
      if (!isNonNegativeInteger(step)) throw new StoreError(`run ${id}: metrics step must be a non-negative integer, got ${JSON.stringify(step)}`);
      if (typeof epoch !== 'number' || !Number.isFinite(epoch) || epoch < 0) {
        throw new StoreError(`run ${id}: metrics epoch must be a non-negative number, got ${JSON.stringify(epoch)}`);
      }
      const values = checkMetricValues(rest, `run ${id} step ${step}`);
      this.db.transaction(() => {
        const run = this.requireRun(id);
        if (run.status !== 'running') {
          throw new StoreError(`run ${id} is ${run.status}; metrics can only be appended to a running run`);
        }
        this.claimLease(run);
        const last = this.statement('SELECT max(step) AS step FROM metrics WHERE run_id = ?').get(id) as { step: number | null };
        if (last.step !== null && step <= last.step) {
          throw new StoreError(`run ${id} already has metrics up to step ${last.step}; cannot append step ${step}`);
        }
        this.statement('INSERT INTO metrics (run_id, step, epoch, metric_values) VALUES (?, ?, ?, ?)').run(id, step, epoch, encodeMetricValues(values));
        this.touch(id);
      }).immediate();
    });
  }

  /** Remember where the run's latest checkpoint is. */
  setCheckpoint(id: number, path: string): void {
    this.guard(() => {
      if (typeof path !== 'string' || path === '') throw new StoreError(`run ${id}: checkpoint path must be a non-empty string`);
      this.db.transaction(() => {
        this.claimLease(this.requireRun(id));
        this.statement('UPDATE runs SET checkpoint_path = ? WHERE id = ?').run(path, id);
        this.touch(id);
      }).immediate();
    });
  }

  /** Record how a running run ended. */
  finishRun(id: number, outcome: RunOutcome): void {
    this.guard(() => {
      if (typeof outcome !== 'object' || outcome === null || !FINAL_STATUSES.includes(outcome.status)) {
        throw new StoreError(`run ${id}: final status must be one of ${FINAL_STATUSES.join(', ')}, got ${JSON.stringify(outcome?.status)}`);
      }
      const { status } = outcome;
      const final = outcome.final == null ? null : encodeMetricValues(checkMetricValues(outcome.final, `run ${id} final metrics`));
      const best = outcome.best == null ? null : encodeMetricValues(checkMetricValues(outcome.best, `run ${id} best metrics`));
      const error = checkOptionalText(outcome.error, `run ${id}: error message`);
      if (status === 'failed' && error === null) throw new StoreError(`run ${id}: a failed run needs an error message`);
      let divergedAtStep: number | null = null;
      if (status === 'diverged') {
        if (!isNonNegativeInteger(outcome.divergedAtStep)) {
          throw new StoreError(`run ${id}: a diverged run needs divergedAtStep, a non-negative integer, got ${JSON.stringify(outcome.divergedAtStep)}`);
        }
        divergedAtStep = outcome.divergedAtStep;
      } else if (outcome.divergedAtStep !== undefined) {
        throw new StoreError(`run ${id}: divergedAtStep is only for diverged runs, not ${status}`);
      }
      this.db.transaction(() => {
        const run = this.requireRun(id);
        if (run.status !== 'running') throw new StoreError(`run ${id} is already ${run.status}`);
        this.claimLease(run);
        this.statement(
          `UPDATE runs SET status = ?, final_metrics = ?, best_metrics = ?, error = ?, diverged_at_step = ?, updated_at = ?,
           lease_owner = NULL, lease_expires_at = NULL WHERE id = ?`,
        ).run(status, final, best, error, divergedAtStep, new Date().toISOString(), id);
        this.leased.delete(id);
      }).immediate();
    });
  }

  /**
   * Set an unfinished run (running, or failed) back to 'running' under this handle's lease, to resume
   * it from its checkpoint; clears how it ended, since the resumed run will record that again. A
   * finished or diverged run is a result and is never reopened; a run leased by another live process
   * is refused.
   */
  reopenRun(id: number): void {
    this.guard(() => {
      this.db.transaction(() => {
        const run = this.requireRun(id);
        if (run.status === 'finished' || run.status === 'diverged') {
          throw new StoreError(`run ${id} is ${run.status}; only an unfinished (running or failed) run can be resumed`);
        }
        this.claimLease(run);
        this.statement(
          `UPDATE runs SET status = 'running', final_metrics = NULL, best_metrics = NULL, error = NULL,
           diverged_at_step = NULL, updated_at = ? WHERE id = ?`,
        ).run(new Date().toISOString(), id);
      }).immediate();
    });
  }

  /**
   * Record the provenance of a process that resumes the run: appended to the run's `resumedBy`
   * unless it equals the creating process's or the last resuming one's (a run created before
   * provenance was recorded has none of its own, only `resumedBy`).
   */
  noteResumedBy(id: number, provenance: Record<string, unknown>): void {
    this.guard(() => {
      const encoded = encodeProvenance(provenance)!;
      this.db.transaction(() => {
        const row = this.requireRun(id);
        const { resumedBy, ...own } = JSON.parse(row.provenance ?? '{}') as Record<string, unknown> & { resumedBy?: unknown[] };
        const earlier = [own, ...(Array.isArray(resumedBy) ? resumedBy : [])];
        if (JSON.stringify(earlier.at(-1)) === encoded || JSON.stringify(own) === encoded) return;
        const updated = { ...own, resumedBy: [...earlier.slice(1), JSON.parse(encoded) as unknown] };
        this.statement('UPDATE runs SET provenance = ? WHERE id = ?').run(encodeConfig(updated), id);
      }).immediate();
    });
  }

  /**
   * Record a sweep's spec under its id, or replace it (a sweep id names its trials, so a spec saved
   * again under the same id differs at most in how it is scored).
   */
  saveSweep(sweep: { id: string; name: string; spec: unknown }): void {
    this.guard(() => {
      const id = checkOptionalText(sweep.id, 'sweep id');
      const name = checkOptionalText(sweep.name, 'sweep name');
      if (id === null || name === null) throw new StoreError('a sweep needs an id and a name');
      const spec = encodeConfig(sweep.spec);
      const now = new Date().toISOString();
      this.statement(
        `INSERT INTO sweeps (id, name, created_at, updated_at, spec) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, spec = excluded.spec, updated_at = excluded.updated_at`,
      ).run(id, name, now, now, spec);
    });
  }

  /** The sweep recorded under this id, or undefined. */
  findSweep(id: string): SweepRecord | undefined {
    return this.guard(() => {
      const row = this.statement('SELECT * FROM sweeps WHERE id = ?').get(id) as
        | { id: string; name: string; created_at: string; updated_at: string; spec: string }
        | undefined;
      return row && { id: row.id, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at, spec: JSON.parse(row.spec) as unknown };
    });
  }

  /** Ids and names of all recorded sweeps, oldest first. */
  listSweeps(): { id: string; name: string; createdAt: string }[] {
    return this.guard(() =>
      (this.statement('SELECT id, name, created_at FROM sweeps ORDER BY created_at, id').all() as { id: string; name: string; created_at: string }[]).map(
        (r) => ({ id: r.id, name: r.name, createdAt: r.created_at }),
      ),
    );
  }

  getRun(id: number): RunRecord {
    return this.guard(() => toRunRecord(this.requireRun(id)));
  }

  listRuns(query: RunQuery = {}): RunRecord[] {
    return this.guard(() => {
      const conditions: string[] = [];
      const parameters: (string | number)[] = [];
      if (query.status !== undefined) {
        if (query.status !== 'running' && !FINAL_STATUSES.includes(query.status)) {
          throw new StoreError(`unknown run status ${JSON.stringify(query.status)}`);
        }
        conditions.push('status = ?');
        parameters.push(query.status);
      }
      if (query.sweepId !== undefined) {
        conditions.push('sweep_id = ?');
        parameters.push(checkOptionalText(query.sweepId, 'sweep id')!);
      }
      let sql = 'SELECT * FROM runs';
      if (conditions.length > 0) sql += ` WHERE ${conditions.join(' AND ')}`;
      sql += query.newestFirst === true ? ' ORDER BY id DESC' : ' ORDER BY id ASC';
      if (query.limit !== undefined) {
        if (!isNonNegativeInteger(query.limit)) throw new StoreError(`run list limit must be a non-negative integer, got ${JSON.stringify(query.limit)}`);
        sql += ' LIMIT ?';
        parameters.push(query.limit);
      }
      return (this.statement(sql).all(...parameters) as RunRow[]).map(toRunRecord);
    });
  }

  /** The run's metric history in step order. */
  metrics(id: number): MetricRecord[] {
    return this.guard(() => {
      this.requireRun(id);
      const rows = this.statement('SELECT step, epoch, metric_values FROM metrics WHERE run_id = ? ORDER BY step').all(id) as MetricRow[];
      return rows.map((row) => ({ step: row.step, epoch: row.epoch, ...decodeMetricValues(row.metric_values) }) as MetricRecord);
    });
  }

  /** Delete the metrics recorded after `step` (a resumed run replays them); returns how many. A finished or diverged run's are kept. */
  deleteMetricsAfter(id: number, step: number): number {
    return this.guard(() => {
      if (!isNonNegativeInteger(step)) throw new StoreError(`run ${id}: step must be a non-negative integer, got ${JSON.stringify(step)}`);
      return this.db.transaction(() => {
        const run = this.requireRun(id);
        if (run.status === 'finished' || run.status === 'diverged') {
          throw new StoreError(`run ${id} is ${run.status}; only an unfinished (running or failed) run can be resumed`);
        }
        this.claimLease(run);
        const deleted = this.statement('DELETE FROM metrics WHERE run_id = ? AND step > ?').run(id, step).changes;
        if (deleted > 0) this.touch(id);
        return deleted;
      }).immediate();
    });
  }

  /** Close the database, giving up this handle's leases; further calls fail with a StoreError. Closing twice is harmless. */
  close(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (!this.db.open) return;
    if (this.leased.size > 0) {
      try {
        this.statement('UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ?').run(this.leaseOwner);
      } catch {
        // a busy store: the leases expire on their own
      }
      this.leased.clear();
    }
    this.db.close();
  }

  /** The lease on a run, if a live process holds one that has not expired. */
  leaseOf(id: number): { owner: string; expiresAt: number } | undefined {
    return this.guard(() => {
      const run = this.requireRun(id);
      return run.lease_owner !== null && run.lease_expires_at !== null && leaseBlocks(run.lease_owner, run.lease_expires_at, Date.now())
        ? { owner: run.lease_owner, expiresAt: run.lease_expires_at }
        : undefined;
    });
  }

  /** Take or renew this handle's lease on a run inside the caller's transaction; refuse a live lease of another. */
  private claimLease(run: RunRow): void {
    if (run.lease_owner !== null && run.lease_owner !== this.leaseOwner && leaseBlocks(run.lease_owner, run.lease_expires_at, Date.now())) {
      throw new StoreError(
        `run ${run.id} is being trained by another process (${describeLeaseOwner(run.lease_owner)}); its lease expires at ${new Date(run.lease_expires_at!).toISOString()} unless renewed`,
      );
    }
    this.statement('UPDATE runs SET lease_owner = ?, lease_expires_at = ? WHERE id = ?').run(this.leaseOwner, Date.now() + this.leaseTtlMs, run.id);
    this.holdLease(run.id);
  }

  /** Heartbeat: renew every lease this handle holds, a few times per lease period, without keeping the process alive. */
  private holdLease(id: number): void {
    this.leased.add(id);
    if (this.heartbeat !== undefined) return;
    this.heartbeat = setInterval(() => {
      if (!this.db.open || this.leased.size === 0) return;
      try {
        this.statement(`UPDATE runs SET lease_expires_at = ? WHERE lease_owner = ? AND status = 'running'`).run(Date.now() + this.leaseTtlMs, this.leaseOwner);
      } catch {
        // busy: the next beat or write renews it
      }
    }, Math.max(10, Math.floor(this.leaseTtlMs / 4)));
    this.heartbeat.unref();
  }

  private statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (prepared === undefined) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  private requireRun(id: number): RunRow {
    if (!Number.isSafeInteger(id) || id <= 0) throw new StoreError(`invalid run id ${JSON.stringify(id)}`);
    const row = this.statement('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    if (row === undefined) throw new StoreError(`run ${id} not found`);
    return row;
  }

  private touch(id: number): void {
    this.statement('UPDATE runs SET updated_at = ? WHERE id = ?').run(new Date().toISOString(), id);
  }

  /** Run a store operation, turning SQLite's errors into one-line StoreErrors naming the file. */
  private guard<T>(operation: () => T): T {
    if (!this.db.open) throw new StoreError(`${this.path}: run store is closed`);
    try {
      return operation();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      if (error instanceof Database.SqliteError) {
        const reason = error.code === 'SQLITE_BUSY' ? 'database is busy (another process holds the write lock)' : error.message;
        throw new StoreError(`${this.path}: ${reason}`, { cause: error });
      }
      throw error;
    }
  }
}
