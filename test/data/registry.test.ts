// The data set table: every entry loads through loadDataset (a row per data set, on small inputs:
// the embedded digits, a small synthetic set, fixture files under the official names), its shape
// without loading agrees with what loads, and an unknown name is a one-line error listing the table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, DATASETS, DATASET_NAMES, DATA_SPEC_FORMS, datasetShape, loadDataset, type DataShape, type DataSpec, type LoadDatasetOptions } from '../../src/data/index.ts';
import { gzipSync } from 'node:zlib';
import { cifarRecords, dataTensors, idxImages, idxLabels, safetensorsBytes, tempDir } from './fixtures.ts';

/**
 * `spec`: what `--data` says (the name, unless the source takes an argument such as a directory);
 * `preflight`: what datasetShape says without loading (the official sizes for the official sets, whatever the fixture holds).
 */
type Row = { spec?: (dir: string) => DataSpec; options: (dir: string) => Omit<LoadDatasetOptions, 'name'>; write?: (dir: string) => void; train: number; test: number | undefined; shape: number[]; preflight: DataShape };
const ROWS: Record<keyof typeof DATASETS, Row> = {
  digits: { options: () => ({ trainSize: 1000 }), train: 1000, test: 797, shape: [1, 8, 8], preflight: { example: [1, 8, 8], classes: 10, train: 1000, test: 797 } },
  synthetic: { options: () => ({ trainSize: 40, synthetic: { testSize: 20, dimension: 5 } }), train: 40, test: 20, shape: [5], preflight: { example: [5], classes: 10, train: 40, test: 20 } },
  'fashion-mnist': {
    write: (dir) => {
      writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxImages(20));
      writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxLabels(20));
    },
    options: (dir) => ({ dir, verify: false, trainSize: 10 }),
    train: 10,
    test: undefined,
    shape: [1, 28, 28],
    preflight: { example: [1, 28, 28], classes: 10, train: 10, test: 10_000 },
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
    preflight: { example: [3, 32, 32], classes: 10, train: 50_000, test: 10_000 },
  },
  idx: {
    // Not 28×28, not 10 classes, the train pair gzip'd and the test pair in the dotted spelling.
    spec: (dir) => `idx:${dir}`,
    write: (dir) => {
      writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxImages(12, 5, 7)));
      writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idxLabels(12, Array.from({ length: 12 }, (_, k) => k % 4))));
      writeFileSync(join(dir, 't10k-images.idx3-ubyte'), idxImages(5, 5, 7));
      writeFileSync(join(dir, 't10k-labels.idx1-ubyte'), idxLabels(5, [0, 1, 2, 3, 0]));
    },
    options: () => ({ trainSize: 8 }),
    train: 8,
    test: 5,
    shape: [1, 5, 7],
    preflight: { example: [1, 5, 7], classes: 4, train: 8, test: 5 },
  },
  file: {
    spec: (dir) => `file:${join(dir, 'data.safetensors')}`,
    write: (dir) => writeFileSync(join(dir, 'data.safetensors'), safetensorsBytes(dataTensors(9, 4, [2, 3, 3], 3))),
    options: () => ({}),
    train: 9,
    test: 4,
    shape: [2, 3, 3],
    preflight: { example: [2, 3, 3], classes: 3, train: 9, test: 4 },
  },
};

test('every data set in the table loads through loadDataset', (t) => {
  for (const name of DATASET_NAMES) {
    const row = ROWS[name];
    assert.ok(row, `a test row for ${name}`);
    const dir = tempDir(t);
    row.write?.(dir);
    const spec = row.spec?.(dir) ?? (name as DataSpec);
    const split = loadDataset({ name: spec, ...row.options(dir) });
    assert.equal(split.train.n, row.train, name);
    assert.equal(split.test?.n, row.test, name);
    assert.deepEqual(split.train.shape, row.shape, name);
    const preflight = datasetShape({ name: spec, ...row.options(dir) });
    assert.deepEqual(preflight, row.preflight, name);
    assert.deepEqual(preflight.example, split.train.shape, `${name}: the preflight's example shape is the loaded one`);
    assert.equal(preflight.classes, split.train.numClasses, `${name}: the preflight's classes are the loaded ones`);
    assert.ok(preflight.train >= split.train.n && preflight.test >= (split.test?.n ?? 0), `${name}: the preflight's sizes bound the loaded ones`);
  }
});

test('an unknown data set is one line listing the table', () => {
  for (const name of ['imagenet', 'constructor', '__proto__', 'idx', 'idx:', 'digits:x', 'imagenet:x']) {
    assert.throws(() => loadDataset({ name: name as 'digits' }), (e: unknown) => e instanceof DataError && e.message === `unknown data set '${name}' (expected ${DATA_SPEC_FORMS.join(', ')})`);
  }
});
