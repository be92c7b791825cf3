// Checkpoint metadata is read from a file: every field is validated before a run resumes from it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointState } from '../../src/train/resume.ts';
import { resolveConfig, train } from '../../src/train/index.ts';
import { readSafetensors, writeSafetensors } from '../../src/store/index.ts';
import { withStore } from './helpers.ts';

const run = { model: 'mlp:16x1', stepsPerEpoch: 75, totalSteps: 750, totalEpochs: 10 };
const good = { epoch: '3', step: '225', best_test_acc: '0.5', best: '{"test_acc":0.5,"step":150,"epoch":2,"gamma":null}', model: 'mlp:16x1' };

test('a well-formed checkpoint gives its position and best record', () => {
  const s = checkpointState(good, 'c.safetensors', run);
  assert.equal(s.epoch, 3);
  assert.equal(s.step, 225);
  assert.equal(s.bestTestAcc, 0.5);
  assert.equal(s.best.test_acc, 0.5);
  assert.ok(Number.isNaN(s.best.gamma));
  assert.equal(checkpointState({ epoch: '0', step: '0' }, 'c', run).bestTestAcc, -Infinity);
  const proto = checkpointState({ ...good, best: '{"__proto__": 0.25}' }, 'c', run).best;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype, 'a metric named __proto__ does not replace the prototype');
  assert.equal(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, 0.25);
});

test('every bad field is a one-line StoreError naming the file and the field', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ ...good, epoch: '1e3' }, /'epoch' is '1e3', expected an integer from 0 to 10/],
    [{ ...good, epoch: '11' }, /'epoch' is '11'/],
    [{ ...good, epoch: '-1' }, /'epoch' is '-1'/],
    [{ step: '225', best: '{}' }, /'epoch' is missing/],
    [{ ...good, step: '999999999999999999999' }, /'step' is '9+'/],
    [{ ...good, step: '224' }, /'step' 224 does not end epoch 3 \(75 steps per epoch\)/],
    [{ ...good, model: 'mlp:4096x3' }, /'model' is 'mlp:4096x3', but the run trains mlp:16x1/],
    [{ ...good, best_test_acc: 'NaN' }, /'best_test_acc' is 'NaN'/],
    [{ ...good, best: '{not json' }, /'best' is not JSON/],
    [{ ...good, best: '[1,2]' }, /'best' is not an object of metrics/],
    [{ ...good, best: '{"a b": 1}' }, /'best' has a metric named 'a b'/],
    [{ ...good, best: '{"a": "x"}' }, /'best' metric 'a' is not a number/],
  ];
  for (const [metadata, message] of cases) {
    assert.throws(() => checkpointState(metadata, 'ckpt.safetensors', run), (e: Error) => e.name === 'StoreError' && /^ckpt.safetensors: checkpoint metadata /.test(e.message) && message.test(e.message), JSON.stringify(metadata));
  }
});

test('train() refuses a checkpoint with forged metadata before it deletes a metric or reopens the run', withStore(async (store, dir) => {
  const config = resolveConfig({ model: 'mlp:16x1', batch: 16, lr: 2 ** -4, seed: 3, threads: 1, epochs: 4 });
  const stopped = await train(config, { store, checkpointDir: dir, stopAfterEpochs: 2 });
  const id = stopped.runId!;
  const path = store.getRun(id).checkpointPath!;
  const { tensors, metadata } = readSafetensors(path);
  writeSafetensors(path, tensors, { ...metadata, epoch: '1', step: '150' });
  const before = store.metrics(id);
  await assert.rejects(train(config, { store, checkpointDir: dir, resumeRunId: id }), (e: Error) => e.name === 'StoreError' && /checkpoint metadata 'step' 150 does not end epoch 1 \(75 steps per epoch\)/.test(e.message));
  assert.deepEqual(store.metrics(id), before);
  assert.equal(store.getRun(id).status, 'running');
}));
