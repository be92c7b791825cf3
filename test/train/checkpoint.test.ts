// Checkpoints: safetensors round trips (both float dtypes, optimizer state), one-line StoreErrors for another
// model's checkpoint, `init` from given parameters, and `steps: 0` + `save` writing them unchanged.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { flatten, HostTensor } from '../../src/graph/index.ts';
import { buildModel } from '../../src/nn/index.ts';
import { readSafetensors, StoreError } from '../../src/store/index.ts';
import { loadParams, loadTrainingData, resolveConfig, saveParams, train } from '../../src/train/index.ts';
import { Rng } from '../../src/util/random.ts';
import { flat, sameBits, withStore, type HostParams } from './helpers.ts';

const digits = loadTrainingData(resolveConfig({})).train;
const paramsOf = (spec: string, seed: number, dtype: 'float32' | 'float64'): HostParams => buildModel(spec, digits.shape, digits.numClasses).init(new Rng(seed), dtype);

function assertStoreError(action: () => unknown, pattern: RegExp): void {
  assert.throws(action, (e: unknown) => {
    assert.ok(e instanceof StoreError, `expected a StoreError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

test('saveParams/loadParams round trip bit for bit, with metadata and names from the tree paths', withStore(async (_store, dir) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const params = paramsOf('mlp:16x2', 1, dtype);
    const path = join(dir, `${dtype}.safetensors`);
    saveParams(path, params, { epoch: '3', note: 'λ = 2^-4' });
    const loaded = loadParams(path, paramsOf('mlp:16x2', 2, dtype));
    assert.ok(sameBits(loaded.params, params), `${dtype}: values differ`);
    assert.equal(loaded.metadata.epoch, '3');
    assert.equal(loaded.metadata.note, 'λ = 2^-4');
    const stored = readSafetensors(path);
    assert.deepEqual(Object.keys(stored.tensors).sort(), ['layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight', 'layers.2.bias', 'layers.2.weight']);
    assert.equal(stored.tensors['layers.0.weight']!.dtype, dtype);
    assert.deepEqual(stored.tensors['layers.0.weight']!.shape, [64, 16]);
  }
  // A float32 checkpoint loads into a float64 template exactly (and back).
  const p32 = paramsOf('mlp:16x1', 4, 'float32');
  saveParams(join(dir, 'p32.safetensors'), p32);
  const as64 = loadParams(join(dir, 'p32.safetensors'), paramsOf('mlp:16x1', 4, 'float64')).params;
  assert.ok(flatten<HostTensor>(as64).leaves.every((t) => t.dtype === 'float64'));
  assert.deepEqual([...flat(as64)], [...flat(p32)]);
}));

test("loading another model's checkpoint is a one-line StoreError naming the tensor", withStore(async (_store, dir) => {
  const path = join(dir, 'mlp16x1.safetensors');
  saveParams(path, paramsOf('mlp:16x1', 1, 'float32'));
  // Deeper model: layers.1 becomes a hidden layer (another shape), layers.2 is missing.
  assertStoreError(() => loadParams(path, paramsOf('mlp:16x2', 1, 'float32')), /tensor 'layers\.1\.weight' has shape \[16,10\], the model needs \[16,16\]/);
  const head = join(dir, 'head.safetensors');
  const hidden = paramsOf('mlp:16x2', 1, 'float32') as { layers: unknown[] };
  saveParams(head, { layers: hidden.layers.slice(0, 2) } as HostParams);
  assertStoreError(() => loadParams(head, paramsOf('mlp:16x2', 1, 'float32')), /missing tensor 'layers\.2\.(weight|bias)' for this model/);
  // Wider model: a shape differs.
  assertStoreError(() => loadParams(path, paramsOf('mlp:32x1', 1, 'float32')), /tensor 'layers\.0\.weight' has shape \[64,16\], the model needs \[64,32\]/);
  // Shallower model: an unexpected tensor.
  const deep = join(dir, 'mlp16x2.safetensors');
  saveParams(deep, paramsOf('mlp:16x2', 1, 'float32'));
  assertStoreError(() => loadParams(deep, paramsOf('mlp:16x1', 1, 'float32')), /unexpected tensor 'layers\.2\.(weight|bias)'/);
  // Through the loop: --init with another model's checkpoint fails before any training.
  await assert.rejects(train(resolveConfig({ model: 'mlp:32x1', init: path, epochs: 1, threads: 1 })), (e: unknown) => e instanceof StoreError && /layers\.0\.weight/.test(e.message) && !/\n/.test(e.message));
}));

test('steps: 0 with save writes the initial parameters unchanged (the seed\'s init, or the given init)', withStore(async (store, dir) => {
  const out = join(dir, 'out.safetensors');
  const r = await train(resolveConfig({ model: 'mlp:16x1', steps: 0, seed: 5, save: out, threads: 1 }), { store });
  assert.equal(r.status, 'finished');
  assert.equal(r.steps, 0);
  const initial = buildModel('mlp:16x1', digits.shape, digits.numClasses).init(new Rng(5).fork('init'), 'float32');
  assert.ok(sameBits(loadParams(out, initial).params, initial), 'saved parameters are not the seed\'s initialisation');
  assert.ok(sameBits(r.params, initial));
  assert.equal(r.history.length, 1, 'a steps-0 run is evaluated once');
  assert.equal(store.getRun(r.runId!).status, 'finished');
  // With init: the given parameters, unchanged, whatever the seed.
  const given = paramsOf('mlp:16x1', 99, 'float32');
  const initPath = join(dir, 'given.safetensors');
  saveParams(initPath, given);
  const out2 = join(dir, 'out2.safetensors');
  await train(resolveConfig({ model: 'mlp:16x1', steps: 0, seed: 5, init: initPath, save: out2, threads: 1 }));
  assert.ok(sameBits(loadParams(out2, given).params, given));
  assert.equal(readSafetensors(out2).metadata.model, 'mlp:16x1');
  assert.equal(readSafetensors(out2).metadata.step, '0');
}));

test('init starts training from the given parameters', withStore(async (_store, dir) => {
  // Seed 6's own initialisation, given explicitly to a run with seed 6, changes nothing;
  // another initialisation, given to the same run, changes the result.
  const base = { model: 'mlp:16x1', epochs: 1, seed: 6, threads: 1 };
  const own = buildModel('mlp:16x1', digits.shape, digits.numClasses).init(new Rng(6).fork('init'), 'float32');
  const ownPath = join(dir, 'own.safetensors');
  saveParams(ownPath, own);
  const plain = await train(resolveConfig(base));
  const fromOwn = await train(resolveConfig({ ...base, init: ownPath }));
  assert.ok(sameBits(plain.params, fromOwn.params));
  const otherPath = join(dir, 'other.safetensors');
  saveParams(otherPath, paramsOf('mlp:16x1', 123, 'float32'));
  const fromOther = await train(resolveConfig({ ...base, init: otherPath }));
  assert.ok(!sameBits(plain.params, fromOther.params), 'init was ignored');
  // A float64 checkpoint initialises a float32 run (converted), and the saved result is float32.
  const p64 = join(dir, 'p64.safetensors');
  saveParams(p64, buildModel('mlp:16x1', digits.shape, digits.numClasses).init(new Rng(6).fork('init'), 'float64'));
  const from64 = await train(resolveConfig({ ...base, init: p64, save: join(dir, 'after.safetensors') }));
  assert.ok(flatten<HostTensor>(from64.params).leaves.every((t) => t.dtype === 'float32'));
  assert.equal(readSafetensors(join(dir, 'after.safetensors')).tensors['layers.0.weight']!.dtype, 'float32');
}));

test('a run writes a checkpoint at each evaluation that names its epoch and step', withStore(async (store, dir) => {
  const r = await train(resolveConfig({ model: 'mlp:16x1', epochs: 2, seed: 1, threads: 1 }), { store, checkpointDir: dir });
  const run = store.getRun(r.runId!);
  assert.equal(run.checkpointPath, join(dir, `run-${r.runId}.safetensors`));
  const ckpt = readSafetensors(run.checkpointPath!);
  assert.equal(ckpt.metadata.epoch, '2');
  assert.equal(ckpt.metadata.step, '150');
  assert.equal(ckpt.metadata.model, 'mlp:16x1');
  assert.ok(sameBits(loadParams(run.checkpointPath!, r.params).params, r.params));
}));

test('the optimizer state is saved as opt.<name>.<path>, read back bit for bit, and ignored when only parameters are asked for', withStore(async (_store, dir) => {
  const params = paramsOf('mlp:16x1', 1, 'float32');
  const velocity = paramsOf('mlp:16x1', 2, 'float32');
  const path = join(dir, 'momentum.safetensors');
  saveParams(path, params, { epoch: '1' }, { velocity });
  assert.ok('opt.velocity.layers.0.weight' in readSafetensors(path).tensors);
  const loaded = loadParams(path, paramsOf('mlp:16x1', 3, 'float32'), { velocity: paramsOf('mlp:16x1', 4, 'float32') });
  assert.ok(sameBits(loaded.params, params));
  assert.ok(sameBits(loaded.opt.velocity as HostParams, velocity));
  // --init and export read the parameters of a momentum checkpoint alone.
  assert.ok(sameBits(loadParams(path, paramsOf('mlp:16x1', 3, 'float32')).params, params));
  // A plain checkpoint has no velocity to resume a momentum run from; a momentum one has one too many for a plain run.
  const plain = join(dir, 'plain.safetensors');
  saveParams(plain, params);
  assertStoreError(() => loadParams(plain, params, { velocity }), /missing tensor 'opt\.velocity\.layers\.0\.(weight|bias)' for this optimizer/);
  assertStoreError(() => loadParams(path, params, {}), /unexpected tensor 'opt\.velocity\./);
}));
