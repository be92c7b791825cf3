// `--data idx:DIR`: any IDX pair loads (any image size, classes from the labels, no checksum), and a table
// of bad directories each gives one DataError line naming the file or the spec.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError, datasetShape, loadDataset, type DataSpec } from '../../src/data/index.ts';
import { idxImages, idxLabels, tempDir } from './fixtures.ts';
import { readDataPrefix, readMaybeGzipped } from '../../src/data/files.ts';

test('an EMNIST-like pair: 47 classes from the labels, 9×6 images, pixel range 255, without a checksum', (t) => {
  const dir = tempDir(t);
  const trainLabels = Array.from({ length: 94 }, (_, k) => k % 47);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxImages(94, 9, 6));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxLabels(94, trainLabels));
  const spec: DataSpec = `idx:${dir}`;
  const { train, test } = loadDataset({ name: spec });
  assert.equal(test, undefined);
  assert.deepEqual([train.n, train.numClasses, train.pixelMax, train.shape], [94, 47, 255, [1, 9, 6]]);
  assert.deepEqual(Array.from(train.y), trainLabels);
  // Pixel (k, i) = (k·31 + i) mod 256 (fixtures.ts).
  assert.equal(train.x[2 * 54 + 5], (2 * 31 + 5) % 256);
  assert.deepEqual(datasetShape({ name: spec }), { example: [1, 9, 6], classes: 47, train: 94, test: 0 });
});

test('bad IDX directories: one line each, naming the file or the input', (t) => {
  const root = tempDir(t);
  type Files = Record<string, Buffer>;
  const pair = (n: number, labels?: number[]): Files => ({ 'train-images-idx3-ubyte': idxImages(n, 4, 4), 'train-labels-idx1-ubyte': idxLabels(n, labels) });
  const images = idxImages(6, 4, 4);
  const cases: [name: string, files: Files, message: RegExp][] = [
    ['wrong magic', { ...pair(6), 'train-images-idx3-ubyte': idxImages(6, 4, 4, 2049) }, /^train-images-idx3-ubyte: bad magic number 2049 \(expected 2051\)$/],
    ['labels where the images belong', { ...pair(6), 'train-images-idx3-ubyte': idxLabels(6) }, /^train-images-idx3-ubyte: (truncated header|bad magic number 2049)/],
    ['truncated images', { ...pair(6), 'train-images-idx3-ubyte': images.subarray(0, images.length - 3) }, /^train-images-idx3-ubyte: truncated \(109 bytes, the header promises 6 images of 4x4 plus a 16-byte header = 112 bytes\)$/],
    ['truncated gzip', { 'train-images-idx3-ubyte.gz': gzipSync(images).subarray(0, 20), 'train-labels-idx1-ubyte': idxLabels(6) }, /^train-images-idx3-ubyte\.gz: not a valid gzip file/],
    ['mismatched counts', { ...pair(6), 'train-labels-idx1-ubyte': idxLabels(5) }, /^idx:.*: train-images-idx3-ubyte has 6 examples but train-labels-idx1-ubyte has 5 labels$/],
    ['a test label beyond the training classes', { ...pair(6, [0, 1, 2, 0, 1, 2]), 't10k-images-idx3-ubyte': idxImages(2, 4, 4), 't10k-labels-idx1-ubyte': idxLabels(2, [1, 7]) }, /^idx:.*: t10k-labels-idx1-ubyte holds label 7 at example 1, out of range 0\.\.2 \(the classes of train-labels-idx1-ubyte\)$/],
    ['test images of another size', { ...pair(6), 't10k-images-idx3-ubyte': idxImages(2, 5, 4), 't10k-labels-idx1-ubyte': idxLabels(2) }, /^idx:.*: t10k-images-idx3-ubyte has examples of shape \[1, 5, 4\] but train-images-idx3-ubyte has \[1, 4, 4\]$/],
    ['missing training labels', { 'train-images-idx3-ubyte': images }, /^idx:.*: no train-labels-idx1-ubyte\[\.gz\] in .* \(nor train-labels\.idx1-ubyte\[\.gz\]\)$/],
    ['test images without labels', { ...pair(6), 't10k-images-idx3-ubyte': idxImages(2, 4, 4) }, /^idx:.*: no t10k-labels-idx1-ubyte\[\.gz\] in /],
  ];
  cases.forEach(([name, files, message], i) => {
    const dir = join(root, String(i));
    mkdirSync(dir);
    for (const [file, bytes] of Object.entries(files)) writeFileSync(join(dir, file), bytes);
    const spec: DataSpec = `idx:${dir}`;
    assert.throws(() => loadDataset({ name: spec }), (e: unknown) => e instanceof DataError && !e.message.includes('\n') && message.test(e.message), name);
  });
  const absent: DataSpec = `idx:${join(root, 'nowhere')}`;
  assert.throws(() => loadDataset({ name: absent }), (e: unknown) => e instanceof DataError && e.message === `${absent}: directory ${join(root, 'nowhere')} does not exist`);
  assert.throws(() => datasetShape({ name: absent }), (e: unknown) => e instanceof DataError && e.message === `${absent}: directory ${join(root, 'nowhere')} does not exist`);
});

test('a FIFO in place of an IDX file is refused in one line, not waited on (images header or labels)', { timeout: 20_000 }, (t) => {
  for (const fifo of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte']) {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxImages(6, 4, 4));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxLabels(6));
    rmSync(join(dir, fifo));
    execFileSync('mkfifo', [join(dir, fifo)]);
    const spec: DataSpec = `idx:${dir}`;
    // The locator passes over what is not a regular file; the readers refuse one too (bounded input reader).
    const named = (e: unknown) => e instanceof DataError && !e.message.includes('\n') && e.message.includes(fifo);
    assert.throws(() => loadDataset({ name: spec }), named, `${fifo}: load`);
    assert.throws(() => datasetShape({ name: spec }), named, `${fifo}: shape`);
    // The readers themselves, handed the FIFO (as after a swap between the locator's check and the read).
    const read = fifo.includes('images') ? () => readDataPrefix(join(dir, fifo), 16) : () => readMaybeGzipped(join(dir, fifo));
    assert.throws(read, (e: unknown) => e instanceof DataError && e.message === `${fifo}: is not a regular file but a FIFO (named pipe)`, `${fifo}: reader`);
  }
});
