// The playground's run engine against `sgdlab train` in the same runtime (onnxruntime-node here):
// the same initialisation, batches, step programs and metrics give bit-identical batch costs and
// evaluations, for the controls the page adds over the default comparison.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDigits, preprocessSplit } from '../../src/data/index.ts';
import { resolveConfig, train } from '../../src/train/index.ts';
import { PlaygroundEngine } from '../../src/web/engine.ts';
import { DEFAULT_SHARED, type RunSettings, type SharedSettings } from '../../src/web/settings.ts';

const digits = preprocessSplit(loadDigits(), 'standardize');

async function engineRun(shared: SharedSettings, run: RunSettings) {
  const engine = await PlaygroundEngine.create(shared, run, digits);
  const losses: number[] = [];
  const evaluations = [];
  while (!engine.done) {
    const before = Math.floor(engine.epoch);
    const r = await engine.advance();
    losses.push(...r.losses);
    if (Math.floor(engine.epoch) > before) evaluations.push(await engine.evaluate());
  }
  return { losses, evaluations, engine };
}

test('n-step SGD on the modified loss by finite differences, reversed-pair epochs: the same costs and metrics as train()', async () => {
  const shared: SharedSettings = { ...DEFAULT_SHARED, width: 32, depth: 1, sampler: 'reversed-pairs', seed: 3, epochs: 2 };
  const run: RunSettings = { enabled: true, lr: 2 ** -6, lambda: 0.5, batch: 24, nStep: 2, regGrad: 'fd' };
  const page = await engineRun(shared, run);
  const losses: number[] = [];
  const evaluations: Record<string, number>[] = [];
  const result = await train(resolveConfig({ data: 'digits', model: 'mlp:32x1', batch: 24, lr: run.lr, lambda: 0.5, regGrad: 'fd', nStep: 2, sampler: 'reversed-pairs', seed: 3, epochs: 2 }), {
    onProgress: () => {},
    onEvaluation: (_e, _s, m) => evaluations.push(m),
  });
  // train() reports one loss per call; the engine's calls are the same (one per epoch of 50 steps).
  assert.equal(page.engine.stepsPerCall, 50);
  assert.equal(page.losses.length, 100);
  assert.equal(result.steps, 100);
  for (const [i, e] of page.evaluations.entries()) {
    for (const key of ['train_loss', 'train_acc', 'test_loss', 'test_acc', 'c_reg', 'grad_norm_sq', 'gamma', 'weight_norm']) {
      assert.equal(e.metrics[key], evaluations[i]![key], `epoch ${i + 1} ${key}`);
    }
  }
  await train(resolveConfig({ data: 'digits', model: 'mlp:32x1', batch: 24, lr: run.lr, lambda: 0.5, regGrad: 'fd', nStep: 2, sampler: 'reversed-pairs', seed: 3, steps: 100, stepsPerCall: 1 }), {
    onProgress: (p) => losses.push(p.loss),
  });
  assert.deepEqual(page.losses, losses.map(Math.fround));
});

test('a batch that does not divide N drops the remainder (m = ⌊N/B⌋), and a diverging run stops at its first non-finite cost', async () => {
  const shared: SharedSettings = { ...DEFAULT_SHARED, width: 16, depth: 1, epochs: 3 };
  // Inputs near float32's largest value overflow within a step or two.
  const huge = { ...digits.train, x: digits.train.x.map((v) => v * 1e37) };
  const engine = await PlaygroundEngine.create(shared, { enabled: true, lr: 2 ** -6, lambda: 0, batch: 7, nStep: 1, regGrad: 'exact' }, { train: huge });
  assert.equal(engine.sampler.stepsPerEpoch, Math.floor(1200 / 7));
  let r;
  do r = await engine.advance(); while (r.divergedAtStep === undefined && !engine.done);
  // As train() counts: the zero-based step whose batch cost was the first non-finite one.
  assert.equal(r.divergedAtStep, r.losses.length - 1);
  assert.ok(r.losses.slice(0, -1).every(Number.isFinite) && !Number.isFinite(r.losses[r.losses.length - 1]!));
  assert.ok(engine.done);
});
