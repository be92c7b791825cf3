// Sweeps on BullMQ/Redis: two worker processes on a private redis-server, one SIGKILLed mid-trial;
// every trial ends up recorded exactly once in the coordinator's store. Plus the validation of
// everything that crosses the queue, which needs no server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RunStore } from '../../src/store/index.ts';
import { buildSweep, encodeResult, loadSweepSpec, parseRedisUrl, recordTrialResult, validateTrialJob, validateTrialResult, jobIdFor, type TrialResult } from '../../src/sweep/index.ts';
import { redisServerBinary, startRedis, startSgdlab, tempDir, writeSpec } from './helpers.ts';

const REDIS = process.env.SGDLAB_TEST_REDIS_URL ?? redisServerBinary();
/** A queue of this test run's own, so a shared server (from .ci/run) never mixes runs. */
const QUEUE_NAME = `sgdlab-test-${process.pid}-${Date.now()}`;

test('a sweep through two workers on Redis, one SIGKILLed mid-trial, records every trial exactly once', { timeout: 180_000, skip: REDIS ? false : 'redis-server is not installed (apt-get install -y redis-server; CI installs it)' }, async () => {
  const redis = await startRedis(redisServerBinary());
  const dir = tempDir();
  const spec = writeSpec(dir, 'queue.yaml', `name: queue check\nbase:\n  model: mlp:64x1\n  epochs: 4\naxes:\n  lr: [2^-6, 2^-4]\n  seed: 3\nscoring:\n  best: 2\n`);
  const sweep = loadSweepSpec(spec);
  const store = join(dir, 'runs.sqlite');
  const workerArgs = ['worker', '--queue', redis.url, '--queue-name', QUEUE_NAME, '--lock-duration', '4000', '--stalled-interval', '1000', '--max-stalled', '20'];
  const coordinator = startSgdlab(['sweep', 'run', spec, '--queue', redis.url, '--queue-name', QUEUE_NAME, '--store', store, '--json']);
  const doomed = startSgdlab(workerArgs);
  let survivor: ReturnType<typeof startSgdlab> | undefined;
  try {
    // The doomed worker takes the first trial; kill it while that trial trains.
    const started = await doomed.waitFor(/trial (\S+) of sweep \S+ started/);
    const killedTrial = started[1]!;
    survivor = startSgdlab(workerArgs);
    await doomed.waitFor(/started/);
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(doomed.stderr(), new RegExp(`trial ${killedTrial.replace(/[\^.]/g, '\\$&')} finished`), 'killed before the trial ended');
    doomed.child.kill('SIGKILL');
    await doomed.exited;

    const { code } = await coordinator.exited;
    assert.equal(code, 0, coordinator.stderr());
    const { report } = JSON.parse(coordinator.stdout()) as { report: { finished: number; ran: number } };
    assert.equal(report.ran, 6);
    assert.equal(report.finished, 6);
    // The survivor trained the killed worker's trial after BullMQ found it stalled.
    assert.match(survivor.stderr(), new RegExp(`trial ${killedTrial.replace(/[\^.]/g, '\\$&')} of sweep`));

    const runs = RunStore.open(store);
    try {
      const recorded = runs.listRuns({ sweepId: sweep.id });
      assert.equal(recorded.length, 6);
      assert.deepEqual(recorded.map((r) => r.trialKey).sort(), sweep.trials.map((t) => t.key).sort());
      assert.ok(recorded.every((r) => r.status === 'finished' && r.final !== null && runs.metrics(r.id).length === 4));
      // The record holds the coordinator's config, nothing from the worker.
      const killed = recorded.find((r) => r.trialKey === killedTrial)!;
      assert.equal((killed.config as { model: string }).model, 'mlp:64x1');
      // and the provenance of the worker process that trained it.
      assert.ok(recorded.every((r) => typeof r.provenance?.onnxruntime === 'string' && r.provenance.threads === 1), JSON.stringify(killed.provenance));
    } finally {
      runs.close();
    }
  } finally {
    for (const p of [coordinator, doomed, survivor]) if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all([coordinator, doomed, survivor].filter((p) => p !== undefined).map((p) => p!.exited));
    await redis.stop();
  }
});

test('Redis URLs: credentials are used to connect, never shown', () => {
  const t = parseRedisUrl('redis://alice:s3cret@127.0.0.1:6390/2');
  assert.deepEqual(t.connection, { host: '127.0.0.1', port: 6390, username: 'alice', password: 's3cret', db: 2 });
  assert.equal(t.display, 'redis://127.0.0.1:6390/2');
  assert.throws(() => parseRedisUrl('http://x:1'), /scheme 'http:' is not redis:/);
  assert.throws(() => parseRedisUrl('redis://:pw@h:1/x'), (e: Error) => !e.message.includes('pw') && /not a database number/.test(e.message));
  assert.throws(() => parseRedisUrl('not a url with secret'), (e: Error) => !e.message.includes('secret'));
});

test('job payloads are validated like user input', () => {
  const ok = validateTrialJob({ sweepId: 'a-0123', trialKey: 'lr=2^-5,seed=0', config: { lr: '2^-5', epochs: 2 } });
  assert.equal(ok.config.lr, 2 ** -5);
  assert.throws(() => validateTrialJob({ sweepId: 'a', trialKey: 'k', config: { save: '/etc/passwd' } }), /config key 'save' names a file/);
  for (const data of ['file:/etc/passwd', 'idx:/etc']) assert.throws(() => validateTrialJob({ sweepId: 'a', trialKey: 'k', config: { data } }), (e: Error) => e.message.startsWith(`job: data '${data}' names a file and is not accepted from a queue`));
  assert.throws(() => validateTrialJob({ sweepId: 'a', trialKey: 'k', config: { lr: 'process.exit()' } }), /lr: 'process.exit\(\)' is not a number/);
  assert.throws(() => validateTrialJob({ sweepId: '../../x', trialKey: 'k', config: {} }), /sweepId is not a sweep id/);
  assert.throws(() => validateTrialJob({ sweepId: 'a', trialKey: 'k', config: {}, extra: 1 }), /unknown field 'extra'/);
  assert.throws(() => validateTrialJob('{}'), /payload is not an object/);
  assert.ok(!jobIdFor('s-1', 'lr=2^-5,model=mlp:8x1,seed=0').includes(':'), 'BullMQ rejects ":" in job ids');
});

test('results from workers are validated, keep NaN, and are recorded once per trial key', () => {
  const sweep = buildSweep({ name: 'record', base: { epochs: 1 }, axes: { seed: 2 } });
  const trial = sweep.trials[0]!;
  const result: TrialResult = { trialKey: trial.key, status: 'diverged', divergedAtStep: 7, final: { train_loss: NaN, best_test_acc: 0.5 }, best: { test_acc: 0.5 }, history: [{ step: 5, epoch: 1, train_loss: 2, test_acc: 0.5 }, { step: 7, epoch: 1.4, train_loss: NaN }], seconds: 1, worker: 'w' };
  const decoded = validateTrialResult(encodeResult(result), trial.key);
  assert.ok(Number.isNaN(decoded.final!.train_loss));
  assert.throws(() => validateTrialResult(encodeResult(result), 'seed=1'), /belongs to another trial/);
  assert.throws(() => validateTrialResult(encodeResult({ ...result, status: 'great' as 'failed' }), trial.key), /status is not finished/);
  assert.throws(() => validateTrialResult(encodeResult({ ...result, history: [{ step: 3, epoch: 0 }, { step: 3, epoch: 0 }] }), trial.key), /history\[1\].step must be an integer above/);
  assert.throws(() => validateTrialResult(encodeResult({ ...result, final: { loss: 'rm -rf' as unknown as number } }), trial.key), /metric 'loss' is not a number/);

  const store = RunStore.open(join(tempDir(), 'runs.sqlite'));
  try {
    assert.equal(recordTrialResult(store, sweep.id, trial, decoded), true);
    assert.equal(recordTrialResult(store, sweep.id, trial, decoded), false, 'a second result for the same trial is ignored');
    const runs = store.listRuns({ sweepId: sweep.id });
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'diverged');
    assert.equal(runs[0]!.divergedAtStep, 7);
    assert.equal(store.metrics(runs[0]!.id).length, 2);
  } finally {
    store.close();
  }
});

test('a worker\'s provenance crosses the queue validated and lands in the coordinator\'s record', () => {
  const sweep = buildSweep({ name: 'provenance', base: { epochs: 1 }, axes: { seed: 1 } });
  const trial = sweep.trials[0]!;
  const provenance = { sgdlab: '0.1.0', gitCommit: null, gitDirty: null, node: '20.20.2', onnxruntime: '1.30.0', cpu: 'some CPU', cpus: 8, threads: 1 };
  const result: TrialResult = { trialKey: trial.key, status: 'finished', final: { train_loss: 1 }, best: { train_loss: 1 }, history: [{ step: 75, epoch: 1, train_loss: 1 }], seconds: 1, worker: 'w', provenance };
  assert.deepEqual(validateTrialResult(encodeResult(result), trial.key).provenance, provenance);
  // An older worker sends none.
  const { provenance: _none, ...old } = result;
  assert.equal(validateTrialResult(encodeResult(old as TrialResult), trial.key).provenance, null);
  for (const [bad, message] of [
    [[1, 2], /provenance: not an object/],
    [{ node: { nested: true } }, /'node' is not a short string/],
    [{ cpu: 'a\nb' }, /'cpu' is not a short string/],
    [{ 'bad key': 1 }, /'bad key' is not a fact name/],
  ] as const) {
    assert.throws(() => validateTrialResult(encodeResult({ ...result, provenance: bad as unknown as Record<string, unknown> }), trial.key), message);
  }
  const store = RunStore.open(join(tempDir(), 'runs.sqlite'));
  try {
    recordTrialResult(store, sweep.id, trial, validateTrialResult(encodeResult(result), trial.key));
    assert.deepEqual(store.listRuns({ sweepId: sweep.id })[0]!.provenance, provenance);
  } finally {
    store.close();
  }
});

test('a result carries its provenance, with the processes that resumed the trial (a takeover) in resumedBy', () => {
  const facts = { sgdlab: '0.1.0', gitCommit: null, node: '20.20.2', threads: 1 };
  const base = { trialKey: 'seed=0', status: 'finished', final: { test_acc: 0.5 }, best: null, history: [], seconds: 1, worker: 'w' };
  const taken = validateTrialResult({ ...base, provenance: { ...facts, resumedBy: [{ ...facts, node: '22.0.0' }] } }, 'seed=0');
  assert.deepEqual(taken.provenance, { ...facts, resumedBy: [{ ...facts, node: '22.0.0' }] });
  assert.throws(() => validateTrialResult({ ...base, provenance: { ...facts, resumedBy: [{ cpu: { nested: 1 } }] } }, 'seed=0'), /^QueueError: result of seed=0: provenance: resumedBy\[0\]: 'cpu' is not a short string/);
  assert.throws(() => validateTrialResult({ ...base, provenance: { ...facts, resumedBy: 'me' } }, 'seed=0'), /resumedBy is not a list/);
});
