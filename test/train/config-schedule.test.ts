// The run configuration (powers of two, one-line ConfigErrors naming the key) and the learning-rate
// schedules: 'constant', and the paper's ε for the first half, then ε/2 … ε/32 in the last tenths.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULT_CONFIG, learningRateAt, parseNumber, resolveConfig, train } from '../../src/train/index.ts';
import { flat, sameBits } from './helpers.ts';

function assertConfigError(partial: Record<string, unknown>, pattern: RegExp): void {
  assert.throws(() => resolveConfig(partial), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

test('rates and λ accept the paper\'s powers of two: 2^-9 and 2**-9', () => {
  assert.equal(resolveConfig({ lr: '2^-9' }).lr, 2 ** -9);
  assert.equal(resolveConfig({ lr: '2**-9' }).lr, 2 ** -9);
  assert.equal(resolveConfig({ lr: ' 2 ^ -9 ' }).lr, 2 ** -9);
  assert.equal(resolveConfig({ lambda: '2^3' }).lambda, 8);
  assert.equal(resolveConfig({ lr: '1e-3' }).lr, 1e-3);
  assert.equal(resolveConfig({ lr: 0.5 }).lr, 0.5);
  assert.equal(parseNumber('+2^-1', 'lr'), 0.5);
  assert.equal(parseNumber('-2^2', 'lr'), -4, 'the sign applies to the power, as in -2² = -4');
});

test('defaults fill in, epochs default to 10, augmentation follows the data set', () => {
  const c = resolveConfig({});
  assert.equal(c.epochs, 10);
  assert.equal(c.steps, undefined);
  assert.equal(c.lr, DEFAULT_CONFIG.lr);
  assert.equal(c.augment, false);
  assert.equal(resolveConfig({ data: 'cifar10', dataDir: '/nowhere' }).augment, true);
  assert.equal(resolveConfig({ data: 'cifar10', dataDir: '/nowhere', augment: 'false' }).augment, false);
  assert.equal(resolveConfig({ steps: 0 }).steps, 0);
});

test('bad configs are one-line ConfigErrors naming the key', () => {
  assertConfigError({ learningRate: 0.1 }, /unknown key 'learningRate'/);
  assertConfigError({ lr: -0.1 }, /^lr: must be positive/);
  assertConfigError({ lr: '-1e-3' }, /^lr: must be positive/);
  assertConfigError({ lr: 0 }, /^lr: must be positive/);
  assertConfigError({ lr: 'fast' }, /^lr: 'fast' is not a number/);
  assertConfigError({ lambda: -1 }, /^lambda: must be ≥ 0/);
  assertConfigError({ weightDecay: '-5e-4' }, /^weightDecay: must be ≥ 0/);
  assertConfigError({ sampler: 'shuffle' }, /^sampler: 'shuffle' is not one of reshuffle, fixed, reversed-pairs, with-replacement, full/);
  assertConfigError({ regGrad: 'approx' }, /^regGrad: 'approx' is not one of exact, fd/);
  assertConfigError({ schedule: 'cosine' }, /^schedule: 'cosine' is not one of constant, paper/);
  assertConfigError({ batch: 0 }, /^batch: must be an integer from 1 to 16777216, got 0/);
  assertConfigError({ batch: 2.5 }, /^batch: must be an integer from 1 to/);
  assertConfigError({ epochs: 2, steps: 100 }, /epochs or steps, not both/);
  assertConfigError({ data: 'imagenet' }, /^data: 'imagenet' is not one of/);
  assertConfigError({ labelNoise: 1.5 }, /^labelNoise: must be in \[0, 1\]/);
  assertConfigError({ exactGamma: 'yes' }, /^exactGamma: must be true or false/);
});

test('momentum: β in [0, 1); the defaults (0, no Nesterov) stay absent, so older configs resolve as before', () => {
  assert.equal(resolveConfig({ momentum: '0.9' }).momentum, 0.9);
  assert.equal(resolveConfig({ momentum: 0.9, nesterov: 'true' }).nesterov, true);
  const plain = resolveConfig({ momentum: 0, nesterov: false });
  assert.ok(!('momentum' in plain) && !('nesterov' in plain), 'momentum 0 is stored as a key');
  assert.deepEqual(plain, resolveConfig({}));
  assertConfigError({ momentum: 1 }, /^momentum: must be in \[0, 1\), got 1/);
  assertConfigError({ momentum: -0.5 }, /^momentum: must be in \[0, 1\)/);
  assertConfigError({ nesterov: true }, /nesterov needs momentum > 0/);
  assertConfigError({ momentum: 0.9, nesterov: 'maybe' }, /^nesterov: must be true or false/);
});

test('a minus sign in front of a power of two is a negative rate, not (−2)^k', () => {
  // (−2)^−8 = +2^−8 and (−2)^2 = +4: a naive parse would accept these as positive rates.
  assertConfigError({ lr: '-2^-8' }, /^lr: must be positive/);
  assertConfigError({ lr: '-2**2' }, /^lr: must be positive/);
  assertConfigError({ lambda: '-2^-4' }, /^lambda: must be ≥ 0/);
});

test('non-finite numbers are rejected, also when given as numbers (JSON configs, programmatic use)', () => {
  assertConfigError({ lr: Infinity }, /^lr: /);
  assertConfigError({ lr: NaN }, /^lr: /);
  assertConfigError({ lr: 'Infinity' }, /^lr: /);
});

test("schedule 'constant' is ε at every step", () => {
  for (const step of [0, 1, 49, 50, 99]) assert.equal(learningRateAt('constant', 0.1, step, 100), 0.1);
});

test("schedule 'paper': ε for the first half, then ε/2, ε/4, ε/8, ε/16, ε/32 in the remaining tenths", () => {
  const eps = 0.1;
  const T = 1000;
  for (let step = 0; step < T; step++) {
    const tenth = Math.floor(step / 100);
    const expected = tenth < 5 ? eps : eps / 2 ** (tenth - 4);
    assert.equal(learningRateAt('paper', eps, step, T), expected, `step ${step}`);
  }
  assert.deepEqual([0, 499, 500, 600, 700, 800, 900, 999].map((s) => learningRateAt('paper', 1, s, T)), [1, 1, 1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 32]);
  // A total that is not a multiple of 10: the first half is steps 0..37 of 75.
  assert.equal(learningRateAt('paper', 1, 37, 75), 1);
  assert.equal(learningRateAt('paper', 1, 38, 75), 1 / 2);
  assert.equal(learningRateAt('paper', 1, 74, 75), 1 / 32);
  // The rate never falls below ε/32 and never rises.
  let previous = Infinity;
  for (let s = 0; s < 75; s++) {
    const lr = learningRateAt('paper', 1, s, 75);
    assert.ok(lr <= previous && lr >= 1 / 32);
    previous = lr;
  }
});

test("the loop applies the 'paper' schedule to its updates: epochs 1–5 at ε, epoch 6 at ε/2", async () => {
  // The 'fixed' sampler walks the same order every epoch, so a run can be replayed in pieces with init.
  const base = { model: 'mlp:16x1', batch: 16, lr: 2 ** -4, sampler: 'fixed', seed: 3, threads: 1, evalEvery: 100 };
  const paper = await train(resolveConfig({ ...base, epochs: 10, schedule: 'paper' }), { stopAfterEpochs: 6 });
  assert.equal(paper.status, 'stopped');
  assert.equal(paper.steps, 6 * 75);
  const constant = await train(resolveConfig({ ...base, epochs: 10 }), { stopAfterEpochs: 6 });
  assert.ok(!sameBits(paper.params, constant.params), 'epoch 6 of the paper schedule must use another rate');
  // Replay: 5 epochs at ε, save, then 1 epoch at ε/2 from those parameters.
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-schedule-'));
  try {
    const first = await train(resolveConfig({ ...base, epochs: 5, save: join(dir, 'five.safetensors') }));
    const firstHalf = await train(resolveConfig({ ...base, epochs: 10, schedule: 'paper' }), { stopAfterEpochs: 5 });
    assert.ok(sameBits(first.params, firstHalf.params), 'the first half of the paper schedule is constant');
    const second = await train(resolveConfig({ ...base, epochs: 1, lr: 2 ** -5, init: join(dir, 'five.safetensors') }));
    assert.ok(sameBits(second.params, paper.params), `max difference ${Math.max(...flat(second.params).map((v, i) => Math.abs(v - flat(paper.params)[i]!)))}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The recorded rate at the end of a paper run is ε/32.
  const full = await train(resolveConfig({ ...base, epochs: 10, schedule: 'paper', evalEvery: 1 }));
  assert.deepEqual(full.history.map((h) => h.metrics.lr), [1, 1, 1, 1, 1, 1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32].map((f) => f * 2 ** -4));
});

test('integers are safe and ranged; keys inherited from Object.prototype are unknown keys', () => {
  for (const [partial, message] of [
    [{ seed: '2^60' }, /^seed: must be an integer from 0 to 9007199254740991, got 2\^60$/],
    [{ seed: -1 }, /^seed: must be an integer from 0/],
    [{ threads: 100000 }, /^threads: must be an integer from 1 to 1024/],
    [{ trainSize: 2 ** 40 }, /^trainSize: must be an integer from 1 to 1073741824/],
    [{ classes: -3 }, /^classes: must be an integer from 1/],
    [JSON.parse('{"__proto__": {"lr": 1}}'), /^c.json: unknown key '__proto__'/],
    [{ constructor: 1 }, /^c.json: unknown key 'constructor'/],
    [{ toString: 'x' }, /^c.json: unknown key 'toString'/],
  ] as [Record<string, unknown>, RegExp][]) {
    assert.throws(() => resolveConfig(partial, 'c.json'), (e: Error) => e.name === 'ConfigError' && message.test(e.message), JSON.stringify(partial));
  }
});

test('lambda "implicit" is the λ whose λ·C_reg matches the run\'s own implicit regularizer (docs/theory.md §M7)', () => {
  // Plain SGD: the paper's C_reg weight ε (Eq. 1 with λ = ε).
  assert.equal(resolveConfig({ lr: '2^-9', lambda: 'implicit' }).lambda, 2 ** -9);
  // Heavy ball: ε(1+β)/(1−β)², here 2^-9 · 1.5 / 0.25 = 6 · 2^-9.
  assert.equal(resolveConfig({ lr: '2^-9', momentum: 0.5, lambda: 'implicit' }).lambda, 6 * 2 ** -9);
  const beta = 0.9;
  assert.ok(Math.abs(resolveConfig({ lr: 0.01, momentum: beta, lambda: 'implicit' }).lambda - (0.01 * (1 + beta)) / (1 - beta) ** 2) < 1e-15);
  // Nesterov: ε(1−β+2β²)/(1−β)².
  assert.ok(Math.abs(resolveConfig({ lr: 0.01, momentum: 0.5, nesterov: true, lambda: 'implicit' }).lambda - (0.01 * (1 - 0.5 + 2 * 0.25)) / 0.25) < 1e-15);
  assert.throws(() => resolveConfig({ lambda: 'auto' }), /^ConfigError: lambda: 'auto' is not a number/);
});

test('optimizer: sgd stays absent with its defaults; adam writes out every setting it reads (PyTorch\'s defaults); a foreign setting is an error', () => {
  const sgd = resolveConfig({ optimizer: 'sgd' });
  assert.ok(!('optimizer' in sgd) && !('momentum' in sgd), 'the default optimizer is stored as a key');
  const adam = resolveConfig({ optimizer: 'adam' });
  assert.deepEqual([adam.optimizer, adam.beta1, adam.beta2, adam.adamEps, adam.adamEpsInsideRoot], ['adam', 0.9, 0.999, 1e-8, false]);
  assert.equal(resolveConfig({ optimizer: 'adam', beta2: '0.99', adamEps: '2^-20', adamEpsInsideRoot: 'true' }).adamEps, 2 ** -20);
  assertConfigError({ optimizer: 'adamw' }, /^optimizer: 'adamw' is not one of sgd, adam/);
  assertConfigError({ optimizer: 'adam', momentum: 0.9 }, /momentum is not a setting of optimizer adam \(its settings: beta1, beta2, adamEps, adamEpsInsideRoot\)/);
  assertConfigError({ beta1: 0.9 }, /beta1 is not a setting of optimizer sgd/);
  assertConfigError({ optimizer: 'adam', beta2: 1 }, /^beta2: must be in \[0, 1\), got 1/);
  assertConfigError({ optimizer: 'adam', adamEps: -1 }, /^adamEps: must be ≥ 0/);
  assert.equal(resolveConfig({ decoupledWeightDecay: false }).decoupledWeightDecay, undefined);
  assert.equal(resolveConfig({ optimizer: 'adam', weightDecay: 0.01, decoupledWeightDecay: true }).decoupledWeightDecay, true);
});
