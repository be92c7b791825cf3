// The store's sweeps table (schema version 2): a version-1 store gains it on open and keeps its
// runs, and a sweep's spec saved again under its id is replaced (its scoring may change).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RUN_STORE_SCHEMA_VERSION, RunStore } from '../../src/store/index.ts';
import { tempDir } from './helpers.ts';
import { writeOldStore } from '../store/schema-fixtures.ts';

test('a version-1 run store is upgraded in place: its runs stay, sweeps can be saved and read back', () => {
  // A version-1 store, as an sgdlab from before sweeps left it, with one finished sweep run.
  const path = join(tempDir(), 'v1.sqlite');
  writeOldStore(path, 1, { empty: true });
  const db = new Database(path);
  const id = Number(db.prepare(`INSERT INTO runs (created_at, updated_at, config, seed, status, final_metrics, sweep_id, trial_key)
    VALUES ('2026-01-01', '2026-01-01', '{"lr":0.1}', 3, 'finished', '{"best_test_acc":0.9}', 's-1', 'seed=3')`).run().lastInsertRowid);
  db.close();

  const upgraded = RunStore.open(path);
  try {
    assert.equal(upgraded.schemaVersion(), RUN_STORE_SCHEMA_VERSION);
    assert.equal(upgraded.getRun(id).provenance, null);
    assert.equal(upgraded.getRun(id).final!.best_test_acc, 0.9);
    assert.equal(upgraded.findSweep('s-1'), undefined);
    upgraded.saveSweep({ id: 's-1', name: 'first', spec: { scoring: { best: 5 } } });
    upgraded.saveSweep({ id: 's-1', name: 'first', spec: { scoring: { best: 3 } } });
    assert.deepEqual(upgraded.findSweep('s-1')!.spec, { scoring: { best: 3 } });
    assert.deepEqual(upgraded.listSweeps().map((s) => s.id), ['s-1']);
    assert.throws(() => upgraded.saveSweep({ id: '', name: 'x', spec: {} }), /sweep id must be a non-empty string/);
  } finally {
    upgraded.close();
  }
});
