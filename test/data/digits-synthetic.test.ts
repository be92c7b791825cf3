// Tests of the built-in data sets: the embedded digits (size, split, determinism) and synthetic data (seeding, label noise).
// These need no files beyond src/data/assets and run in well under a second.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadAllDigits, loadDigits, parseDigitsCsv, DataError, makeSynthetic, checkDataset, classCounts } from '../../src/data/index.ts';

test('the embedded digits file is the documented one', () => {
  const bytes = readFileSync(new URL('../../src/data/assets/digits.csv.gz', import.meta.url));
  assert.equal(createHash('sha256').update(bytes).digest('hex'), '46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a');
});

test('digits load 1797 valid 8x8 images with labels 0..9', () => {
  const all = loadAllDigits();
  assert.equal(all.n, 1797);
  assert.deepEqual(all.shape, [1, 8, 8]);
  assert.equal(all.x.length, 1797 * 64);
  checkDataset(all);
  assert.ok(all.x.every((v) => Number.isInteger(v) && v >= 0 && v <= 16));
  assert.ok(classCounts(all).every((c) => c > 150));
  // First row of the file (a zero), as in the CSV.
  assert.deepEqual([...all.x.subarray(0, 8)], [0, 0, 5, 13, 9, 1, 0, 0]);
  assert.equal(all.y[0], 0);
});

test('digits split: default 1200/597, a partition of all rows, deterministic per seed', () => {
  const a = loadDigits();
  assert.equal(a.train.n, 1200);
  assert.equal(a.test?.n, 597);
  const b = loadDigits();
  assert.deepEqual(a.train.y, b.train.y);
  assert.deepEqual(a.train.x, b.train.x);
  const c = loadDigits({ seed: 1 });
  assert.notDeepEqual(a.train.y, c.train.y);
  // Train and test together hold every row exactly once: compare multisets of row fingerprints.
  const all = loadAllDigits();
  const key = (x: Float32Array, i: number) => x.subarray(i * 64, (i + 1) * 64).join(',');
  const rows = (ds: { x: Float32Array; n: number; y: Int32Array }) => Array.from({ length: ds.n }, (_, i) => key(ds.x, i) + '|' + ds.y[i]).sort();
  assert.deepEqual([...rows(a.train), ...rows(a.test!)].sort(), rows(all));
  const small = loadDigits({ trainSize: 100 });
  assert.equal(small.train.n, 100);
  assert.equal(small.test?.n, 1697);
  assert.equal(loadDigits({ trainSize: 1797 }).test, undefined);
  assert.throws(() => loadDigits({ trainSize: 0 }), DataError);
  assert.throws(() => loadDigits({ trainSize: 1798 }), /train size 1798/);
  // Loading must not alter the shared parsed copy.
  assert.deepEqual([...loadAllDigits().x.subarray(0, 8)], [0, 0, 5, 13, 9, 1, 0, 0]);
});

test('digits CSV validation names the problem', () => {
  const row = Array(64).fill('0').join(',') + ',3';
  const good = Array(1797).fill(row).join('\n') + '\n';
  assert.equal(parseDigitsCsv(good).n, 1797);
  assert.throws(() => parseDigitsCsv(Array(10).fill(row).join('\n')), { name: 'DataError', message: 'digits.csv.gz: 10 rows (expected 1797)' });
  const badLabel = good.replace(/,3\n$/, ',12\n');
  assert.throws(() => parseDigitsCsv(badLabel), /row 1797: label '12' is not an integer in 0\.\.9/);
  const shortRow = good.replace(/^0,/, '');
  assert.throws(() => parseDigitsCsv(shortRow), /row 1 has 64 columns \(expected 65\)/);
});

test('synthetic data is deterministic per seed and has the requested shape', () => {
  for (const kind of ['gaussian-mixture', 'teacher'] as const) {
    const a = makeSynthetic({ kind, trainSize: 200, testSize: 50, dimension: 5, classes: 3, seed: 4 });
    const b = makeSynthetic({ kind, trainSize: 200, testSize: 50, dimension: 5, classes: 3, seed: 4 });
    const c = makeSynthetic({ kind, trainSize: 200, testSize: 50, dimension: 5, classes: 3, seed: 5 });
    assert.deepEqual(a.train.x, b.train.x);
    assert.deepEqual(a.train.y, b.train.y);
    assert.deepEqual(a.test?.x, b.test?.x);
    assert.notDeepEqual(a.train.x, c.train.x);
    assert.equal(a.train.n, 200);
    assert.equal(a.test?.n, 50);
    assert.deepEqual(a.train.shape, [5]);
    checkDataset(a.train);
    checkDataset(a.test!);
    // Every class occurs.
    assert.ok(classCounts(a.train).every((count) => count > 0), kind);
  }
  assert.equal(makeSynthetic({ testSize: 0 }).test, undefined);
  assert.throws(() => makeSynthetic({ dimension: 0 }), DataError);
  assert.throws(() => makeSynthetic({ labelNoise: 1.5 }), /label noise 1.5/);
});

test('gaussian-mixture labels are learnable: nearest class mean beats chance by far', () => {
  const { train, test } = makeSynthetic({ trainSize: 2000, testSize: 500, dimension: 16, classes: 4, seed: 1 });
  const means = new Float64Array(4 * 16);
  const counts = classCounts(train);
  for (let i = 0; i < train.n; i++) for (let j = 0; j < 16; j++) means[train.y[i]! * 16 + j]! += train.x[i * 16 + j]! / counts[train.y[i]!]!;
  let correct = 0;
  for (let i = 0; i < test!.n; i++) {
    let best = -1, bestDistance = Infinity;
    for (let c = 0; c < 4; c++) {
      let d = 0;
      for (let j = 0; j < 16; j++) d += (test!.x[i * 16 + j]! - means[c * 16 + j]!) ** 2;
      if (d < bestDistance) [best, bestDistance] = [c, d];
    }
    if (best === test!.y[i]) correct++;
  }
  assert.ok(correct / test!.n > 0.6, `accuracy ${correct / test!.n}`);
});

test('label noise replaces exactly the requested fraction of training labels, inputs unchanged', () => {
  const options = { trainSize: 1000, testSize: 300, classes: 5, seed: 9 };
  const clean = makeSynthetic(options);
  const noisy = makeSynthetic({ ...options, labelNoise: 0.2 });
  assert.deepEqual(noisy.train.x, clean.train.x);
  let changed = 0;
  for (let i = 0; i < 1000; i++) if (noisy.train.y[i] !== clean.train.y[i]) changed++;
  assert.equal(changed, 200);
  assert.deepEqual(noisy.test?.y, clean.test?.y); // test labels stay clean
  checkDataset(noisy.train);
  const all = makeSynthetic({ ...options, labelNoise: 1 });
  for (let i = 0; i < 1000; i++) assert.notEqual(all.train.y[i], clean.train.y[i]);
});
