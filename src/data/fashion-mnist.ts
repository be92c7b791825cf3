// Reader for Fashion-MNIST (and MNIST-like) IDX files, gzip'd or not, with strict validation.
// Images become [1, 28, 28] rows of raw pixel values 0..255 as float32; labels 0..9.

import { basename } from 'node:path';
import { DataError } from './errors.ts';
import { findMaybeGzipped, readMaybeGzipped, requireDirectory } from './files.ts';
import { verifyOfficialFile } from './integrity.ts';
import type { Dataset, DataSplit } from './dataset.ts';

export const IDX_IMAGES_MAGIC = 2051; // 0x00000803: unsigned bytes, 3 dimensions
export const IDX_LABELS_MAGIC = 2049; // 0x00000801: unsigned bytes, 1 dimension
const IMAGE_SIDE = 28;
const NUM_CLASSES = 10;

export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count * rows * cols bytes, row-major, a view into the file buffer. */
  pixels: Uint8Array;
}

function checkLength(name: string, actual: number, expected: number, promise: string): void {
  if (actual < expected) throw new DataError(`${name}: truncated (${actual} bytes, the header promises ${promise} = ${expected} bytes)`);
  if (actual > expected) throw new DataError(`${name}: ${actual - expected} bytes of trailing data after ${promise} (${actual} bytes, expected ${expected})`);
}

export function parseIdxImages(buf: Uint8Array, name: string): IdxImages {
  if (buf.length < 16) throw new DataError(`${name}: truncated header (${buf.length} bytes, expected at least 16)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== IDX_IMAGES_MAGIC) throw new DataError(`${name}: bad magic number ${magic} (expected ${IDX_IMAGES_MAGIC})`);
  const count = view.getUint32(4, false);
  const rows = view.getUint32(8, false);
  const cols = view.getUint32(12, false);
  if (count === 0 || rows === 0 || cols === 0) throw new DataError(`${name}: empty image array (${count} images of ${rows}x${cols})`);
  checkLength(name, buf.length, 16 + count * rows * cols, `${count} images of ${rows}x${cols} plus a 16-byte header`);
  return { count, rows, cols, pixels: buf.subarray(16) };
}

export function parseIdxLabels(buf: Uint8Array, name: string, numClasses = NUM_CLASSES): Uint8Array {
  if (buf.length < 8) throw new DataError(`${name}: truncated header (${buf.length} bytes, expected at least 8)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== IDX_LABELS_MAGIC) throw new DataError(`${name}: bad magic number ${magic} (expected ${IDX_LABELS_MAGIC})`);
  const count = view.getUint32(4, false);
  if (count === 0) throw new DataError(`${name}: no labels`);
  checkLength(name, buf.length, 8 + count, `${count} labels plus an 8-byte header`);
  const labels = buf.subarray(8);
  for (let i = 0; i < count; i++) {
    if (labels[i]! >= numClasses) throw new DataError(`${name}: label ${labels[i]} out of range 0..${numClasses - 1} (example ${i})`);
  }
  return labels;
}

/** Read a file (gunzipping .gz), checked against its published SHA-256 when `verify` is set. */
function readChecked(path: string, verify: boolean): Uint8Array {
  const data = readMaybeGzipped(path);
  if (verify) verifyOfficialFile(path, () => data);
  return data;
}

/**
 * Load one images/labels pair into a Dataset; both paths must exist. With `verify`, files with the
 * official names must have the official contents (src/data/integrity.ts).
 */
function loadIdxPair(imagesPath: string, labelsPath: string, name: string, verify = false): Dataset {
  const imagesName = basename(imagesPath);
  const labelsName = basename(labelsPath);
  const images = parseIdxImages(readChecked(imagesPath, verify), imagesName);
  if (images.rows !== IMAGE_SIDE || images.cols !== IMAGE_SIDE) {
    throw new DataError(`${imagesName}: images are ${images.rows}x${images.cols} (expected ${IMAGE_SIDE}x${IMAGE_SIDE})`);
  }
  const labels = parseIdxLabels(readChecked(labelsPath, verify), labelsName);
  if (labels.length !== images.count) {
    throw new DataError(`${labelsName}: ${labels.length} labels but ${imagesName} has ${images.count} images`);
  }
  return {
    name,
    x: Float32Array.from(images.pixels),
    y: Int32Array.from(labels),
    n: images.count,
    shape: [1, images.rows, images.cols],
    numClasses: NUM_CLASSES,
    pixelMax: 255,
  };
}

/**
 * Fashion-MNIST from dir: the train pair is required, the t10k pair optional (test undefined when
 * both are absent; one without the other is an error). `verify: false` skips the SHA-256 check of
 * the official files (for small test fixtures written under the official names).
 */
export function loadFashionMnist(dir: string, options: { verify?: boolean; datasetName?: string } = {}): DataSplit {
  const datasetName = options.datasetName ?? 'fashion-mnist';
  const verify = options.verify ?? true;
  requireDirectory(dir, datasetName);
  const locate = (base: string) => findMaybeGzipped(dir, base);
  const need = (base: string) => locate(base) ?? (() => { throw new DataError(`${datasetName}: no ${base}[.gz] in ${dir}`); })();
  const train = loadIdxPair(need(FASHION_MNIST_FILES.trainImages), need(FASHION_MNIST_FILES.trainLabels), `${datasetName}/train`, verify);
  const testImages = locate(FASHION_MNIST_FILES.testImages);
  const testLabels = locate(FASHION_MNIST_FILES.testLabels);
  if (!testImages && !testLabels) return { train };
  const test = loadIdxPair(testImages ?? need(FASHION_MNIST_FILES.testImages), testLabels ?? need(FASHION_MNIST_FILES.testLabels), `${datasetName}/test`, verify);
  return { train, test };
}
