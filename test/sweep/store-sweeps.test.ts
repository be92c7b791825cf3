// The store's sweeps table (schema version 2): a version-1 store gains it on open and keeps its
// runs, and a sweep's spec saved again under its id is replaced (its scoring may change).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RUN_STORE_SCHEMA_VERSION, RunStore } from '../../src/store/index.ts';
import { tempDir } from './helpers.ts';

test('a version-1 run store is upgraded in place: its runs stay, sweeps can be saved and read back', () => {
  const path = join(tempDir(), 'v1.sqlite');
  const store = RunStore.open(path);
  const id = store.createRun({ config: { lr: 0.1 }, seed: 3, sweepId: 's-1', trialKey: 'seed=3' });
  store.finishRun(id, { status: 'finished', final: { best_test_acc: 0.9 } });
  store.close();
  // Take the file back to version 1, as an sgdlab from before sweeps left it.
  const db = new Database(path);
  db.exec('DROP TABLE sweeps; ALTER TABLE runs DROP COLUMN lease_owner; ALTER TABLE runs DROP COLUMN lease_expires_at');
  db.exec('ALTER TABLE runs DROP COLUMN provenance');
  db.pragma('user_version = 1');
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
