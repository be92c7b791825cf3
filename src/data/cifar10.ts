// Reader for the CIFAR-10 binary version: records of 1 label byte + 3072 pixel bytes (R, G, B planes of 32x32).
// Images become [3, 32, 32] rows of raw pixel values 0..255 as float32; data_batch_1..5 train, test_batch test.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from './errors.ts';
import { isDirectory, isFile, readDataFile, requireDirectory } from './files.ts';
import type { Dataset, DataSplit } from './dataset.ts';

export const CIFAR10_PIXELS = 3 * 32 * 32;
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_PIXELS;
export const CIFAR10_SUBDIRECTORY = 'cifar-10-batches-bin';
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR10_TEST_FILE = 'test_batch.bin';
const NUM_CLASSES = 10;

/** The directory holding the batch files: dir itself, or its cifar-10-batches-bin/ as extracted from the archive. */
export function cifar10BatchDirectory(dir: string): string {
  requireDirectory(dir, 'cifar10');
  const nested = join(dir, CIFAR10_SUBDIRECTORY);
  if (!isFile(join(dir, CIFAR10_TRAIN_FILES[0]!)) && isDirectory(nested)) return nested;
  return dir;
}

function recordCount(path: string, name: string): number {
  const bytes = statSync(path).size;
  if (bytes === 0) throw new DataError(`${name}: empty file`);
  if (bytes % CIFAR10_RECORD_BYTES !== 0) throw new DataError(`${name}: truncated (${bytes} bytes is not a multiple of ${CIFAR10_RECORD_BYTES})`);
  return bytes / CIFAR10_RECORD_BYTES;
}

/** Decode records from buf into x/y starting at example index offset; validates labels. */
export function decodeCifar10Records(buf: Uint8Array, name: string, x: Float32Array, y: Int32Array, offset: number): number {
  if (buf.length % CIFAR10_RECORD_BYTES !== 0) throw new DataError(`${name}: truncated (${buf.length} bytes is not a multiple of ${CIFAR10_RECORD_BYTES})`);
  const count = buf.length / CIFAR10_RECORD_BYTES;
  for (let r = 0; r < count; r++) {
    const base = r * CIFAR10_RECORD_BYTES;
    const label = buf[base]!;
    if (label >= NUM_CLASSES) throw new DataError(`${name}: label ${label} out of range 0..${NUM_CLASSES - 1} (record ${r})`);
    y[offset + r] = label;
    const out = (offset + r) * CIFAR10_PIXELS;
    for (let p = 0; p < CIFAR10_PIXELS; p++) x[out + p] = buf[base + 1 + p]!;
  }
  return count;
}

function loadBatches(dir: string, files: string[], name: string): Dataset {
  const paths = files.map((f) => join(dir, f));
  // Validate every size before allocating: a bad fifth file should not cost a 600 MB allocation first.
  const counts = paths.map((p, i) => recordCount(p, files[i]!));
  const n = counts.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n * CIFAR10_PIXELS);
  const y = new Int32Array(n);
  let offset = 0;
  paths.forEach((p, i) => {
    offset += decodeCifar10Records(readDataFile(p, files[i]!), files[i]!, x, y, offset);
  });
  return { name, x, y, n, shape: [3, 32, 32], numClasses: NUM_CLASSES, pixelMax: 255 };
}

/** CIFAR-10 from dir (or dir/cifar-10-batches-bin): all five training batches required, test_batch.bin optional. */
export function loadCifar10(dir: string): DataSplit {
  const batchDir = cifar10BatchDirectory(dir);
  for (const f of CIFAR10_TRAIN_FILES) if (!isFile(join(batchDir, f))) throw new DataError(`cifar10: no ${f} in ${batchDir}`);
  const train = loadBatches(batchDir, CIFAR10_TRAIN_FILES, 'cifar10/train');
  if (!isFile(join(batchDir, CIFAR10_TEST_FILE))) return { train };
  return { train, test: loadBatches(batchDir, [CIFAR10_TEST_FILE], 'cifar10/test') };
}
