// Run stores as earlier sgdlab versions left them, for the migration tests: the SQL of each schema
// version written out here and never derived from the migrations under test (src/store/schema.ts).

import Database from 'better-sqlite3';

// Frozen: the schema as each earlier sgdlab left a store, written out here and never derived from
// the migrations under test (a migration edited by mistake cannot change its own fixture).
export const V1_SQL = `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, name TEXT,
    config TEXT NOT NULL CHECK (json_valid(config)), seed INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'diverged', 'failed')),
    error TEXT, diverged_at_step INTEGER, checkpoint_path TEXT,
    final_metrics TEXT CHECK (final_metrics IS NULL OR json_valid(final_metrics)),
    best_metrics TEXT CHECK (best_metrics IS NULL OR json_valid(best_metrics)),
    sweep_id TEXT, trial_key TEXT, UNIQUE (sweep_id, trial_key)
  );
  CREATE INDEX runs_by_status ON runs (status);
  CREATE INDEX runs_by_sweep ON runs (sweep_id);
  CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE, step INTEGER NOT NULL, epoch REAL NOT NULL,
    metric_values TEXT NOT NULL CHECK (json_valid(metric_values)), PRIMARY KEY (run_id, step)
  ) WITHOUT ROWID;
`;
export const V2_SQL = `${V1_SQL}
  CREATE TABLE sweeps (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, spec TEXT NOT NULL CHECK (json_valid(spec)));
`;
export const V3_SQL = `${V2_SQL}
  ALTER TABLE runs ADD COLUMN provenance TEXT CHECK (provenance IS NULL OR json_valid(provenance));
`;
export const V4_SQL = `${V3_SQL}
  ALTER TABLE runs ADD COLUMN lease_owner TEXT;
  ALTER TABLE runs ADD COLUMN lease_expires_at INTEGER;
`;

export const V1_ROWS = `
  INSERT INTO runs (created_at, updated_at, config, seed, status, final_metrics, best_metrics, sweep_id, trial_key)
    VALUES ('2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z', '{"lr":0.5}', 3, 'finished', '{"test_acc":0.9,"train_loss":"NaN"}', '{"test_acc":0.91}', 's-1', 'seed=3');
  INSERT INTO runs (created_at, updated_at, config, seed, status, error) VALUES ('2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', '{"lr":8}', 0, 'failed', 'boom');
  INSERT INTO metrics (run_id, step, epoch, metric_values) VALUES (1, 10, 1, '{"test_acc":0.9,"train_loss":"Infinity"}');
`;

export interface Fixture {
  sql: string;
  rows: string;
  /** What the upgraded store must still say about the fixture's first run. */
  provenance: Record<string, unknown> | null;
  sweepName?: string;
}

/** One row per earlier schema version; the test below demands a row for every one of them. */
export const FIXTURES: Record<number, Fixture> = {
  0: { sql: '', rows: '', provenance: null },
  1: { sql: V1_SQL, rows: V1_ROWS, provenance: null },
  2: { sql: V2_SQL, rows: `${V1_ROWS} INSERT INTO sweeps VALUES ('s-1', 'first', '2026-01-01', '2026-01-01', '{"axes":{}}');`, provenance: null, sweepName: 'first' },
  3: {
    sql: V3_SQL,
    rows: `${V1_ROWS} INSERT INTO sweeps VALUES ('s-1', 'first', '2026-01-01', '2026-01-01', '{"axes":{}}'); UPDATE runs SET provenance = '{"sgdlab":"0.1.0"}' WHERE id = 1;`,
    provenance: { sgdlab: '0.1.0' },
    sweepName: 'first',
  },
  // Run 1's checkpoint as version 4 wrote it: relative to the directory the trainer ran in, not to the store.
  4: {
    sql: V4_SQL,
    rows: `${V1_ROWS} INSERT INTO sweeps VALUES ('s-1', 'first', '2026-01-01', '2026-01-01', '{"axes":{}}'); UPDATE runs SET provenance = '{"sgdlab":"0.1.0"}', checkpoint_path = 'elsewhere/checkpoints/runs.sqlite/run-1.safetensors' WHERE id = 1;`,
    provenance: { sgdlab: '0.1.0' },
    sweepName: 'first',
  },
};

/** Write a store of an earlier schema `version` at `path`: its tables, and its rows unless `empty`. */
export function writeOldStore(path: string, version: number, options: { empty?: boolean } = {}): void {
  const fixture = FIXTURES[version];
  if (!fixture) throw new Error(`no fixture for schema version ${version}`);
  const db = new Database(path);
  try {
    db.exec(fixture.sql + (options.empty ? '' : fixture.rows));
    db.pragma(`user_version = ${version}`);
  } finally {
    db.close();
  }
}
