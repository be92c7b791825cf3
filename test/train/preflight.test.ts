// The checks a config passes before data or a run row exist: image-only options, and a memory
// estimate against the limit (SGDLAB_MAX_MEMORY or 80% of the machine).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/train/index.ts';
import { checkTrainingFits, estimateTrainingBytes, modelSize, parseByteSize, memoryLimit } from '../../src/train/preflight.ts';
import { buildModel } from '../../src/nn/index.ts';
import { flatten, type HostTensor } from '../../src/graph/index.ts';
import { Rng } from '../../src/util/random.ts';

test('the parameter count by formula matches the built models', () => {
  for (const [spec, shape] of [['mlp:32x2', [1, 8, 8]], ['mlp:7x0', [32]], ['wrn:10-1', [3, 8, 8]], ['wrn:16-2', [3, 16, 16]]] as const) {
    const model = buildModel(spec, shape, 10);
    const count = flatten<HostTensor>(model.init(new Rng(0), 'float32')).leaves.reduce((n, t) => n + t.data.length, 0);
    assert.equal(modelSize(spec, shape, 10)!.params, count, spec);
  }
});

test("the paper's settings fit in 8 GB; a 10^6-wide MLP or a billion examples do not, and the message names the limit", () => {
  const env = { SGDLAB_MAX_MEMORY: '8G' };
  const paperMlp = resolveConfig({ data: 'fashion-mnist', dataDir: '/x', model: 'mlp:4096x3', batch: 16, lambda: 1 });
  const paperWrn = resolveConfig({ data: 'cifar10', dataDir: '/x', model: 'wrn:16-4', batch: 32, lambda: 1 });
  checkTrainingFits(paperMlp, env);
  checkTrainingFits(paperWrn, env);
  assert.ok(estimateTrainingBytes(paperMlp)!.total > 1e9, 'the 37M-parameter MLP is counted');
  assert.throws(() => checkTrainingFits(resolveConfig({ model: 'mlp:1000000x4' }), env), /^ConfigError: model mlp:1000000x4 with batch 16 on 1797 examples of digits needs about [\d.]+ TB of memory \(parameters .*\); the limit is 8.59 GB \(SGDLAB_MAX_MEMORY\)$/);
  assert.throws(() => checkTrainingFits(resolveConfig({ data: 'synthetic', trainSize: 1 << 30, dimension: 784 }), env), /needs about [\d.]+ TB/);
  assert.throws(() => checkTrainingFits(resolveConfig({ model: 'mlp:4096x3', batch: 1 << 24 }), env), /with batch 16777216 .* needs about/);
});

test('augmentation needs images; SGDLAB_MAX_MEMORY is parsed strictly', () => {
  assert.throws(() => checkTrainingFits(resolveConfig({ data: 'synthetic', augment: true })), /^ConfigError: augment: random crops and flips need image data \[C,H,W\]; synthetic has examples of shape \[32\]$/);
  checkTrainingFits(resolveConfig({ data: 'digits', augment: true }));
  assert.equal(parseByteSize('512M'), 512 * 2 ** 20);
  assert.equal(parseByteSize('1.5GiB'), 1.5 * 2 ** 30);
  assert.equal(parseByteSize('123'), 123);
  for (const bad of ['', '-1G', '1e99', 'lots', '99999999999999T']) assert.equal(parseByteSize(bad), undefined, bad);
  assert.throws(() => memoryLimit({ SGDLAB_MAX_MEMORY: 'lots' }), /^ConfigError: SGDLAB_MAX_MEMORY: 'lots' is not a size/);
});
