// Tests of the Fashion-MNIST IDX and CIFAR-10 binary readers on small fixture files written to a temp dir.
// Valid files must round trip; each corruption must give its one-line DataError naming the file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError, loadCifar10, loadFashionMnist, loadDataset } from '../../src/data/index.ts';
import { cifarRecords, idxImages, idxLabels, tempDir } from './fixtures.ts';

// Small fixture files under the official names: their contents are not the official ones, so no SHA-256 check.
const FIXTURE = { verify: false } as const;

function writeFashion(dir: string, files: Record<string, Buffer>): void {
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
}

const validFashion = () => ({
  'train-images-idx3-ubyte.gz': gzipSync(idxImages(12)),
  'train-labels-idx1-ubyte.gz': gzipSync(idxLabels(12)),
  't10k-images-idx3-ubyte': idxImages(5),
  't10k-labels-idx1-ubyte': idxLabels(5, [9, 8, 7, 6, 5]),
});

function expectDataError(fn: () => unknown, message: string | RegExp, what = ''): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DataError, `${what}: expected a DataError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), 'message must be one line');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

test('fashion-mnist: gzip and raw IDX files round trip', (t) => {
  const dir = tempDir(t);
  writeFashion(dir, validFashion());
  const { train, test: testSet } = loadFashionMnist(dir, FIXTURE);
  assert.equal(train.n, 12);
  assert.deepEqual(train.shape, [1, 28, 28]);
  assert.equal(train.pixelMax, 255);
  assert.deepEqual([...train.y], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  assert.equal(train.x[0], 0);
  assert.equal(train.x[784 * 3 + 10], (3 * 31 + 10) % 256);
  assert.equal(train.x.length, 12 * 784);
  assert.equal(testSet?.n, 5);
  assert.deepEqual([...testSet!.y], [9, 8, 7, 6, 5]);
  assert.equal(loadDataset({ name: 'fashion-mnist', dir, verify: false }).train.n, 12);
});

test('fashion-mnist: a directory with only the train files loads without a test set', (t) => {
  const dir = tempDir(t);
  const { 'train-images-idx3-ubyte.gz': images, 'train-labels-idx1-ubyte.gz': labels } = validFashion();
  writeFashion(dir, { 'train-images-idx3-ubyte.gz': images, 'train-labels-idx1-ubyte.gz': labels });
  const split = loadFashionMnist(dir, FIXTURE);
  assert.equal(split.train.n, 12);
  assert.equal(split.test, undefined);
});

test('fashion-mnist: each corruption gives its one-line DataError', (t) => {
  const truncatedGzip = gzipSync(idxImages(12));
  const corruptCrc = Buffer.from(gzipSync(idxImages(12)));
  corruptCrc[corruptCrc.length - 6]! ^= 0xff; // inside the CRC32 trailer
  const cases: Array<[string, Record<string, Buffer | undefined>, string | RegExp]> = [
    ['wrong image magic', { 'train-images-idx3-ubyte.gz': gzipSync(idxImages(12, 28, 28, 1234)) }, 'train-images-idx3-ubyte.gz: bad magic number 1234 (expected 2051)'],
    ['wrong label magic', { 'train-labels-idx1-ubyte.gz': gzipSync(idxLabels(12, undefined, 2051)) }, 'train-labels-idx1-ubyte.gz: bad magic number 2051 (expected 2049)'],
    ['truncated images', { 'train-images-idx3-ubyte.gz': gzipSync(idxImages(12).subarray(0, 16 + 784 * 11 + 5)) }, /^train-images-idx3-ubyte\.gz: truncated \(8645 bytes, the header promises 12 images of 28x28/],
    ['trailing bytes', { 'train-images-idx3-ubyte.gz': gzipSync(Buffer.concat([idxImages(12), Buffer.alloc(3)])) }, /^train-images-idx3-ubyte\.gz: 3 bytes of trailing data/],
    ['truncated header', { 'train-labels-idx1-ubyte.gz': gzipSync(Buffer.alloc(5)) }, 'train-labels-idx1-ubyte.gz: truncated header (5 bytes, expected at least 8)'],
    ['not gzip', { 'train-images-idx3-ubyte.gz': idxImages(12) }, /^train-images-idx3-ubyte\.gz: not a valid gzip file/],
    ['truncated gzip', { 'train-images-idx3-ubyte.gz': truncatedGzip.subarray(0, truncatedGzip.length - 20) }, /^train-images-idx3-ubyte\.gz: not a valid gzip file/],
    ['gzip CRC mismatch', { 'train-images-idx3-ubyte.gz': corruptCrc }, /^train-images-idx3-ubyte\.gz: not a valid gzip file/],
    ['label out of range', { 't10k-labels-idx1-ubyte': idxLabels(5, [1, 2, 12, 3, 4]) }, 't10k-labels-idx1-ubyte: label 12 out of range 0..9 (example 2)'],
    ['count mismatch', { 'train-labels-idx1-ubyte.gz': gzipSync(idxLabels(11)) }, 'train-labels-idx1-ubyte.gz: 11 labels but train-images-idx3-ubyte.gz has 12 images'],
    ['wrong image size', { 'train-images-idx3-ubyte.gz': gzipSync(idxImages(12, 27, 28)) }, 'train-images-idx3-ubyte.gz: images are 27x28 (expected 28x28)'],
    ['missing train images', { 'train-images-idx3-ubyte.gz': undefined }, /^fashion-mnist: no train-images-idx3-ubyte\[\.gz\] in \//],
    ['test images without test labels', { 't10k-labels-idx1-ubyte': undefined }, /^fashion-mnist: no t10k-labels-idx1-ubyte\[\.gz\] in /],
  ];
  for (const [what, changes, message] of cases) {
    const dir = tempDir(t);
    const files: Record<string, Buffer | undefined> = { ...validFashion(), ...changes };
    for (const [name, data] of Object.entries(files)) if (data) writeFileSync(join(dir, name), data);
    expectDataError(() => loadFashionMnist(dir, FIXTURE), message, what);
  }
  expectDataError(() => loadFashionMnist(join(tempDir(t), 'nope'), FIXTURE), /^fashion-mnist: directory .*nope does not exist$/);
});

function writeCifar(dir: string, perFile = 3, withTest = true): void {
  for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), cifarRecords(perFile, b));
  if (withTest) writeFileSync(join(dir, 'test_batch.bin'), cifarRecords(2, 7));
}

test('cifar10: binary batches round trip, in the directory or its cifar-10-batches-bin/', (t) => {
  const dir = tempDir(t);
  writeCifar(dir);
  const { train, test: testSet } = loadCifar10(dir);
  assert.equal(train.n, 15);
  assert.deepEqual(train.shape, [3, 32, 32]);
  assert.deepEqual([...train.y], [1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6, 5, 6, 7]);
  assert.equal(train.x[3072 * 4 + 100], (1 + 100) % 256); // record 1 of data_batch_2
  assert.equal(testSet?.n, 2);
  assert.deepEqual([...testSet!.y], [7, 8]);

  const parent = tempDir(t);
  mkdirSync(join(parent, 'cifar-10-batches-bin'));
  writeCifar(join(parent, 'cifar-10-batches-bin'), 2, false);
  const nested = loadCifar10(parent);
  assert.equal(nested.train.n, 10);
  assert.equal(nested.test, undefined);
  assert.equal(loadDataset({ name: 'cifar10', dir: parent }).train.n, 10);
});

test('cifar10: each corruption gives its one-line DataError', (t) => {
  const cases: Array<[string, (dir: string) => void, string | RegExp]> = [
    ['truncated', (d) => writeFileSync(join(d, 'data_batch_3.bin'), cifarRecords(10).subarray(0, 30725)), 'data_batch_3.bin: truncated (30725 bytes is not a multiple of 3073)'],
    ['empty', (d) => writeFileSync(join(d, 'test_batch.bin'), Buffer.alloc(0)), 'test_batch.bin: empty file'],
    ['label out of range', (d) => { const b = cifarRecords(3); b[3073 * 2] = 12; writeFileSync(join(d, 'data_batch_5.bin'), b); }, 'data_batch_5.bin: label 12 out of range 0..9 (record 2)'],
    ['empty training batch', (d) => writeFileSync(join(d, 'data_batch_2.bin'), ''), 'data_batch_2.bin: empty file'],
  ];
  for (const [what, corrupt, message] of cases) {
    const dir = tempDir(t);
    writeCifar(dir);
    corrupt(dir);
    expectDataError(() => loadCifar10(dir), message, what);
  }
  const partial = tempDir(t);
  writeFileSync(join(partial, 'data_batch_1.bin'), cifarRecords(1));
  expectDataError(() => loadCifar10(partial), `cifar10: no data_batch_2.bin in ${partial}`);
  expectDataError(() => loadDataset({ name: 'cifar10' }), /^cifar10: no data found in .*data\/cifar10 \(get it with: sgdlab data fetch cifar10; or pass --data-dir\)$/);
});

