// The embedded default data set: 1797 UCI handwritten digits (8x8, values 0..16), shipped gzip'd in assets/.
// Loaded synchronously, validated once, then split into train/test by a seeded permutation.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Rng } from '../util/random.ts';
import { DataError } from './errors.ts';
import { subset, type Dataset, type DataSplit } from './dataset.ts';

export const DIGITS_ROWS = 1797;
export const DIGITS_PIXELS = 64;
export const DIGITS_DEFAULT_TRAIN_SIZE = 1200;
const DIGITS_FILE = 'digits.csv.gz';

export interface DigitsOptions {
  /** Number of training examples; the rest (1797 - trainSize) form the test set. Default 1200. */
  trainSize?: number;
  /** Seed of the train/test split. Default 0. */
  seed?: number;
}

let cachedAll: Dataset | undefined;

/** Parse and validate the digits CSV text (64 pixel columns then a label per line). */
export function parseDigitsCsv(text: string, fileName = DIGITS_FILE): Dataset {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== DIGITS_ROWS) throw new DataError(`${fileName}: ${lines.length} rows (expected ${DIGITS_ROWS})`);
  const x = new Float32Array(DIGITS_ROWS * DIGITS_PIXELS);
  const y = new Int32Array(DIGITS_ROWS);
  for (let r = 0; r < DIGITS_ROWS; r++) {
    const cells = lines[r]!.split(',');
    if (cells.length !== DIGITS_PIXELS + 1) throw new DataError(`${fileName}: row ${r + 1} has ${cells.length} columns (expected ${DIGITS_PIXELS + 1})`);
    for (let c = 0; c <= DIGITS_PIXELS; c++) {
      const cell = cells[c]!.trim();
      const v = Number(cell);
      const max = c === DIGITS_PIXELS ? 9 : 16;
      if (cell === '' || !Number.isInteger(v) || v < 0 || v > max) {
        const what = c === DIGITS_PIXELS ? 'label' : `pixel ${c}`;
        throw new DataError(`${fileName}: row ${r + 1}: ${what} '${cell}' is not an integer in 0..${max}`);
      }
      if (c === DIGITS_PIXELS) y[r] = v;
      else x[r * DIGITS_PIXELS + c] = v;
    }
  }
  return { name: 'digits', x, y, n: DIGITS_ROWS, shape: [1, 8, 8], numClasses: 10, pixelMax: 16 };
}

/** All 1797 digits in file order (shared, parsed once: do not mutate). */
export function loadAllDigits(): Dataset {
  if (cachedAll) return cachedAll;
  const url = new URL(`./assets/${DIGITS_FILE}`, import.meta.url);
  let compressed: Buffer;
  try {
    compressed = readFileSync(url);
  } catch (err) {
    throw new DataError(`${DIGITS_FILE}: cannot read the embedded data set (${(err as Error).message})`);
  }
  let text: string;
  try {
    text = gunzipSync(compressed).toString('latin1');
  } catch {
    throw new DataError(`${DIGITS_FILE}: not a valid gzip file`);
  }
  cachedAll = parseDigitsCsv(text);
  return cachedAll;
}

/** Digits split into train (trainSize, default 1200) and test (the remaining 597) by a seeded permutation. */
export function loadDigits(options: DigitsOptions = {}): DataSplit {
  const trainSize = options.trainSize ?? DIGITS_DEFAULT_TRAIN_SIZE;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(trainSize) || trainSize < 1 || trainSize > DIGITS_ROWS) {
    throw new DataError(`digits: train size ${trainSize} must be an integer in 1..${DIGITS_ROWS}`);
  }
  if (!Number.isSafeInteger(seed)) throw new DataError(`digits: split seed ${seed} must be an integer`);
  return splitDigits(loadAllDigits(), trainSize, seed);
}

/**
 * The seeded train/test split of already parsed digits (the browser playground parses its own copy
 * of the embedded file and must split it exactly as `sgdlab train` does).
 */
export function splitDigits(all: Dataset, trainSize: number, seed: number): DataSplit {
  const order = new Rng(seed).fork('digits-split').permutation(all.n);
  const train = subset(all, order.subarray(0, trainSize), 'digits/train');
  if (trainSize === all.n) return { train };
  return { train, test: subset(all, order.subarray(trainSize), 'digits/test') };
}
