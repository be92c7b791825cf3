// The training loop: a stopped and resumed run equals an uninterrupted one bit for bit (several
// samplers and call sizes, deferred weight updates, momentum), divergence is recorded without an exception, stepsPerCall invariance.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatten, placeholder, type HostTensor, type Tensor, type Tree } from '../../src/graph/index.ts';
import { deferUpdates } from '../../src/graph/targets/ort-cpu/passes/defer.ts';
import { buildModel } from '../../src/nn/index.ts';
import { resolveConfig, train, trainingStep, type TrainResult } from '../../src/train/index.ts';
import { Rng } from '../../src/util/random.ts';
import { readSafetensors, type RunStore } from '../../src/store/index.ts';
import { SAMPLER_KINDS } from '../../src/data/index.ts';
import { sameBits, withoutTiming, withStore } from './helpers.ts';

const small = { model: 'mlp:16x1', batch: 16, lr: 2 ** -4, seed: 11, threads: 1 };

function metricRows(store: RunStore, runId: number) {
  return store.metrics(runId).map((r) => withoutTiming(r as unknown as Record<string, unknown>));
}

async function resumeMatches(store: RunStore, dir: string, config: Record<string, unknown>, stopAfter: number[]): Promise<TrainResult> {
  const c = resolveConfig(config);
  const whole = await train(c, { store, checkpointDir: dir });
  assert.equal(whole.status, 'finished');
  let part = await train(c, { store, checkpointDir: dir, stopAfterEpochs: stopAfter[0]! });
  assert.equal(part.status, 'stopped');
  const runId = part.runId!;
  for (const n of stopAfter.slice(1)) {
    part = await train(c, { store, checkpointDir: dir, resumeRunId: runId, stopAfterEpochs: n });
    assert.equal(part.status, 'stopped');
  }
  const resumed = await train(c, { store, checkpointDir: dir, resumeRunId: runId });
  assert.equal(resumed.status, 'finished');
  assert.equal(resumed.runId, runId);
  assert.equal(resumed.steps, whole.steps);
  assert.ok(sameBits(resumed.params, whole.params), 'final parameters differ');
  assert.deepEqual(withoutTiming(resumed.final), withoutTiming(whole.final));
  assert.deepEqual(withoutTiming(resumed.best), withoutTiming(whole.best));
  // The store holds the same history and outcome for both runs.
  assert.deepEqual(metricRows(store, runId), metricRows(store, whole.runId!));
  const a = store.getRun(runId);
  const b = store.getRun(whole.runId!);
  assert.equal(a.status, 'finished');
  assert.deepEqual(withoutTiming(a.final!), withoutTiming(b.final!));
  // wall_time counts every process that trained the run: it carries on from the checkpoint, never restarts at 0.
  const walls = store.metrics(runId).map((r) => r.wall_time!);
  assert.ok(walls.every((w, i) => Number.isFinite(w) && (i === 0 || w > walls[i - 1]!)), `wall_time ${walls.join(', ')}`);
  return resumed;
}

test('a run stopped after 2 epochs and resumed equals the uninterrupted run (reshuffle)', withStore(async (store, dir) => {
  await resumeMatches(store, dir, { ...small, epochs: 4 }, [2]);
}));

test('resume equals uninterrupted with the with-replacement sampler and a stepsPerCall that does not divide the epoch', withStore(async (store, dir) => {
  // m = 1200/16 = 75 steps per epoch; 7 does not divide 75.
  await resumeMatches(store, dir, { ...small, epochs: 4, sampler: 'with-replacement', stepsPerCall: 7 }, [1, 2]);
}));

test('resume equals uninterrupted in float64, with weight decay, λ > 0 (fd) and a step budget that ends mid-epoch', withStore(async (store, dir) => {
  await resumeMatches(store, dir, { ...small, data: 'synthetic', trainSize: 96, testSize: 32, batch: 8, steps: 40, dtype: 'float64', weightDecay: 1e-3, lambda: 2 ** -3, regGrad: 'fd', schedule: 'paper' }, [2]);
}));

test('resume equals uninterrupted when the step defers weight updates (784×1024 weight, batch 16: windows of 8 in calls of 20)', withStore(async (store, dir) => {
  const config = { model: 'mlp:1024x1', data: 'synthetic', dimension: 784, classes: 10, trainSize: 320, testSize: 32, batch: 16, lr: 2 ** -5, epochs: 3, seed: 5, threads: 1 };
  // The first layer's update is deferred in these programs (else this test would say nothing new).
  const model = buildModel('mlp:1024x1', [784], 10);
  const params = flatten<HostTensor>(model.init(new Rng(0), 'float32') as Tree<HostTensor>);
  const carry = params.leaves.map((t, i) => placeholder(`c${i}`, t.shape, 'float32'));
  const r = trainingStep(model, { kind: 'plain', nStep: 1, weightDecay: 0, dtype: 'float32' })(params.unflatten(carry) as Tree<Tensor>,
    { x: placeholder('x', [16, 784], 'float32'), y: placeholder('y', [16], 'int32'), lr: placeholder('lr', [], 'float32') }, { lambda: placeholder('l', [], 'float32') });
  const deferred = deferUpdates(carry, flatten<Tensor>(r.carry).leaves, flatten<Tensor>(r.out).leaves, 20);
  assert.deepEqual(deferred?.carries.map((c) => params.paths[c.index]), ['layers.0.weight']);
  await resumeMatches(store, dir, config, [1]);
}));

test('a run stopped before its first checkpoint resumes from the start', withStore(async (store, dir) => {
  // evalEvery 2: nothing is evaluated or checkpointed in the first epoch.
  const resumed = await resumeMatches(store, dir, { ...small, epochs: 3, evalEvery: 2 }, [1]);
  assert.deepEqual(resumed.history.map((h) => h.epoch), [2, 3]);
}));

test('resuming a run stopped between checkpoints replays from the last checkpoint', withStore(async (store, dir) => {
  // Checkpoints at epochs 2 and 4; stopped after 3, so epoch 3 is replayed.
  await resumeMatches(store, dir, { ...small, epochs: 5, evalEvery: 2 }, [3]);
}));

test('a huge learning rate ends as diverged with its step, without an exception, and the store says so', withStore(async (store, dir) => {
  const config = resolveConfig({ model: 'mlp:32x2', batch: 16, lr: 2 ** 10, epochs: 3, seed: 0, threads: 1 });
  const r = await train(config, { store, checkpointDir: dir });
  assert.equal(r.status, 'diverged');
  assert.ok(Number.isInteger(r.divergedAtStep) && r.divergedAtStep! >= 0 && r.divergedAtStep! < 3 * 75, `divergedAtStep ${r.divergedAtStep}`);
  assert.equal(r.steps, r.divergedAtStep);
  assert.ok(!Number.isFinite(r.final.train_loss!));
  const run = store.getRun(r.runId!);
  assert.equal(run.status, 'diverged');
  assert.equal(run.divergedAtStep, r.divergedAtStep);
  // The divergence step does not depend on how many updates one call makes.
  const single = await train(resolveConfig({ ...config, stepsPerCall: 1 }), { store });
  assert.equal(single.status, 'diverged');
  assert.equal(single.divergedAtStep, r.divergedAtStep);
}));


test('stepsPerCall 1, 7 and automatic (a whole epoch per call) give bit-identical parameters (float32)', async () => {
  const base = { ...small, epochs: 1, evalEvery: 1 };
  const auto = await train(resolveConfig(base));
  const one = await train(resolveConfig({ ...base, stepsPerCall: 1 }));
  const seven = await train(resolveConfig({ ...base, stepsPerCall: 7 }));
  assert.equal(auto.steps, 75);
  assert.ok(sameBits(auto.params, one.params), 'stepsPerCall 1 differs from automatic');
  assert.ok(sameBits(auto.params, seven.params), 'stepsPerCall 7 differs from automatic');
  assert.deepEqual(withoutTiming(auto.final), withoutTiming(one.final));
  // and the modified loss too
  const modAuto = await train(resolveConfig({ ...base, lambda: 2 ** -2 }));
  const modOne = await train(resolveConfig({ ...base, lambda: 2 ** -2, stepsPerCall: 1 }));
  assert.ok(sameBits(modAuto.params, modOne.params), 'modified-exact: stepsPerCall 1 differs from automatic');
  assert.ok(!sameBits(modAuto.params, auto.params), 'λ > 0 must change the trajectory');
});

test('same seed, same numbers; another seed, other numbers', async () => {
  const a = await train(resolveConfig({ ...small, epochs: 1 }));
  const b = await train(resolveConfig({ ...small, epochs: 1 }));
  const c = await train(resolveConfig({ ...small, epochs: 1, seed: 12 }));
  assert.ok(sameBits(a.params, b.params));
  assert.ok(!sameBits(a.params, c.params));
});

test('a finished run is a result: resuming it is refused and leaves its record as it was', withStore(async (store, dir) => {
  const config = resolveConfig({ ...small, epochs: 2 });
  const first = await train(config, { store, checkpointDir: dir });
  await assert.rejects(train(config, { store, checkpointDir: dir, resumeRunId: first.runId! }), (e: Error) => e.name === 'StoreError' && /^run \d+ is finished; only an unfinished \(running or failed\) run can be resumed$/.test(e.message));
  const run = store.getRun(first.runId!);
  assert.equal(run.status, 'finished');
  assert.deepEqual(withoutTiming(run.final!), withoutTiming(first.final));
  assert.equal(store.metrics(first.runId!).length, 2);
}));

test("the 'paper' schedule changes the rate inside a call: stepsPerCall 1 and automatic agree", async () => {
  // 150 steps: the rate halves at steps 75, 90, 105, 120, 135, i.e. inside the second epoch's call.
  const base = { ...small, steps: 150, schedule: 'paper', evalEvery: 10 };
  const auto = await train(resolveConfig(base));
  const one = await train(resolveConfig({ ...base, stepsPerCall: 1 }));
  const constant = await train(resolveConfig({ ...base, schedule: 'constant' }));
  assert.ok(sameBits(auto.params, one.params), 'per-step rates inside a Loop call differ from single calls');
  assert.ok(!sameBits(auto.params, constant.params));
  assert.equal(auto.final.lr, 2 ** -4 / 32);
});

test('with momentum, a stopped and resumed run equals the uninterrupted one: the checkpoint holds the velocity', withStore(async (store, dir) => {
  const resumed = await resumeMatches(store, dir, { ...small, epochs: 4, momentum: 0.9 }, [2]);
  const checkpoint = readSafetensors(store.getRun(resumed.runId!).checkpointPath!);
  const names = Object.keys(checkpoint.tensors).sort();
  assert.deepEqual(names, ['layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight', 'opt.velocity.layers.0.bias', 'opt.velocity.layers.0.weight', 'opt.velocity.layers.1.bias', 'opt.velocity.layers.1.weight']);
  assert.ok(checkpoint.tensors['opt.velocity.layers.0.weight']!.data.some((v) => v !== 0), 'the stored velocity is zero');
  // The plain run's checkpoint holds the parameters alone.
  const plain = await train(resolveConfig({ ...small, epochs: 1 }), { store, checkpointDir: dir });
  assert.ok(Object.keys(readSafetensors(store.getRun(plain.runId!).checkpointPath!).tensors).every((n) => !n.startsWith('opt.')));
}));

test('Nesterov momentum resumes bit-identically too: float64, λ > 0 (fd), weight decay, n-step, with-replacement, calls of 7', withStore(async (store, dir) => {
  await resumeMatches(store, dir, { ...small, data: 'synthetic', trainSize: 96, testSize: 32, batch: 8, steps: 40, dtype: 'float64', weightDecay: 1e-3, lambda: 2 ** -3, regGrad: 'fd', nStep: 2, momentum: 0.5, nesterov: true, sampler: 'with-replacement', stepsPerCall: 7 }, [1, 2]);
}));

test('every sampler trains with heavy-ball and Nesterov momentum, and momentum changes the trajectory', async () => {
  for (const sampler of SAMPLER_KINDS) {
    const base = { ...small, data: 'synthetic', trainSize: 64, testSize: 16, batch: 8, lr: 2 ** -5, steps: 16, sampler, evalEvery: 10 };
    const plain = await train(resolveConfig(base));
    for (const nesterov of [false, true]) {
      const r = await train(resolveConfig({ ...base, momentum: 0.9, nesterov }));
      assert.equal(r.status, 'finished', `${sampler} nesterov=${nesterov}`);
      assert.ok(Number.isFinite(r.final.train_loss!), `${sampler} nesterov=${nesterov}: loss ${r.final.train_loss}`);
      assert.ok(!sameBits(r.params, plain.params), `${sampler} nesterov=${nesterov}: momentum changed nothing`);
    }
  }
});

test('Adam resumes bit-identically: the checkpoint holds exp_avg, exp_avg_sq and the step count as an int64 (I64) scalar', withStore(async (store, dir) => {
  const resumed = await resumeMatches(store, dir, { ...small, epochs: 4, optimizer: 'adam', lr: 2 ** -8 }, [2]);
  const checkpoint = readSafetensors(store.getRun(resumed.runId!).checkpointPath!);
  const names = Object.keys(checkpoint.tensors).filter((n) => n.startsWith('opt.')).sort();
  assert.deepEqual(names, [
    'opt.exp_avg.layers.0.bias', 'opt.exp_avg.layers.0.weight', 'opt.exp_avg.layers.1.bias', 'opt.exp_avg.layers.1.weight',
    'opt.exp_avg_sq.layers.0.bias', 'opt.exp_avg_sq.layers.0.weight', 'opt.exp_avg_sq.layers.1.bias', 'opt.exp_avg_sq.layers.1.weight', 'opt.step',
  ]);
  const step = checkpoint.tensors['opt.step']!;
  assert.equal(step.dtype, 'int64');
  assert.deepEqual(step.shape, []);
  assert.equal((step.data as BigInt64Array)[0], 4n * 75n, 'the step count of 4 epochs of 75 steps');
}));

test('Adam with ε̂ inside the root, decoupled weight decay, λ > 0 (exact), n-step, float64, calls of 7: resumes bit-identically', withStore(async (store, dir) => {
  await resumeMatches(store, dir, {
    ...small, data: 'synthetic', trainSize: 96, testSize: 32, batch: 8, steps: 40, dtype: 'float64', lr: 2 ** -8, weightDecay: 1e-2, decoupledWeightDecay: true,
    lambda: 2 ** -3, nStep: 2, optimizer: 'adam', beta1: 0.5, beta2: 0.99, adamEps: 1e-6, adamEpsInsideRoot: true, stepsPerCall: 7,
  }, [1, 2]);
}));

test('every sampler trains with Adam, and Adam, its ε̂ placement and decoupled decay each change the trajectory', async () => {
  for (const sampler of SAMPLER_KINDS) {
    const base = { ...small, data: 'synthetic', trainSize: 64, testSize: 16, batch: 8, lr: 2 ** -7, steps: 16, sampler, evalEvery: 10, weightDecay: 0.05 };
    const plain = await train(resolveConfig(base));
    const adam = await train(resolveConfig({ ...base, optimizer: 'adam' }));
    assert.equal(adam.status, 'finished', sampler);
    assert.ok(Number.isFinite(adam.final.train_loss!), `${sampler}: loss ${adam.final.train_loss}`);
    assert.ok(!sameBits(adam.params, plain.params), `${sampler}: adam changed nothing`);
    const inside = await train(resolveConfig({ ...base, optimizer: 'adam', adamEps: 1e-3, adamEpsInsideRoot: true }));
    const outside = await train(resolveConfig({ ...base, optimizer: 'adam', adamEps: 1e-3 }));
    assert.ok(!sameBits(inside.params, outside.params), `${sampler}: the ε̂ placement changed nothing`);
    const decoupled = await train(resolveConfig({ ...base, optimizer: 'adam', decoupledWeightDecay: true }));
    assert.ok(!sameBits(decoupled.params, adam.params), `${sampler}: decoupled decay changed nothing`);
  }
});
