// Leases on running runs: two live handles never write one run; a lease of a dead process on this
// host, or an expired one of another host, is taken over; finished and diverged runs stay closed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RunStore, StoreError } from '../../src/store/index.ts';

const fresh = () => join(mkdtempSync(join(tmpdir(), 'sgdlab-lease-')), 'runs.sqlite');

test('a second live handle cannot write, resume or finish a run the first one trains; after close it can', () => {
  const path = fresh();
  const a = RunStore.open(path);
  const b = RunStore.open(path);
  try {
    const id = a.createRun({ config: { lr: 1 }, seed: 0 });
    a.appendMetrics(id, { step: 1, epoch: 1, train_loss: 1 });
    const held = new RegExp(`run ${id} is being trained by another process \\(pid ${process.pid} on .*\\); its lease expires at `);
    assert.throws(() => b.reopenRun(id), (e: Error) => e instanceof StoreError && held.test(e.message));
    assert.throws(() => b.appendMetrics(id, { step: 2, epoch: 2 }), held);
    assert.throws(() => b.deleteMetricsAfter(id, 0), held);
    assert.throws(() => b.setCheckpoint(id, 'x.safetensors'), held);
    assert.throws(() => b.finishRun(id, { status: 'failed', error: 'x' }), held);
    assert.deepEqual(b.metrics(id).map((m) => m.step), [1], 'nothing changed');
    assert.ok(b.leaseOf(id));
    a.close(); // an interrupted run gives its lease back
    assert.equal(b.leaseOf(id), undefined);
    b.reopenRun(id);
    b.appendMetrics(id, { step: 2, epoch: 2 });
    b.finishRun(id, { status: 'finished' });
    assert.equal(b.leaseOf(id), undefined, 'a finished run holds no lease');
  } finally {
    a.close();
    b.close();
  }
});

test("another host's lease blocks until it expires; a heartbeat keeps a live one", async () => {
  const path = fresh();
  const a = RunStore.open(path, { leaseTtlMs: 80 });
  const id = a.createRun({ config: { lr: 1 }, seed: 0 });
  await new Promise((r) => setTimeout(r, 250));
  assert.ok(a.leaseOf(id), 'renewed by the heartbeat past three lease periods');
  a.close();
  const db = new Database(path);
  db.prepare('UPDATE runs SET lease_owner = ?, lease_expires_at = ? WHERE id = ?').run('far-away-host:4242:0abc', Date.now() + 150, id);
  db.close();
  const b = RunStore.open(path);
  try {
    assert.throws(() => b.reopenRun(id), /being trained by another process \(pid 4242 on far-away-host\)/);
    await new Promise((r) => setTimeout(r, 200));
    b.reopenRun(id); // expired: the crashed worker's run is resumable
    assert.match(b.leaseOf(id)!.owner, new RegExp(`:${process.pid}:`));
  } finally {
    b.close();
  }
});

test("a dead process's lease on this host is taken over at once", () => {
  const path = fresh();
  const a = RunStore.open(path);
  const id = a.createRun({ config: { lr: 1 }, seed: 0 });
  a.close();
  const db = new Database(path);
  // pid 2^22+1 is above Linux's pid_max default range: no such process.
  db.prepare('UPDATE runs SET lease_owner = ?, lease_expires_at = ? WHERE id = ?').run(`${hostname()}:4194305:dead`, Date.now() + 60_000, id);
  db.close();
  const b = RunStore.open(path);
  try {
    b.reopenRun(id);
  } finally {
    b.close();
  }
});

test('finished and diverged runs are results: reopenRun refuses them', () => {
  const store = RunStore.open(':memory:');
  try {
    const done = store.createRun({ config: {}, seed: 0 });
    store.finishRun(done, { status: 'finished' });
    const diverged = store.createRun({ config: {}, seed: 1 });
    store.finishRun(diverged, { status: 'diverged', divergedAtStep: 3 });
    assert.throws(() => store.reopenRun(done), /^StoreError: run 1 is finished; only an unfinished \(running or failed\) run can be resumed$/);
    assert.throws(() => store.reopenRun(diverged), /run 2 is diverged; only an unfinished/);
    assert.equal(store.getRun(done).status, 'finished');
  } finally {
    store.close();
  }
});
