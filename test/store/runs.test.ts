// Tests for the SQLite run store: the run life cycle, reopening from disk, a second process
// writing at the same time, resume bookkeeping, schema versioning and one-line errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RUN_STORE_SCHEMA_VERSION, RunStore, StoreError } from '../../src/store/index.ts';
import { writeOldStore } from './schema-fixtures.ts';

function withTemporaryDirectory(body: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgdlab-runs-'));
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** A fresh store in a temporary directory, closed (and removed) after the body. */
function withOpenStore(body: (store: RunStore) => void): () => Promise<void> {
  return withTemporaryDirectory((dir) => {
    const store = RunStore.open(join(dir, 'runs.sqlite'));
    try {
      body(store);
    } finally {
      store.close();
    }
  });
}

function assertStoreError(action: () => unknown, message: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof StoreError, String(error));
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

test(
  'create, append, finish, get and list round trip; everything survives reopening from disk',
  withTemporaryDirectory((dir) => {
    const path = join(dir, 'runs.sqlite');
    const config = { model: 'mlp', widths: [784, 4096, 10], lr: 0.5, schedule: { kind: 'paper' } };
    let first: number;
    let second: number;
    {
      const store = RunStore.open(path);
      first = store.createRun({ config, seed: 1, name: 'sgd' });
      second = store.createRun({ config: { ...config, lr: 8 }, seed: 2 });
      const initial = store.getRun(first);
      assert.equal(initial.status, 'running');
      assert.equal(initial.name, 'sgd');
      assert.deepEqual(initial.config, config);
      assert.match(initial.createdAt, /^\d{4}-\d\d-\d\dT/);

      store.appendMetrics(first, { step: 0, epoch: 0, train_loss: 2.3, test_acc: 0.1, lr: 0.5 });
      store.appendMetrics(first, { step: 100, epoch: 1, train_loss: 0.7, test_acc: 0.8, best_test_acc: 0.8, c_reg: 0.01, wall_time: 3.5 });
      store.setCheckpoint(first, join(dir, 'ckpt-1.safetensors'));
      store.finishRun(first, { status: 'finished', final: { test_acc: 0.8 }, best: { test_acc: 0.8, step: 100 } });

      store.appendMetrics(second, { step: 0, epoch: 0, train_loss: 2.3 });
      store.appendMetrics(second, { step: 10, epoch: 0, train_loss: NaN, grad_norm_sq: Infinity, gamma: -Infinity });
      store.finishRun(second, { status: 'diverged', divergedAtStep: 10, final: { train_loss: NaN } });
      store.close();
    }
    const store = RunStore.open(path);
    try {
      const run = store.getRun(first);
      assert.equal(run.status, 'finished');
      assert.equal(run.checkpointPath, join(dir, 'ckpt-1.safetensors'));
      assert.deepEqual(run.final, { test_acc: 0.8 });
      assert.deepEqual(run.best, { test_acc: 0.8, step: 100 });
      assert.equal(run.error, null);
      assert.equal(run.divergedAtStep, null);
      assert.ok(run.updatedAt >= run.createdAt);
      assert.deepEqual(store.metrics(first), [
        { step: 0, epoch: 0, train_loss: 2.3, test_acc: 0.1, lr: 0.5 },
        { step: 100, epoch: 1, train_loss: 0.7, test_acc: 0.8, best_test_acc: 0.8, c_reg: 0.01, wall_time: 3.5 },
      ]);

      const diverged = store.getRun(second);
      assert.equal(diverged.status, 'diverged');
      assert.equal(diverged.divergedAtStep, 10);
      assert.ok(Number.isNaN(diverged.final!.train_loss));
      const [, bad] = store.metrics(second);
      assert.ok(Number.isNaN(bad!.train_loss), 'NaN survives the JSON column');
      assert.equal(bad!.grad_norm_sq, Infinity);
      assert.equal(bad!.gamma, -Infinity);

      assert.deepEqual(store.listRuns().map((r) => r.id), [first, second]);
      assert.deepEqual(store.listRuns({ newestFirst: true }).map((r) => r.id), [second, first]);
      assert.deepEqual(store.listRuns({ status: 'diverged' }).map((r) => r.id), [second]);
      assert.deepEqual(store.listRuns({ limit: 1 }).map((r) => r.id), [first]);
      assert.deepEqual(store.listRuns({ status: 'running' }), []);
    } finally {
      store.close();
    }
  }),
);

test(
  'sweep runs are unique per (sweep, trial key) and can be listed by sweep',
  withOpenStore((store) => {
    const a = store.createRun({ config: {}, seed: 0, sweepId: 'lr-sweep', trialKey: 'lr=1,seed=0' });
    const b = store.createRun({ config: {}, seed: 1, sweepId: 'lr-sweep', trialKey: 'lr=1,seed=1' });
    store.createRun({ config: {}, seed: 0, sweepId: 'other', trialKey: 'lr=1,seed=0' });
    store.createRun({ config: {}, seed: 0 });
    store.createRun({ config: {}, seed: 0 });
    assertStoreError(
      () => store.createRun({ config: {}, seed: 5, sweepId: 'lr-sweep', trialKey: 'lr=1,seed=0' }),
      new RegExp(`sweep 'lr-sweep' already has trial 'lr=1,seed=0' \\(run ${a}\\)`),
    );
    assertStoreError(() => store.createRun({ config: {}, seed: 0, sweepId: 'lr-sweep' }), /needs both a sweep id and a trial key/);
    const listed = store.listRuns({ sweepId: 'lr-sweep' });
    assert.deepEqual(listed.map((r) => [r.id, r.trialKey]), [[a, 'lr=1,seed=0'], [b, 'lr=1,seed=1']]);
    assert.equal(store.listRuns().length, 5);
  }),
);

test(
  'resuming: deleteMetricsAfter drops the replayed steps, reopenRun restarts an ended run',
  withOpenStore((store) => {
    const id = store.createRun({ config: { lr: 1 }, seed: 3 });
    for (let step = 0; step <= 50; step += 10) store.appendMetrics(id, { step, epoch: step / 10, train_loss: 1 });
    assertStoreError(() => store.appendMetrics(id, { step: 30, epoch: 3 }), /run \d+ already has metrics up to step 50; cannot append step 30/);
    // The checkpoint was taken at step 20: steps 30..50 will be replayed.
    assert.equal(store.deleteMetricsAfter(id, 20), 3);
    store.appendMetrics(id, { step: 30, epoch: 3, train_loss: 0.5 });
    assert.deepEqual(store.metrics(id).map((m) => m.step), [0, 10, 20, 30]);
    assert.equal(store.deleteMetricsAfter(id, 1000), 0);

    store.finishRun(id, { status: 'failed', error: 'killed by signal SIGKILL' });
    assert.equal(store.getRun(id).error, 'killed by signal SIGKILL');
    assertStoreError(() => store.appendMetrics(id, { step: 40, epoch: 4 }), /run \d+ is failed; metrics can only be appended to a running run/);
    assertStoreError(() => store.finishRun(id, { status: 'finished' }), /run \d+ is already failed/);
    store.reopenRun(id);
    const reopened = store.getRun(id);
    assert.equal(reopened.status, 'running');
    assert.equal(reopened.error, null);
    store.appendMetrics(id, { step: 40, epoch: 4 });
    store.finishRun(id, { status: 'finished', final: { train_loss: 0.1 }, best: null });
    assert.equal(store.getRun(id).status, 'finished');
  }),
);

test(
  'bad inputs are one-line StoreErrors and change nothing',
  withTemporaryDirectory((dir) => {
    const store = RunStore.open(join(dir, 'runs.sqlite'));
    try {
      const id = store.createRun({ config: { a: 1 }, seed: 0 });
      assertStoreError(() => store.getRun(42), /^run 42 not found$/);
      assertStoreError(() => store.appendMetrics(42, { step: 0, epoch: 0 }), /^run 42 not found$/);
      assertStoreError(() => store.setCheckpoint(42, 'x'), /^run 42 not found$/);
      assertStoreError(() => store.finishRun(42, { status: 'finished' }), /^run 42 not found$/);
      assertStoreError(() => store.metrics(42), /^run 42 not found$/);
      assertStoreError(() => store.deleteMetricsAfter(42, 0), /^run 42 not found$/);
      assertStoreError(() => store.getRun(-1), /invalid run id -1/);
      assertStoreError(() => store.getRun('7' as unknown as number), /invalid run id "7"/);
      assertStoreError(() => store.createRun({ config: { lr: NaN }, seed: 0 }), /run config is not plain JSON: 'lr' is NaN/);
      assertStoreError(() => store.createRun({ config: undefined, seed: 0 }), /run config is missing/);
      assertStoreError(() => store.createRun({ config: {}, seed: 1.5 }), /run seed must be an integer, got 1.5/);
      assertStoreError(() => store.createRun({ config: {}, seed: 0, name: '' }), /run name must be a non-empty string/);
      assertStoreError(() => store.appendMetrics(id, { step: -1, epoch: 0 }), /step must be a non-negative integer, got -1/);
      assertStoreError(() => store.appendMetrics(id, { step: 0, epoch: NaN }), /epoch must be a non-negative number/);
      assertStoreError(
        () => store.appendMetrics(id, { step: 0, epoch: 0, test_acc: '0.5' as unknown as number }),
        /run \d+ step 0: metric 'test_acc' must be a number, got "0.5"/,
      );
      assertStoreError(() => store.finishRun(id, { status: 'running' as 'finished' }), /final status must be one of finished, diverged, failed, got "running"/);
      assertStoreError(() => store.finishRun(id, { status: 'diverged' }), /a diverged run needs divergedAtStep/);
      assertStoreError(() => store.finishRun(id, { status: 'failed' }), /a failed run needs an error message/);
      assertStoreError(() => store.finishRun(id, { status: 'finished', divergedAtStep: 3 }), /divergedAtStep is only for diverged runs/);
      assertStoreError(() => store.listRuns({ status: 'done' as 'finished' }), /unknown run status "done"/);
      assertStoreError(() => store.listRuns({ limit: -2 }), /limit must be a non-negative integer/);
      assertStoreError(() => store.deleteMetricsAfter(id, 0.5), /step must be a non-negative integer/);
      assert.equal(store.listRuns().length, 1);
      assert.equal(store.getRun(id).status, 'running');
      assert.deepEqual(store.metrics(id), []);
    } finally {
      store.close();
    }
    assertStoreError(() => store.getRun(1), /runs\.sqlite: run store is closed$/);
    store.close();
  }),
);

test(
  'opening something that is not a run store names the path',
  withTemporaryDirectory((dir) => {
    const notSqlite = join(dir, 'notes.txt');
    writeFileSync(notSqlite, 'these are not the runs you are looking for\n'.repeat(100));
    assertStoreError(() => RunStore.open(notSqlite), new RegExp(`^${notSqlite.replace(/[.]/g, '\\.')}: not a SQLite database$`));

    assertStoreError(() => RunStore.open(dir), /cannot open the run store/);

    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'x');
    assertStoreError(() => RunStore.open(join(blocker, 'runs.sqlite')), /file is not a folder$/);
    // A typo in the folder creates no tree: only the default location's folder is created.
    assertStoreError(() => RunStore.open(join(dir, 'typo', 'deeper', 'runs.sqlite')), /typo\/deeper does not exist \(check --store, or create the folder\)$/);
    assert.equal(existsSync(join(dir, 'typo')), false);

    const foreign = join(dir, 'foreign.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY)');
    db.close();
    assertStoreError(() => RunStore.open(foreign), /foreign\.sqlite: is a SQLite database but not an sgdlab run store/);

    const future = join(dir, 'future.sqlite');
    RunStore.open(future).close();
    const newer = new Database(future);
    newer.pragma(`user_version = ${RUN_STORE_SCHEMA_VERSION + 1}`);
    newer.close();
    assertStoreError(() => RunStore.open(future), new RegExp(`schema version ${RUN_STORE_SCHEMA_VERSION + 1} is newer than this sgdlab supports \\(${RUN_STORE_SCHEMA_VERSION}\\); upgrade sgdlab`));
  }),
);

test(
  'schema version and WAL mode are recorded in the file',
  withTemporaryDirectory((dir) => {
    const path = join(dir, 'runs.sqlite');
    const store = RunStore.open(path);
    assert.equal(store.schemaVersion(), RUN_STORE_SCHEMA_VERSION);
    store.close();
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), RUN_STORE_SCHEMA_VERSION);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
      assert.deepEqual(tables.filter((t) => !t.startsWith('sqlite_')), ['metrics', 'runs', 'sweeps']);
    } finally {
      db.close();
    }
    // Reopening an up-to-date store migrates nothing and keeps the version.
    const again = RunStore.open(path);
    assert.equal(again.schemaVersion(), RUN_STORE_SCHEMA_VERSION);
    again.close();
  }),
);

test('the default path is ./sgdlab-runs/runs.sqlite, created with its directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-runs-cwd-'));
  const previous = process.cwd();
  process.chdir(dir);
  try {
    const store = RunStore.open();
    store.close();
    assert.ok(existsSync(join(dir, 'sgdlab-runs', 'runs.sqlite')));
    // Any store named in the default folder may create it (the reproduction scripts' ./sgdlab-runs/x.sqlite) ...
    rmSync(join(dir, 'sgdlab-runs'), { recursive: true });
    RunStore.open('./sgdlab-runs/fashion-mnist.sqlite').close();
    assert.ok(existsSync(join(dir, 'sgdlab-runs', 'fashion-mnist.sqlite')));
    // ... but not a folder under it.
    assert.throws(() => RunStore.open('./sgdlab-runs/typo/runs.sqlite'), /folder \.\/sgdlab-runs\/typo does not exist/);
  } finally {
    process.chdir(previous);
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'a second process writing at the same time corrupts nothing',
  withTemporaryDirectory(async (dir) => {
    const path = join(dir, 'runs.sqlite');
    const store = RunStore.open(path);
    const earlier = store.createRun({ config: { writer: 'earlier' }, seed: 0 });
    store.appendMetrics(earlier, { step: 0, epoch: 0, train_loss: 1 });
    store.finishRun(earlier, { status: 'finished', final: { train_loss: 1 } });

    const count = 300;
    const child = fork(new URL('./concurrent-writer.fixture.ts', import.meta.url), [path, String(count)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const childResult = new Promise<{ id: number }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as { id: number }));
      child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`concurrent writer exited with ${code}`))));
      child.once('error', reject);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

    // Interleave our own writes with the child's until it is done.
    const parentRun = store.createRun({ config: { writer: 'parent' }, seed: 1 });
    let step = 0;
    let childDone = false;
    void childResult.then(() => (childDone = true), () => (childDone = true));
    while (!childDone || step < count) {
      store.appendMetrics(parentRun, { step, epoch: 0, train_loss: step });
      step++;
      if (step % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      if (step > 100_000) break;
    }
    store.finishRun(parentRun, { status: 'finished' });
    const { id: childRun } = await childResult;
    await exited;

    assert.equal(store.metrics(childRun).length, count);
    assert.deepEqual(store.metrics(childRun).map((m) => m.step), Array.from({ length: count }, (_, i) => i));
    assert.equal(store.metrics(parentRun).length, step);
    assert.equal(store.getRun(childRun).status, 'finished');
    assert.deepEqual(store.metrics(earlier), [{ step: 0, epoch: 0, train_loss: 1 }]);
    store.close();

    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(db.pragma('foreign_key_check'), []);
    } finally {
      db.close();
    }
  }),
);

test(
  'a writer killed mid-write leaves earlier runs and its own committed steps intact',
  withTemporaryDirectory(async (dir) => {
    const path = join(dir, 'runs.sqlite');
    const store = RunStore.open(path);
    const earlier = store.createRun({ config: { writer: 'earlier' }, seed: 0 });
    store.appendMetrics(earlier, { step: 0, epoch: 0, train_loss: 1 });
    store.finishRun(earlier, { status: 'finished', best: { test_acc: 0.9 } });
    const before = store.getRun(earlier);
    store.close();

    const child = fork(new URL('./concurrent-writer.fixture.ts', import.meta.url), [path, 'until-killed'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const { id: killedRun } = await new Promise<{ id: number }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as { id: number }));
      child.once('error', reject);
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const reopened = RunStore.open(path);
    try {
      assert.deepEqual(reopened.getRun(earlier), before);
      assert.deepEqual(reopened.metrics(earlier), [{ step: 0, epoch: 0, train_loss: 1 }]);
      const survivors = reopened.metrics(killedRun).map((m) => m.step);
      assert.ok(survivors.length > 50, `${survivors.length} steps survived`);
      assert.deepEqual(survivors, Array.from({ length: survivors.length }, (_, i) => i), 'committed steps have no holes');
      assert.equal(reopened.getRun(killedRun).status, 'running', 'a killed run stays running, ready to resume');
    } finally {
      reopened.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  }),
);

test(
  'provenance: recorded with a run, NULL for runs of a version-2 store after the upgrade, resumes by other processes appended',
  withTemporaryDirectory((dir) => {
    // A version-2 store with one run in it, as sgdlab wrote them before provenance.
    const path = join(dir, 'runs.sqlite');
    writeOldStore(path, 2, { empty: true });
    const old = new Database(path);
    old.prepare(`INSERT INTO runs (created_at, updated_at, config, seed, status) VALUES ('2026-01-01', '2026-01-01', '{"lr":0.1}', 0, 'finished')`).run();
    old.close();

    const store = RunStore.open(path);
    try {
      assert.equal(store.schemaVersion(), RUN_STORE_SCHEMA_VERSION);
      const before = store.getRun(1);
      assert.equal(before.provenance, null);
      assert.deepEqual(before.config, { lr: 0.1 });
      const facts = { sgdlab: '0.1.0', gitCommit: 'abc', gitDirty: false, node: '20.20.2', onnxruntime: '1.30.0', cpu: 'x', cpus: 2, threads: 1 };
      const id = store.createRun({ config: {}, seed: 0, provenance: facts });
      assert.deepEqual(store.getRun(id).provenance, facts);
      // Resumed by the same process facts: nothing to add; by others: appended once each.
      store.noteResumedBy(id, facts);
      assert.deepEqual(store.getRun(id).provenance, facts);
      const other = { ...facts, gitCommit: 'def', threads: 2 };
      store.noteResumedBy(id, other);
      store.noteResumedBy(id, other);
      assert.deepEqual(store.getRun(id).provenance, { ...facts, resumedBy: [other] });
      // A run from before provenance has none of its own, only the processes that resumed it.
      store.noteResumedBy(1, facts);
      assert.deepEqual(store.getRun(1).provenance, { resumedBy: [facts] });
      assertStoreError(() => store.createRun({ config: {}, seed: 0, provenance: [] as unknown as Record<string, unknown> }), /run provenance must be a JSON object/);
    } finally {
      store.close();
    }
  }),
);
