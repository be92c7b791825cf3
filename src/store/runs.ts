// The run store: one SQLite file that records every training run, its metrics over time, its
// checkpoint and how it ended, so sweeps can be resumed and reports can query results with SQL.
// Its schema and migrations are in schema.ts, the encoding of its rows in codecs.ts.
//
// Durability: WAL mode and one transaction per write, so a crash (or a kill) mid-write loses at
// most that write and never corrupts earlier runs; a busy timeout lets several processes (sweep
// workers) write to the same file.
//
// Opening is careful with files it did not make: an existing file is first opened read-only and its
// schema and integrity checked (schema.ts), so another program's database is refused unchanged (no
// WAL switch, no -wal/-shm files); a new store needs its folder to exist, except the default one.

import Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { StoreError, describeError } from './errors.ts';
import { leaseBlocks, newLeaseOwner, describeLeaseOwner, DEFAULT_LEASE_TTL_MS } from './lease.ts';
import { checkStoreFile, migrate, readSchemaVersion } from './schema.ts';
import {
  FINAL_STATUSES,
  checkMetricValues,
  checkOptionalText,
  decodeMetricValues,
  encodeConfig,
  encodeMetricValues,
  encodeProvenance,
  isNonNegativeInteger,
  toRunRecord,
  type MetricRecord,
  type MetricRow,
  type NewRun,
  type RunOutcome,
  type RunQuery,
  type RunRecord,
  type RunRow,
  type SweepRecord,
} from './codecs.ts';


export const DEFAULT_RUN_STORE_PATH = './sgdlab-runs/runs.sqlite';

export interface RunStoreOptions {
  /** How long a write waits for another process's write to finish before failing. */
  busyTimeoutMs?: number;
  /** How long a run stays leased to this handle without a heartbeat (default 10 minutes). */
  leaseTtlMs?: number;
  /** Refuse to create a store that does not exist yet (commands that only read). */
  mustExist?: boolean;
}

type Db = Database.Database;

function isInMemory(path: string): boolean {
  return path === ':memory:' || path === '';
}

/** SQLite's refusals of a file as one-line StoreErrors naming it. */
function openError(path: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_NOTADB') return new StoreError(`${path}: not a SQLite database`, { cause: error });
  if (code === 'SQLITE_CORRUPT') return new StoreError(`${path}: the run store is corrupt (${describeError(error)})`, { cause: error });
  return new StoreError(`${path}: cannot open the run store: ${describeError(error)}`, { cause: error });
}

/** Check a file that exists through a read-only handle: nothing is written to a file that is not a sound store. */
function checkExistingStore(path: string, timeout: number): void {
  if (statSync(path).isDirectory()) throw new StoreError(`${path}: cannot open the run store: is a directory`);
  let readOnly: Db;
  try {
    readOnly = new Database(path, { readonly: true, fileMustExist: true, timeout });
  } catch (error) {
    throw openError(path, error);
  }
  try {
    // The first statement reads the file header: a file that is not SQLite fails here.
    checkStoreFile(readOnly, path);
  } catch (error) {
    throw openError(path, error);
  } finally {
    readOnly.close();
  }
}

/** A store still to be created: refuse a missing folder (a typo in --store) unless it is the default ./sgdlab-runs/. */
function prepareNewStore(path: string, options: RunStoreOptions): void {
  if (options.mustExist === true) throw new StoreError(`${path}: no run store at this path (check --store)`);
  const folder = dirname(path);
  if (existsSync(folder)) {
    if (!statSync(folder).isDirectory()) throw new StoreError(`${path}: ${folder} is not a folder`);
    return;
  }
  // The default folder (./sgdlab-runs/) holds any store named in it, as the reproduction scripts do.
  if (resolve(folder) !== resolve(dirname(DEFAULT_RUN_STORE_PATH))) throw new StoreError(`${path}: folder ${folder} does not exist (check --store, or create the folder)`);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new StoreError(`${path}: cannot create the run store directory: ${describeError(error)}`, { cause: error });
  }
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

  /**
   * Open the run store at `path`, creating it if needed (its folder must exist, except the default
   * folder ./sgdlab-runs/, which is created). An existing file is checked read-only first.
   */
  static open(path: string = DEFAULT_RUN_STORE_PATH, options: RunStoreOptions = {}): RunStore {
    if (typeof path !== 'string') throw new StoreError(`run store path must be a string, got ${typeof path}`);
    const timeout = options.busyTimeoutMs ?? 10_000;
    if (!isInMemory(path)) {
      if (existsSync(path)) checkExistingStore(path, timeout);
      else prepareNewStore(path, options);
    }
    let db: Db;
    try {
      db = new Database(path, { timeout });
    } catch (error) {
      throw new StoreError(`${path}: cannot open the run store: ${describeError(error)}`, { cause: error });
    }
    try {
      db.pragma('journal_mode = WAL');
      // NORMAL is safe from corruption in WAL mode; only the last commits can be lost on power loss.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, path);
    } catch (error) {
      db.close();
      throw openError(path, error);
    }
    return new RunStore(db, path, options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS);
  }

  /** The store's file, or null for an in-memory store (its checkpoints are named by absolute paths). */
  private get fileOrNull(): string | null {
    return isInMemory(this.path) ? null : this.path;
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
        // Relative to the store's folder (schema version 5): the store resumes from any directory.
        const file = this.fileOrNull === null ? resolve(path) : relative(dirname(resolve(this.fileOrNull)), resolve(path));
        this.statement('UPDATE runs SET checkpoint_file = ?, checkpoint_path = NULL WHERE id = ?').run(file, id);
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
    return this.guard(() => toRunRecord(this.requireRun(id), this.fileOrNull));
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
      return (this.statement(sql).all(...parameters) as RunRow[]).map((row) => toRunRecord(row, this.fileOrNull));
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
