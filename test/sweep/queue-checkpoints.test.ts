// A queue trial survives its worker: checkpoints travel through Redis (or a shared directory), a
// worker SIGKILLed mid-trial costs at most one checkpoint interval, and the trial ends bit-identical
// to an uninterrupted run. Plus the validation of checkpoint envelopes read back from Redis.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RunStore, encodeSafetensors, type MetricRecord } from '../../src/store/index.ts';
import { resolveConfig, train } from '../../src/train/index.ts';
import { RemoteCheckpoints, decodeTrialCheckpoint, encodeTrialCheckpoint, jobIdFor, loadSweepSpec, parseRedisUrl, redisCheckpointKey, tensorDigest, type TrialCheckpoint } from '../../src/sweep/index.ts';
import { redisServerBinary, startRedis, startSgdlab, tempDir, writeSpec } from './helpers.ts';

const REDIS = process.env.SGDLAB_TEST_REDIS_URL ?? redisServerBinary();
const NO_REDIS = 'redis-server is not installed (apt-get install -y redis-server; CI installs it)';
const QUEUE_NAME = `sgdlab-test-ckpt-${process.pid}-${Date.now()}`;

/** Metric rows without the timings, which differ between any two runs. */
function withoutTiming(rows: MetricRecord[]): Record<string, number>[] {
  return rows.map(({ steps_per_sec: _s, wall_time: _w, ...rest }) => rest);
}

test('a worker SIGKILLed after a checkpoint: the other worker resumes from it, and the trial ends bit-identical to an uninterrupted run', { timeout: 120_000, skip: REDIS ? false : NO_REDIS }, async () => {
  const redis = await startRedis(redisServerBinary());
  const client = new Redis(redis.url);
  const dir = tempDir();
  // One trial with momentum (the velocity must travel too); an evaluation, so a checkpoint, every epoch.
  const spec = writeSpec(dir, 'resume.yaml', 'name: queue resume\nbase:\n  model: mlp:256x2\n  epochs: 10\n  momentum: 0.9\n  threads: 1\naxes:\n  seed: 1\n');
  const sweep = loadSweepSpec(spec);
  const trial = sweep.trials[0]!;
  const key = redisCheckpointKey(QUEUE_NAME, jobIdFor(sweep.id, trial.key));
  const store = join(dir, 'runs.sqlite');
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  const workerArgs = ['worker', '--queue', redis.url, '--queue-name', QUEUE_NAME, '--lock-duration', '4000', '--stalled-interval', '1000', '--max-stalled', '20'];
  const coordinator = startSgdlab(['sweep', 'run', spec, '--queue', redis.url, '--queue-name', QUEUE_NAME, '--store', store, '--json']);
  const doomed = startSgdlab(workerArgs);
  let survivor: ReturnType<typeof startSgdlab> | undefined;
  try {
    await doomed.waitFor(/trial \S+ of sweep \S+ started/);
    // The survivor keeps its own checkpoints in a shared directory (as for a model too big for Redis),
    // and still finds the dead worker's in Redis.
    survivor = startSgdlab([...workerArgs, '--checkpoint-dir', shared, '--checkpoint-redis-limit', '0']);
    // Kill the worker right after its third checkpoint reached Redis, mid-trial.
    const logged = Number((await doomed.waitFor(/checkpoint at step (\d+) \(epoch 3\) saved to redis/))[1]);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    assert.doesNotMatch(doomed.stderr(), /finished in/, 'killed before the trial ended');
    // The last checkpoint the dead worker left (its trainer may have finished one more before the kill).
    const checkpointed = Number(await client.hget(key, 'step'));
    assert.ok(checkpointed >= logged, `Redis holds step ${checkpointed}, the log said ${logged}`);

    const { code } = await coordinator.exited;
    assert.equal(code, 0, coordinator.stderr());
    const resumed = survivor.stderr().match(/resumes from the checkpoint at step (\d+) \(epoch (\d+)\) in redis/);
    assert.ok(resumed, survivor.stderr());
    assert.equal(Number(resumed[1]), checkpointed, 'the survivor resumed from the last checkpoint');
    const ended = survivor.stderr().match(/finished in \S+ \(steps (\d+)\.\.(\d+) trained here; tensors sha256 ([0-9a-f]{64})\)/);
    assert.ok(ended, survivor.stderr());
    // At most one checkpoint interval recomputed: the survivor's first step is the one after the
    // checkpoint, and the dead worker never got past the next checkpoint (each one is in Redis before training goes on).
    assert.equal(Number(ended[1]), checkpointed + 1);
    assert.match(survivor.stderr(), /checkpoint at step \d+ \(epoch 10\) saved to directory/);
    assert.equal(await client.exists(key), 0, 'the checkpoint is deleted once the job completed');
    // The survivor deletes its file when BullMQ confirms the completion, which may come just after the coordinator saw it.
    for (let i = 0; i < 100 && readdirSync(shared).length > 0; i++) await sleep(50);
    assert.deepEqual(readdirSync(shared), []);

    // The same trial, uninterrupted, in this process.
    const reference = RunStore.open(join(dir, 'reference.sqlite'));
    try {
      const whole = await train(resolveConfig(trial.config as unknown as Record<string, unknown>), { store: reference, checkpointDir: join(dir, 'reference') });
      assert.equal(Number(ended[2]), whole.steps);
      assert.equal(ended[3], tensorDigest(reference.getRun(whole.runId!).checkpointPath!), 'final parameters and velocity differ from the uninterrupted run');
      const runs = RunStore.open(store);
      try {
        const [run] = runs.listRuns({ sweepId: sweep.id });
        assert.equal(run!.status, 'finished', String(run!.error));
        assert.deepEqual(withoutTiming(runs.metrics(run!.id)), withoutTiming(reference.metrics(whole.runId!)), 'the recorded history differs from the uninterrupted run');
      } finally {
        runs.close();
      }
    } finally {
      reference.close();
    }
  } finally {
    for (const p of [coordinator, doomed, survivor]) if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all([coordinator, doomed, survivor].filter((p) => p !== undefined).map((p) => p!.exited));
    client.disconnect();
    await redis.stop();
  }
});

// ---------------------------------------------------------------------------------------------

const JOB = { jobId: 'abc-1.0123456789abcdef01234567', trialKey: 'lr=2^-5,seed=0', jobDigest: 'd'.repeat(64) };

function checkpointAt(step: number, epoch: number, history: MetricRecord[] = [{ step, epoch, train_loss: 1.5, test_acc: NaN }]): TrialCheckpoint {
  const weights = Float32Array.from([1, 2, 3, step]);
  const chunks = encodeSafetensors({ 'layers.0.weight': { dtype: 'float32', shape: [2, 2], data: weights } }, { step: String(step), epoch: String(epoch) });
  return { ...JOB, step, epoch, history, tensors: Buffer.concat(chunks), writer: 'host:1' };
}

test('checkpoint envelopes round-trip and are refused when tampered with, truncated or of another job', () => {
  const c = checkpointAt(30, 3);
  const bytes = encodeTrialCheckpoint(c);
  const back = decodeTrialCheckpoint(bytes, JOB, 'redis k');
  assert.equal(back.step, 30);
  assert.ok(Number.isNaN(back.history[0]!.test_acc), 'NaN survives JSON');
  assert.deepEqual(Buffer.from(back.tensors), Buffer.from(c.tensors));

  const flipped = Buffer.from(bytes);
  flipped[flipped.byteLength - 1]! ^= 1;
  assert.throws(() => decodeTrialCheckpoint(flipped, JOB, 'redis k'), /^QueueError: redis k: tensor bytes do not match their checksum$/m);
  assert.throws(() => decodeTrialCheckpoint(bytes.subarray(0, bytes.byteLength - 5), JOB, 'redis k'), /checksum/);
  assert.throws(() => decodeTrialCheckpoint(bytes.subarray(0, 10), JOB, 'redis k'), /not an sgdlab trial checkpoint/);
  assert.throws(() => decodeTrialCheckpoint(Buffer.from('not a checkpoint at all'), JOB, 'redis k'), /not an sgdlab trial checkpoint/);
  assert.throws(() => decodeTrialCheckpoint(bytes, { ...JOB, jobId: 'abc-1.ffffffffffffffffffffffff' }, 'redis k'), /belongs to another job/);
  assert.throws(() => decodeTrialCheckpoint(bytes, { ...JOB, jobDigest: 'e'.repeat(64) }, 'redis k'), /another trial or config/);
  // A history that does not end at the checkpoint, or goes backwards, or holds non-numbers.
  assert.throws(() => decodeTrialCheckpoint(encodeTrialCheckpoint(checkpointAt(30, 3, [{ step: 20, epoch: 2 }])), JOB, 'k'), /history ends at step 20/);
  assert.throws(() => decodeTrialCheckpoint(encodeTrialCheckpoint(checkpointAt(30, 3, [{ step: 30, epoch: 3 }, { step: 30, epoch: 3 }])), JOB, 'k'), /history\[1\].step must increase/);
  assert.throws(() => decodeTrialCheckpoint(encodeTrialCheckpoint(checkpointAt(30, 3, [{ step: 30, epoch: 3, loss: 'rm -rf' as unknown as number }])), JOB, 'k'), /metric 'loss' is not a number/);
  assert.throws(() => decodeTrialCheckpoint(encodeTrialCheckpoint(checkpointAt(30, 3, [{ step: 30, epoch: 3, 'a-b': 1 }])), JOB, 'k'), /'a-b' is not a metric name/);
  // The envelope's step must be the safetensors' own.
  assert.throws(() => decodeTrialCheckpoint(encodeTrialCheckpoint({ ...checkpointAt(30, 3), tensors: checkpointAt(20, 2).tensors }), JOB, 'k'), /own step\/epoch \(20\/2\) differ/);
  // A writer name that could carry terminal escapes is not repeated.
  assert.equal(decodeTrialCheckpoint(encodeTrialCheckpoint({ ...c, writer: '\x1b[31mevil' }), JOB, 'k').writer, 'unknown');
  assert.throws(() => redisCheckpointKey('q', '../../etc/passwd'), /is not a trial job id/);
});

test('checkpoints in Redis: atomic replacement, never by an older step, the shared directory beyond the size limit, deleted on request', { timeout: 30_000, skip: REDIS ? false : NO_REDIS }, async () => {
  const redis = await startRedis(redisServerBinary());
  const target = parseRedisUrl(redis.url);
  const queueName = `${QUEUE_NAME}-unit`;
  const shared = join(tempDir(), 'shared');
  mkdirSync(shared);
  const checkpoints = new RemoteCheckpoints({ redis: target, queueName });
  const small = new RemoteCheckpoints({ redis: target, queueName, directory: shared, redisLimitBytes: 100 });
  const client = new Redis(redis.url);
  const rejected: string[] = [];
  try {
    assert.equal(await checkpoints.load(JOB, (r) => rejected.push(r)), undefined);
    assert.deepEqual((await checkpoints.save(checkpointAt(20, 2))).location, 'redis');
    assert.deepEqual((await checkpoints.save(checkpointAt(30, 3))).location, 'redis');
    // A stale worker still writing an older checkpoint leaves the later one in place.
    await checkpoints.save(checkpointAt(10, 1));
    assert.equal((await checkpoints.load(JOB, (r) => rejected.push(r)))!.checkpoint.step, 30);
    // No temporary keys are left behind.
    assert.deepEqual(await client.keys(`sgdlab:${queueName}:*`), [redisCheckpointKey(queueName, JOB.jobId)]);

    // A write Redis refuses (here: no memory left) fails loudly and leaves the last checkpoint as it was.
    const [, maxmemory] = (await client.config('GET', 'maxmemory')) as [string, string];
    await client.config('SET', 'maxmemory', '1');
    try {
      await assert.rejects(checkpoints.save(checkpointAt(60, 6)), /OOM|EXECABORT/);
    } finally {
      await client.config('SET', 'maxmemory', maxmemory);
    }
    assert.equal((await checkpoints.load(JOB, (r) => rejected.push(r)))!.checkpoint.step, 30);
    assert.deepEqual(await client.keys(`sgdlab:${queueName}:*`), [redisCheckpointKey(queueName, JOB.jobId)]);

    // Bytes corrupted in Redis are refused (and reported), not loaded.
    const key = redisCheckpointKey(queueName, JOB.jobId);
    const bytes = (await client.hgetBuffer(key, 'envelope'))!;
    bytes[bytes.byteLength - 2]! ^= 0xff;
    await client.hset(key, 'envelope', bytes);
    assert.equal(await checkpoints.load(JOB, (r) => rejected.push(r)), undefined);
    assert.match(rejected.at(-1)!, /tensor bytes do not match their checksum/);

    // Above the limit, to the directory; reading looks at both and takes the later step.
    const where = await small.save(checkpointAt(40, 4));
    assert.equal(where.location, 'directory');
    const file = join(shared, `${JOB.jobId}.sgdlab-checkpoint`);
    assert.equal(decodeTrialCheckpoint(readFileSync(file), JOB, file).step, 40);
    await small.save(checkpointAt(35, 3)); // an older step never replaces the file either
    const loaded = await small.load(JOB, (r) => rejected.push(r));
    assert.equal(loaded!.location, 'directory');
    assert.equal(loaded!.checkpoint.step, 40);
    // Without a directory, a checkpoint too big for Redis is not kept anywhere, and the caller learns why.
    const noDirectory = new RemoteCheckpoints({ redis: target, queueName, redisLimitBytes: 100 });
    const nowhere = await noDirectory.save(checkpointAt(50, 5));
    await noDirectory.close();
    assert.equal(nowhere.location, undefined);
    assert.match(nowhere.reason!, /exceeds the 0\.0 MB Redis limit and this worker has no --checkpoint-dir/);

    writeFileSync(file, 'garbage');
    assert.equal(await small.load(JOB, (r) => rejected.push(r)), undefined);
    assert.match(rejected.at(-1)!, /not an sgdlab trial checkpoint/);
    await small.delete(JOB.jobId);
    assert.equal(await client.exists(key), 0);
    assert.throws(() => readFileSync(file), /ENOENT/);
  } finally {
    await checkpoints.close();
    await small.close();
    client.disconnect();
    await redis.stop();
  }
});
