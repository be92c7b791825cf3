// The data set table: every entry loads through loadDataset (a row per data set, on small inputs:
// the embedded digits, a small synthetic set, fixture files under the official names), and an
// unknown name is a one-line error listing the table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, DATASETS, DATASET_NAMES, loadDataset, type LoadDatasetOptions } from '../../src/data/index.ts';
import { cifarRecords, idxImages, idxLabels, tempDir } from './fixtures.ts';

type Row = { options: (dir: string) => Omit<LoadDatasetOptions, 'name'>; write?: (dir: string) => void; train: number; test: number | undefined; shape: number[] };
const ROWS: Record<keyof typeof DATASETS, Row> = {
  digits: { options: () => ({ trainSize: 1000 }), train: 1000, test: 797, shape: [1, 8, 8] },
  synthetic: { options: () => ({ trainSize: 40, synthetic: { testSize: 20, dimension: 5 } }), train: 40, test: 20, shape: [5] },
  'fashion-mnist': {
    write: (dir) => {
      writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxImages(20));
      writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxLabels(20));
    },
    options: (dir) => ({ dir, verify: false, trainSize: 10 }),
    train: 10,
    test: undefined,
    shape: [1, 28, 28],
  },
  cifar10: {
    write: (dir) => {
      for (let i = 1; i <= 5; i++) writeFileSync(join(dir, `data_batch_${i}.bin`), cifarRecords(4));
      writeFileSync(join(dir, 'test_batch.bin'), cifarRecords(3));
    },
    options: (dir) => ({ dir }),
    train: 20,
    test: 3,
    shape: [3, 32, 32],
  },
};

test('every data set in the table loads through loadDataset', (t) => {
  for (const name of DATASET_NAMES) {
    const row = ROWS[name];
    assert.ok(row, `a test row for ${name}`);
    const dir = tempDir(t);
    row.write?.(dir);
    const split = loadDataset({ name, ...row.options(dir) });
    assert.equal(split.train.n, row.train, name);
    assert.equal(split.test?.n, row.test, name);
    assert.deepEqual(split.train.shape, row.shape, name);
  }
});

test('an unknown data set is one line listing the table', () => {
  for (const name of ['imagenet', 'constructor', '__proto__']) {
    assert.throws(() => loadDataset({ name: name as 'digits' }), (e: unknown) => e instanceof DataError && e.message === `unknown data set '${name}' (expected ${DATASET_NAMES.join(', ')})`);
  }
});
