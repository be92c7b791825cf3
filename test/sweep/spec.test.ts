// Sweep specs: expansion into trials (ranges, seeds, zips, derived axes), stable ids and keys, and
// a clear one-line error for every kind of malformed spec, from the library and from the CLI.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSweep, loadSweepSpec, sweepFromStoredSpec, withBudget, SpecError } from '../../src/sweep/index.ts';
import { runSgdlab, tempDir, writeSpec } from './helpers.ts';

test('ranges, lists and seed counts expand into the cross product, seeds innermost', () => {
  const sweep = buildSweep({ name: 'grid', base: { model: 'mlp:16x1', epochs: 2 }, axes: { lr: '2^-10..2^-6 step 2', lambda: [0, '2^-6'], seed: 3 } });
  assert.deepEqual(sweep.trials.map((t) => t.key).slice(0, 4), ['lr=2^-10,lambda=0,seed=0', 'lr=2^-10,lambda=0,seed=1', 'lr=2^-10,lambda=0,seed=2', 'lr=2^-10,lambda=2^-6,seed=0']);
  assert.equal(sweep.trials.length, 3 * 2 * 3);
  assert.deepEqual([...new Set(sweep.trials.map((t) => t.config.lr))], [2 ** -10, 2 ** -8, 2 ** -6]);
  assert.ok(sweep.trials.every((t) => t.config.threads === 1 && t.config.epochs === 2));
  assert.deepEqual(sweep.spec.scoring, { metric: 'best_test_acc', best: 3, of: 3, order: 'max', diverged: 'include' });
  assert.match(sweep.id, /^grid-[0-9a-f]{12}$/);
});

test('the id depends on the trials, not on how values are written or how runs are scored', () => {
  const a = buildSweep({ name: 'same', base: { epochs: 2 }, axes: { lr: ['2^-5', '2^-4'], seed: 7 } });
  const b = buildSweep({ name: 'same', base: { epochs: 2 }, axes: { lr: [0.03125, 0.0625], seed: 7 }, scoring: { best: 3 } });
  const c = buildSweep({ name: 'same', base: { epochs: 3 }, axes: { lr: [0.03125, 0.0625], seed: 7 } });
  assert.equal(a.id, b.id);
  assert.notEqual(a.id, c.id);
});

test('zipped axes move together; derived axes hold ε/B, λ/B and the update count fixed', () => {
  const zipped = buildSweep({ name: 'zip', base: { epochs: 1 }, zip: [{ batch: [8, 16, 32], lr: ['2^-7', '2^-6', '2^-5'] }] });
  assert.deepEqual(zipped.trials.map((t) => [t.config.batch, t.config.lr]), [[8, 2 ** -7], [16, 2 ** -6], [32, 2 ** -5]]);
  // Two slices through the (ε, λ) plane in one dimension: values repeat within an axis, tuples do not.
  const slices = buildSweep({ name: 'slices', base: { epochs: 1 }, zip: [{ lr: ['2^-6', '2^-5', '2^-7', '2^-7'], lambda: [0, 0, '2^-6', '2^-5'] }] });
  assert.deepEqual(slices.trials.map((t) => t.key), ['lr=2^-6,lambda=0,seed=0', 'lr=2^-5,lambda=0,seed=0', 'lr=2^-7,lambda=2^-6,seed=0', 'lr=2^-7,lambda=2^-5,seed=0']);
  const ratio = buildSweep({ name: 'ratio', base: { epochs: 1 }, axes: { batch: [8, 16], lrPerBatch: ['2^-10', '2^-9'] } });
  assert.deepEqual(ratio.trials.map((t) => t.config.lr), [2 ** -7, 2 ** -6, 2 ** -6, 2 ** -5]);
  assert.deepEqual(ratio.trials[0]!.point, { batch: 8, lrPerBatch: 2 ** -10 });
  const updates = buildSweep({ name: 'updates', base: { epochs: 5 }, axes: { nStep: [1, 2, 4], updates: 400 } });
  assert.deepEqual(updates.trials.map((t) => [t.config.steps, t.config.epochs]), [[400, undefined], [200, undefined], [100, undefined]]);
});

test('malformed specs give one-line errors that name the key and what is wrong', () => {
  const cases: [unknown, RegExp][] = [
    [[1, 2], /a sweep spec must be a mapping/],
    [{ base: {} }, /name: must be a non-empty string/],
    [{ name: 'x', axes: {}, seeds: 7 }, /unknown key 'seeds' \(known: name, description, base, axes, zip, scoring, claims\)/],
    [{ name: 'x', axes: {}, claims: [{ collapse: { x: 'lr', by: 'width' } }] }, /claims\[0\]\.collapse\.by: must be one of batch, nStep, momentum/],
    [{ name: 'x', base: { lr: 'fast' } }, /base: lr: 'fast' is not a number/],
    [{ name: 'x', base: { learningRate: 0.1 } }, /base: unknown key 'learningRate'/],
    [{ name: 'x', base: { save: 'a.safetensors' } }, /base.save: not allowed in a sweep/],
    [{ name: 'x', axes: { lr: '2^-3..2^-10' } }, /axes.lr: '2\^-3..2\^-10' is an empty range/],
    [{ name: 'x', axes: { lr: [] } }, /axes.lr: has no values/],
    [{ name: 'x', axes: { lr: ['2^-5', 0.03125] } }, /axes.lr: value 2\^-5 is listed twice/],
    [{ name: 'x', axes: { lr: [-0.1] } }, /trial lr=-0.1,seed=0: lr: must be positive, got -0.1/],
    [{ name: 'x', axes: { learning_rate: [0.1] } }, /axes.learning_rate: unknown axis 'learning_rate'/],
    [{ name: 'x', axes: { batch: [16, 'big'] } }, /axes.batch: 'big' is not a number/],
    [{ name: 'x', axes: { seed: 0 } }, /axes.seed: 0 is not a count of seeds/],
    [{ name: 'x', axes: { seed: [1, 1] } }, /axes.seed: a seed is listed twice/],
    [{ name: 'x', axes: { model: ['mlp:16x1', 'resnet'] } }, null as unknown as RegExp],
    [{ name: 'x', zip: [{ batch: [8, 16], lr: [0.1] }] }, /zip\[0\]: zipped axes need equally many values, got batch 2, lr 1/],
    [{ name: 'x', axes: { lr: [0.1] }, zip: [{ lr: [0.2], batch: [8] }] }, /zip\[0\].lr: axis 'lr' is swept twice/],
    [{ name: 'x', zip: [{ lr: [0.1, 0.2, 0.1], batch: [8, 8, 8] }] }, /zip\[0\]: entry 2 \(lr=0.1,batch=8\) repeats entry 0/],
    [{ name: 'x', axes: { lr: [0.1], lrPerBatch: [0.01] } }, /lr and lrPerBatch both set the learning rate/],
    [{ name: 'x', base: { epochs: 2 }, axes: { nStep: [1, 3], updates: 100 } }, /trial nStep=3,updates=100,seed=0: updates 100 is not a multiple of nStep 3/],
    [{ name: 'x', base: { epochs: 2, steps: 10 } }, /base: give epochs or steps, not both/],
    [{ name: 'x', axes: { seed: 7 }, scoring: { best: 8 } }, /scoring.best: 8 is more than the 7 seeds per point/],
    [{ name: 'x', axes: { seed: 7 }, scoring: { of: 5 } }, /scoring.of: 5 does not match the 7 seeds/],
    [{ name: 'x', scoring: { diverged: 'ignore' } }, /scoring.diverged: 'ignore' is not one of include, exclude/],
  ];
  for (const [spec, message] of cases) {
    if (message === null) continue; // unknown models are found when the trial builds its model, not here
    assert.throws(() => buildSweep(spec, 'f.yaml'), (e: Error) => {
      assert.ok(e instanceof SpecError, `${JSON.stringify(spec)} → ${e.name}: ${e.message}`);
      assert.match(e.message, /^f\.yaml: /);
      assert.match(e.message, message, JSON.stringify(spec));
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  }
});

test('a budget (--epochs, --seeds) makes a sweep of its own: every trial at the new budget, the first seeds, its own name and id', () => {
  const full = buildSweep({ name: 'grid', base: { model: 'mlp:16x1', steps: 500 }, axes: { lr: ['2^-6', '2^-5'], seed: 5 }, scoring: { best: 3 } });
  const quick = withBudget(full, { epochs: 1, seeds: 2 }, 'grid.yaml');
  assert.equal(quick.spec.name, 'grid (--epochs 1 --seeds 2)');
  assert.match(quick.id, /^grid-epochs-1-seeds-2-[0-9a-f]{12}$/);
  assert.deepEqual(quick.trials.map((t) => t.key), ['lr=2^-6,seed=0', 'lr=2^-6,seed=1', 'lr=2^-5,seed=0', 'lr=2^-5,seed=1']);
  // The base's steps give way to the epochs: the trials train 1 epoch, and nothing else in them changes.
  assert.ok(quick.trials.every((t) => t.config.epochs === 1 && t.config.steps === undefined));
  const { epochs: _e, ...quickRest } = quick.trials[0]!.config;
  const { steps: _s, ...fullRest } = full.trials[0]!.config;
  assert.deepEqual(quickRest, fullRest);
  assert.deepEqual(quick.spec.scoring, { ...full.spec.scoring, best: 2, of: 2 });
  // Each flag alone is a sweep apart from the full one and from the other; `sweep show ID` gets it back from the stored spec.
  const epochsOnly = withBudget(full, { epochs: 1 });
  const seedsOnly = withBudget(full, { seeds: 2 });
  assert.equal(new Set([full.id, quick.id, epochsOnly.id, seedsOnly.id]).size, 4);
  assert.equal(seedsOnly.spec.name, 'grid (--seeds 2)');
  assert.deepEqual(sweepFromStoredSpec(quick.id, JSON.parse(JSON.stringify(quick.spec)), 'stored'), quick);
  // A budget that changes nothing is the spec's own sweep (its runs, its results).
  const epochs2 = buildSweep({ name: 'e2', base: { epochs: 2 }, axes: { seed: 3 } });
  assert.equal(withBudget(epochs2, { epochs: 2, seeds: 3 }), epochs2);
  assert.equal(withBudget(epochs2, {}), epochs2);
});

test('a budget the spec cannot take is one line naming the flag and the spec', () => {
  const cases: [Record<string, unknown>, { epochs?: number; seeds?: number }, RegExp][] = [
    [{ name: 'x', axes: { seed: 5 } }, { seeds: 6 }, /^--seeds 6: grid\.yaml has 5 seeds per point$/],
    [{ name: 'x', axes: { seed: [3] } }, { seeds: 2 }, /^--seeds 2: grid\.yaml has 1 seed per point$/],
    [{ name: 'x', axes: { epochs: [1, 2] } }, { epochs: 1 }, /^--epochs 1: grid\.yaml sweeps epochs, so its trials have no one budget to replace$/],
    [{ name: 'x', axes: { nStep: [1, 2], updates: 100 } }, { epochs: 3 }, /^--epochs 3: grid\.yaml sweeps updates, so/],
  ];
  for (const [spec, budget, message] of cases) {
    assert.throws(() => withBudget(buildSweep(spec, 'grid.yaml'), budget, 'grid.yaml'), (e: Error) => e instanceof SpecError && message.test(e.message), JSON.stringify([spec, budget]));
  }
});

test('spec files: YAML and JSON syntax errors, missing files', () => {
  const dir = tempDir();
  assert.throws(() => loadSweepSpec(join(dir, 'missing.yaml')), /missing.yaml: no such file$/);
  assert.throws(() => loadSweepSpec(writeSpec(dir, 'bad.yaml', 'name: x\naxes:\n  lr: [0.1\n')), /bad.yaml: not valid YAML \(/);
  assert.throws(() => loadSweepSpec(writeSpec(dir, 'bad.json', '{"name": "x",}')), /bad.json: not valid JSON \(/);
  assert.throws(() => loadSweepSpec(writeSpec(dir, 'dup.yaml', 'name: x\nname: y\n')), /dup.yaml: not valid YAML \(Map keys must be unique at line 2/);
  const ok = loadSweepSpec(writeSpec(dir, 'ok.json', JSON.stringify({ name: 'ok', axes: { lr: '2^-6..2^-5' } })));
  assert.equal(ok.trials.length, 2);
});

test('sgdlab sweep run/show: a malformed spec is one line on stderr and exit code 2', async () => {
  const dir = tempDir();
  const store = join(dir, 'runs.sqlite');
  const spec = writeSpec(dir, 'bad.yaml', 'name: bad\naxes:\n  lr: 2^-3..2^-10\n');
  for (const args of [['sweep', 'run', spec, '--store', store], ['sweep', 'show', spec, '--store', store], ['sweep', 'show', 'no-such-sweep', '--store', store]]) {
    const r = await runSgdlab(args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^sgdlab: /);
  }
  const r = await runSgdlab(['sweep', 'run', spec, '--store', store, '--queue', 'redis://user:hunter2@127.0.0.1:1']);
  assert.doesNotMatch(r.stderr, /hunter2/);
});

test('every example spec in sweeps/ is valid; fig5 shares its runs with fig1', () => {
  const root = new URL('../../sweeps/', import.meta.url).pathname;
  const ids = new Map<string, string>();
  for (const folder of ['digits', 'full']) {
    const files = readdirSync(join(root, folder)).filter((f) => f.endsWith('.yaml'));
    for (const figure of [1, 2, 3, 4, 5, 6, 7]) assert.ok(files.includes(`fig${figure}.yaml`), `${folder}/fig${figure}.yaml`);
    for (const file of files) {
      const sweep = loadSweepSpec(join(root, folder, file));
      ids.set(`${folder}/${file}`, sweep.id);
      if (folder === 'digits') assert.ok(sweep.trials.length <= 400 && sweep.trials.every((t) => t.config.data === 'digits'), file);
    }
  }
  assert.equal(ids.get('digits/fig5.yaml'), ids.get('digits/fig1.yaml'));
  assert.equal(ids.get('full/fig5.yaml'), ids.get('full/fig1.yaml'));
});

test('momentum and Nesterov are sweep axes; β = 0 trials keep the config (and id) of a sweep without momentum', () => {
  const sweep = buildSweep({ name: 'momentum', base: { epochs: 1 }, axes: { momentum: [0, 0.9], seed: 1 } });
  assert.deepEqual(sweep.trials.map((t) => t.key), ['momentum=0,seed=0', 'momentum=0.9,seed=0']);
  assert.ok(!('momentum' in sweep.trials[0]!.config));
  assert.equal(sweep.trials[1]!.config.momentum, 0.9);
  assert.deepEqual(sweep.trials[0]!.config, buildSweep({ name: 'momentum', base: { epochs: 1 }, axes: { seed: 1 } }).trials[0]!.config);
  const nesterov = buildSweep({ name: 'nesterov', base: { epochs: 1, momentum: 0.9 }, axes: { nesterov: [false, true], seed: 1 } });
  assert.deepEqual(nesterov.trials.map((t) => t.config.nesterov), [undefined, true]);
  assert.throws(() => buildSweep({ name: 'bad', base: { epochs: 1 }, axes: { nesterov: [true], seed: 1 } }), /nesterov needs momentum > 0/);
});

test('an axis listed with 200 000 values is refused by the trial cap first (in linear time), not checked for repeats value by value', () => {
  const values = Array.from({ length: 200_000 }, (_, i) => i + 1);
  assert.throws(() => buildSweep({ name: 'long', axes: { epochs: values } }, 'long.json'), /^SpecError: long\.json: axes\.epochs: 200000 values is more than the 100000 trials a sweep may have; split the sweep$/);
  assert.throws(() => buildSweep({ name: 'long', axes: { seed: values } }, 'long.json'), /axes\.seed: 200000 seeds is more than the 100000 trials/);
  // Below the cap, repeats are found with a set, one pass.
  assert.throws(() => buildSweep({ name: 'rep', axes: { epochs: [...values.slice(0, 50_000), 7] } }, 'rep.json'), /axes\.epochs: value 7 is listed twice/);
});

test('optimizer, beta1, beta2 and adamEps are sweep axes (keys from the optimizer table), and adamEpsInsideRoot a boolean one', () => {
  const sweep = buildSweep({ name: 'adam', base: { epochs: 1, optimizer: 'adam' }, axes: { beta1: [0, 0.9], beta2: [0.99, 0.999], adamEps: ['2^-20'], adamEpsInsideRoot: [true], seed: 1 } });
  assert.equal(sweep.trials.length, 4);
  assert.deepEqual(sweep.trials.map((t) => [t.config.optimizer, t.config.beta1, t.config.beta2, t.config.adamEps, t.config.adamEpsInsideRoot]), [
    ['adam', 0, 0.99, 2 ** -20, true], ['adam', 0, 0.999, 2 ** -20, true], ['adam', 0.9, 0.99, 2 ** -20, true], ['adam', 0.9, 0.999, 2 ** -20, true],
  ]);
  const both = buildSweep({ name: 'optimizers', base: { epochs: 1 }, axes: { optimizer: ['sgd', 'adam'], seed: 1 } });
  assert.deepEqual(both.trials.map((t) => t.config.optimizer), [undefined, 'adam']);
});
