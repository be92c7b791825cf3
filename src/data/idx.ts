// `--data idx:DIR`: any IDX image/label pair (MNIST, Fashion-MNIST, KMNIST, EMNIST, …) under the
// official file names, gzip'd or raw, with no checksum: the user's files, checked for shape and labels only.

import { basename } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { DataError } from './errors.ts';
import { findMaybeGzipped, readDataPrefix, readMaybeGzipped, requireDirectory } from './files.ts';
import { FASHION_MNIST_FILES, IDX_IMAGES_MAGIC, parseIdxImages, parseIdxLabels } from './fashion-mnist.ts';
import { MAX_CLASSES, splitFromArrays, type LabelledArrays } from './arrays.ts';
import type { DataShape, DataSplit } from './dataset.ts';

type Role = keyof typeof FASHION_MNIST_FILES;

/**
 * The names looked for, per file: the official ones (train-images-idx3-ubyte) and the dotted
 * spelling some mirrors use (train-images.idx3-ubyte), each raw or with .gz.
 */
export function idxFileNames(role: Role): string[] {
  const official = FASHION_MNIST_FILES[role];
  return [official, official.replace(/-(idx\d-ubyte)$/, '.$1')];
}

function find(dir: string, role: Role): string | undefined {
  for (const name of idxFileNames(role)) {
    const path = findMaybeGzipped(dir, name);
    if (path) return path;
  }
  return undefined;
}

/** The four files' paths: the train pair required, the t10k pair optional but never one without the other. */
function locate(dir: string, input: string): { trainImages: string; trainLabels: string; test?: { images: string; labels: string } } {
  requireDirectory(dir, input);
  const need = (role: Role): string => find(dir, role) ?? (() => { throw new DataError(`${input}: no ${FASHION_MNIST_FILES[role]}[.gz] in ${dir} (nor ${idxFileNames(role)[1]}[.gz])`); })();
  const trainImages = need('trainImages');
  const trainLabels = need('trainLabels');
  const [testImages, testLabels] = [find(dir, 'testImages'), find(dir, 'testLabels')];
  if (!testImages && !testLabels) return { trainImages, trainLabels };
  return { trainImages, trainLabels, test: { images: testImages ?? need('testImages'), labels: testLabels ?? need('testLabels') } };
}

function readPair(imagesPath: string, labelsPath: string): LabelledArrays {
  const images = parseIdxImages(readMaybeGzipped(imagesPath), basename(imagesPath));
  // Any byte is a label here: the classes are the labels found (src/data/arrays.ts).
  const labels = parseIdxLabels(readMaybeGzipped(labelsPath), basename(labelsPath), 256);
  return {
    x: { name: basename(imagesPath), values: images.pixels, shape: [images.count, images.rows, images.cols] },
    y: { name: basename(labelsPath), values: labels, shape: [labels.length] },
  };
}

/** The split in DIR; every problem is one DataError line naming `input` (the spec) or the file. */
export function loadIdxDirectory(dir: string, input: string): DataSplit {
  const files = locate(dir, input);
  const train = readPair(files.trainImages, files.trainLabels);
  const test = files.test ? readPair(files.test.images, files.test.labels) : undefined;
  return splitFromArrays(input, { train, ...(test ? { test } : {}) }, { pixelMax: 255 });
}

/** The first 16 bytes of an images file (gunzipping only as much as they need): count, rows, cols. */
function imagesHeader(path: string): { count: number; rows: number; cols: number } {
  const name = basename(path);
  // 64 KiB of a gzip stream hold far more than the 16 header bytes.
  const raw = readDataPrefix(path, 1 << 16, name);
  const head: Uint8Array = path.endsWith('.gz') ? gunzipPrefix(raw, name) : raw;
  if (head.length < 16) throw new DataError(`${name}: truncated header (${head.length} bytes, expected at least 16)`);
  const view = new DataView(head.buffer, head.byteOffset, 16);
  if (view.getUint32(0, false) !== IDX_IMAGES_MAGIC) throw new DataError(`${name}: bad magic number ${view.getUint32(0, false)} (expected ${IDX_IMAGES_MAGIC})`);
  return { count: view.getUint32(4, false), rows: view.getUint32(8, false), cols: view.getUint32(12, false) };
}

function gunzipPrefix(raw: Uint8Array, name: string): Buffer {
  try {
    // A sync flush at the end accepts a stream cut short: we read only its start.
    return gunzipSync(raw, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch (err) {
    throw new DataError(`${name}: not a valid gzip file (${(err as Error).message})`);
  }
}

/**
 * The shape for the memory preflight: image counts and sizes from the headers, the classes from the
 * training labels (one byte per example, small), without reading the images. Loading checks the rest.
 */
export function idxDirectoryShape(dir: string, input: string): DataShape {
  const files = locate(dir, input);
  const train = imagesHeader(files.trainImages);
  const labels = parseIdxLabels(readMaybeGzipped(files.trainLabels), basename(files.trainLabels), 256);
  const classes = Math.min(MAX_CLASSES, labels.reduce((a, b) => Math.max(a, b), 0) + 1);
  return { example: [1, train.rows, train.cols], classes, train: train.count, test: files.test ? imagesHeader(files.test.images).count : 0 };
}
