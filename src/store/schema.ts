// The run store's schema: its versions, the migrations between them, and the checks a file must pass
// before sgdlab writes to it (its schema is one sgdlab wrote, and SQLite finds its pages intact).
//
// The schema is versioned with PRAGMA user_version. Migration i takes version i to i + 1; migrations
// are appended, never edited, and test/store/schema.test.ts upgrades a fixture of every earlier version.

import Database from 'better-sqlite3';
import { StoreError } from './errors.ts';

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

/**
 * Version 5: a run's checkpoint as a path relative to the store's folder, so a store resumes from any
 * directory and moves with its checkpoints. Versions up to 4 wrote checkpoint_path relative to the working
 * directory of the process that saved it; those rows keep it, and are read as src/store/codecs.ts says.
 */
const SCHEMA_V5 = `
  ALTER TABLE runs ADD COLUMN checkpoint_file TEXT;
`;

/** Migration i takes the schema from version i to version i + 1; append, never edit. */
const MIGRATIONS: readonly ((db: Db) => void)[] = [
  (db) => db.exec(SCHEMA_V1),
  (db) => db.exec(SCHEMA_V2),
  (db) => db.exec(SCHEMA_V3),
  (db) => db.exec(SCHEMA_V4),
  (db) => db.exec(SCHEMA_V5),
];

/** The schema version this code writes and expects. */
export const RUN_STORE_SCHEMA_VERSION = MIGRATIONS.length;

/** @internal (takes better-sqlite3's handle: kept out of the published declarations) */
export function readSchemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Bring the schema up to RUN_STORE_SCHEMA_VERSION. Runs in an IMMEDIATE transaction and re-reads
 * the version inside it, so two processes opening a new store at once migrate it exactly once.
 * @internal (takes better-sqlite3's handle: kept out of the published declarations)
 */
export function migrate(db: Db, label: string): void {
  if (readSchemaVersion(db) === RUN_STORE_SCHEMA_VERSION) return;
  db.transaction(() => {
    const version = readSchemaVersion(db);
    checkVersion(db, version, label);
    if (version === 0 && tableShapes(db).size > 0) throw new StoreError(`${label}: is a SQLite database but not an sgdlab run store`);
    for (let from = version; from < RUN_STORE_SCHEMA_VERSION; from++) {
      MIGRATIONS[from]!(db);
      db.pragma(`user_version = ${from + 1}`);
    }
  }).immediate();
}

function checkVersion(db: Db, version: number, label: string): void {
  if (version > RUN_STORE_SCHEMA_VERSION) {
    throw new StoreError(`${label}: run store schema version ${version} is newer than this sgdlab supports (${RUN_STORE_SCHEMA_VERSION}); upgrade sgdlab`);
  }
  if (version < 0) throw new StoreError(`${label}: is a SQLite database but not an sgdlab run store (user_version ${version})`);
}

/** Table name → its column names in order: what a schema version looks like from outside. */
type TableShapes = Map<string, string[]>;

function tableShapes(db: Db): TableShapes {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[];
  // table_info takes no bound parameter: the name is quoted as an identifier.
  return new Map(tables.map(({ name }) => [name, (db.pragma(`table_info("${name.replace(/"/g, '""')}")`) as { name: string }[]).map((c) => c.name)]));
}

const expectedShapes = new Map<number, TableShapes>();

/** The tables and columns that migrations 0..version-1 create, built once in memory. */
function expectedShapesOf(version: number): TableShapes {
  let shapes = expectedShapes.get(version);
  if (!shapes) {
    const db = new Database(':memory:');
    try {
      for (let from = 0; from < version; from++) MIGRATIONS[from]!(db);
      shapes = tableShapes(db);
    } finally {
      db.close();
    }
    expectedShapes.set(version, shapes);
  }
  return shapes;
}

/**
 * Check an existing store file through a read-only handle, before anything writes to it: its
 * schema is exactly what sgdlab's migrations made at its recorded version (so another program's
 * database, even one that sets user_version, is refused untouched), and PRAGMA quick_check finds
 * its pages and indexes well formed (a store with a corrupt index would answer queries wrongly).
 * @internal (takes better-sqlite3's handle: kept out of the published declarations)
 */
export function checkStoreFile(db: Db, label: string): void {
  const version = readSchemaVersion(db);
  checkVersion(db, version, label);
  const found = tableShapes(db);
  const expected = expectedShapesOf(version);
  if (version === 0 && found.size > 0) throw new StoreError(`${label}: is a SQLite database but not an sgdlab run store`);
  const differs =
    found.size !== expected.size || [...expected].some(([table, columns]) => found.get(table)?.join(',') !== columns.join(','));
  if (differs) {
    throw new StoreError(`${label}: is a SQLite database but not an sgdlab run store (its tables are not those of schema version ${version})`);
  }
  const problems = (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
  if (problems.length !== 1 || problems[0] !== 'ok') {
    const first = (problems[0] ?? '').split('\n').find((line) => line.trim() !== '' && !line.startsWith('***')) ?? 'unknown problem';
    throw new StoreError(`${label}: the run store is corrupt (SQLite quick_check: ${first}); restore it from a copy, or re-import committed results with sgdlab sweep import`);
  }
}
