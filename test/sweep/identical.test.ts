// Identical trials are trained once: a trial whose training (config, budget, evaluation steps) equals a recorded one
// of another sweep is loaded from it and not appended again; the committed Fashion-MNIST results count 63 reruns;
// a different seed or budget is a different training, a shorter constant-rate budget a prefix of a longer one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../src/store/index.ts';
import { countTrainings, exportSweepResults, importResults, loadSweepSpec, readResultsFile, sameTraining, trainingIdentity } from '../../src/sweep/index.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const RESULTS = `${ROOT}docs/reproduction/fashion-mnist/results.jsonl`;

test('a sweep whose trials were trained under another sweep loads them and appends nothing', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-identical-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Only Fig. 7a/7c's records: every 38,400-update trial of Fig. 7b is one of them (n = 1, 2, 4 at 60, 30, 15 epochs).
  const lines = readFileSync(RESULTS, 'utf8').split('\n').filter((l) => l.includes('"sweep":"fashion-mnist fig7ac"'));
  const file = join(dir, 'results.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const fig7b = loadSweepSpec(`${ROOT}sweeps/fashion-mnist/fig7b.yaml`);
  const store = RunStore.open(join(dir, 'runs.sqlite'));
  try {
    assert.equal(importResults(store, fig7b, readResultsFile(file)), fig7b.trials.length);
    assert.equal(exportSweepResults(store, fig7b, file), 0, 'a shared trial is not written again under the other sweep');
    // Fig. 7b-long's n = 1 and 2 trials (240 and 120 epochs) were never trained: nothing to share.
    const long = loadSweepSpec(`${ROOT}sweeps/fashion-mnist/fig7b-long.yaml`);
    assert.equal(importResults(store, long, readResultsFile(file)), 0, 'the 153,600-update trials evaluate every 10 epochs, not 5: not the same record');
  } finally {
    store.close();
  }
});

test('the committed Fashion-MNIST results: 63 trials are identical reruns of others', () => {
  const records = readResultsFile(RESULTS).filter((r) => r.sweep !== 'fashion-mnist fig6a-w1024');
  const count = countTrainings(records.map((r) => ({ config: r.config, seconds: r.result.seconds })));
  assert.equal(count.trials, 327);
  assert.equal(count.trials - count.distinct, 63);
  assert.ok(count.uniqueSeconds < count.seconds);
});

test('seed, budget and schedule decide the training; threads and evaluation do not', () => {
  const [first] = readResultsFile(RESULTS);
  const config = first!.config;
  assert.equal(sameTraining(config, { ...config, threads: 2 }), true);
  assert.equal(sameTraining(config, { ...config, seed: config.seed + 1 }), false);
  assert.equal(sameTraining(config, { ...config, evalEvery: 5 }), false, 'another evaluation cadence records another history');
  assert.equal(trainingIdentity(config).key, trainingIdentity({ ...config, evalEvery: 5 }).key);
  // 120 epochs of 640 steps is 76,800 steps however the budget is written.
  const { epochs: _e, ...rest } = config;
  assert.equal(sameTraining(config, { ...rest, steps: 76_800 }), true);
  const short = countTrainings([{ config, seconds: 10 }, { config: { ...config, epochs: 60 }, seconds: 5 }]);
  assert.deepEqual({ distinct: short.distinct, prefixes: short.prefixes, uniqueSeconds: short.uniqueSeconds }, { distinct: 2, prefixes: 1, uniqueSeconds: 10 });
});
