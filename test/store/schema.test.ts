// The run store's schema (src/store/schema.ts): a store of every earlier version, built from a frozen
// copy of the SQL that sgdlab version wrote, upgrades in place and keeps its rows; and a file that is
// not a sound store (another program's database, a corrupt index) is refused before anything is written.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RUN_STORE_SCHEMA_VERSION, RunStore, StoreError } from '../../src/store/index.ts';
import { FIXTURES, writeOldStore } from './schema-fixtures.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'sgdlab-schema-'));

test('a fixture exists for every earlier schema version', () => {
  assert.deepEqual(Object.keys(FIXTURES).map(Number), Array.from({ length: RUN_STORE_SCHEMA_VERSION }, (_, v) => v));
});

for (const [version, fixture] of Object.entries(FIXTURES)) {
  test(`a version-${version} store upgrades to version ${RUN_STORE_SCHEMA_VERSION} and keeps its runs`, () => {
    const path = join(tempDir(), 'runs.sqlite');
    writeOldStore(path, Number(version));

    const store = RunStore.open(path);
    try {
      assert.equal(store.schemaVersion(), RUN_STORE_SCHEMA_VERSION);
      if (fixture.rows !== '') {
        const first = store.getRun(1);
        assert.deepEqual(first.config, { lr: 0.5 });
        assert.equal(first.status, 'finished');
        assert.deepEqual(first.final, { test_acc: 0.9, train_loss: NaN });
        assert.equal(first.trialKey, 'seed=3');
        assert.deepEqual(first.provenance, fixture.provenance);
        assert.deepEqual(store.metrics(1), [{ step: 10, epoch: 1, test_acc: 0.9, train_loss: Infinity }]);
        assert.equal(store.getRun(2).error, 'boom');
        assert.equal(store.leaseOf(1), undefined);
      }
      assert.equal(store.findSweep('s-1')?.name, fixture.sweepName);
      // Every later feature works on the upgraded file: sweeps, provenance, leases.
      store.saveSweep({ id: 's-2', name: 'second', spec: {} });
      const id = store.createRun({ config: { lr: 1 }, seed: 1, sweepId: 's-2', trialKey: 'k', provenance: { sgdlab: 'now' } });
      assert.ok(store.leaseOf(id));
      store.finishRun(id, { status: 'finished' });
    } finally {
      store.close();
    }
    // The upgraded file passes the same checks as a store created at the current version.
    RunStore.open(path).close();
  });
}

/** The bytes of every file in a folder, to show that nothing was written. */
function snapshot(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name)).toString('base64')]));
}

test("another program's SQLite database is refused unchanged: no WAL switch, no -wal/-shm files", () => {
  const dir = tempDir();
  const cases: [string, string, RegExp][] = [
    ['customers.sqlite', 'CREATE TABLE customers (id INTEGER PRIMARY KEY); INSERT INTO customers VALUES (1);', /customers\.sqlite: is a SQLite database but not an sgdlab run store$/],
    // Sets user_version like a store and even has a runs table, but not sgdlab's columns.
    ['lookalike.sqlite', `CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT); PRAGMA user_version = ${RUN_STORE_SCHEMA_VERSION};`, /lookalike\.sqlite: is a SQLite database but not an sgdlab run store \(its tables are not those of schema version \d+\)$/],
    ['older-lookalike.sqlite', 'CREATE TABLE runs (id INTEGER PRIMARY KEY); PRAGMA user_version = 2;', /not those of schema version 2\)$/],
  ];
  for (const [name, sql] of cases) {
    const db = new Database(join(dir, name));
    db.exec(sql);
    db.close();
  }
  const before = snapshot(dir);
  for (const [name, , message] of cases) {
    assert.throws(() => RunStore.open(join(dir, name)), (e: unknown) => e instanceof StoreError && message.test(e.message), name);
  }
  assert.deepEqual(snapshot(dir), before, 'no file changed, none created');
  const db = new Database(join(dir, 'customers.sqlite'), { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'delete');
  db.close();
});

test('a store whose index is corrupt is refused on open (PRAGMA quick_check), not listed as empty', () => {
  const dir = tempDir();
  const path = join(dir, 'runs.sqlite');
  const store = RunStore.open(path);
  for (let seed = 0; seed < 5; seed++) store.finishRun(store.createRun({ config: {}, seed }), { status: 'finished' });
  store.close();
  // Fold the WAL into the file, then overwrite the cells of the status index's root page.
  const db = new Database(path);
  db.pragma('journal_mode = DELETE');
  const { rootpage } = db.prepare(`SELECT rootpage FROM sqlite_master WHERE name = 'runs_by_status'`).get() as { rootpage: number };
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const bytes = readFileSync(path);
  bytes.fill(0xff, (rootpage - 1) * pageSize + 8, (rootpage - 1) * pageSize + 200);
  writeFileSync(path, bytes);
  assert.throws(() => RunStore.open(path), (e: unknown) => e instanceof StoreError && /runs\.sqlite: the run store is corrupt \(SQLite quick_check: .+\); restore it/.test(e.message) && !e.message.includes('\n'));
  assert.equal(existsSync(`${path}-wal`), false, 'the corrupt file is not switched to WAL');
});

test('a checkpoint is recorded relative to the store, so the store and its checkpoints move together', () => {
  const root = tempDir();
  const path = join(root, 'a', 'runs.sqlite');
  mkdirSync(join(root, 'a', 'checkpoints', 'runs.sqlite'), { recursive: true });
  const store = RunStore.open(path);
  const id = store.createRun({ config: {}, seed: 0 });
  store.setCheckpoint(id, join(root, 'a', 'checkpoints', 'runs.sqlite', `run-${id}.safetensors`));
  store.close();
  const raw = new Database(path, { readonly: true });
  assert.deepEqual(raw.prepare('SELECT checkpoint_file, checkpoint_path FROM runs WHERE id = ?').get(id), { checkpoint_file: join('checkpoints', 'runs.sqlite', `run-${id}.safetensors`), checkpoint_path: null });
  raw.close();
  // The folder renamed (another machine, another checkout): the store still finds its checkpoint.
  renameSync(join(root, 'a'), join(root, 'b'));
  const moved = RunStore.open(join(root, 'b', 'runs.sqlite'));
  try {
    assert.equal(moved.getRun(id).checkpointPath, join(root, 'b', 'checkpoints', 'runs.sqlite', `run-${id}.safetensors`));
  } finally {
    moved.close();
  }
});

test("a version-4 row's checkpoint, written relative to a trainer's directory, is found in the store's checkpoint folder", () => {
  const dir = tempDir();
  const path = join(dir, 'runs.sqlite');
  writeOldStore(path, 4);
  const store = RunStore.open(path);
  try {
    // Not there yet: the path stays as written, so the error that follows names what the row says.
    assert.equal(store.getRun(1).checkpointPath, 'elsewhere/checkpoints/runs.sqlite/run-1.safetensors');
    mkdirSync(join(dir, 'checkpoints', 'runs.sqlite'), { recursive: true });
    writeFileSync(join(dir, 'checkpoints', 'runs.sqlite', 'run-1.safetensors'), '');
    assert.equal(store.getRun(1).checkpointPath, join(dir, 'checkpoints', 'runs.sqlite', 'run-1.safetensors'));
  } finally {
    store.close();
  }
});
