// The playground's data: the embedded digits (split and standardised exactly as `sgdlab train` does),
// seeded 2-D sets whose decision boundary the page draws, and a user's CSV, validated line by line.

import { parseDigitsCsv, splitDigits, DIGITS_DEFAULT_TRAIN_SIZE } from '../data/digits.ts';
import { preprocessSplit } from '../data/pipeline.ts';
import type { Dataset } from '../data/dataset.ts';
import { Rng } from '../util/random.ts';
import type { DataKind } from './settings.ts';
import { UserError } from '../util/user-error.ts';

export interface PlaygroundData {
  kind: DataKind;
  /** Shown in the page and stored in exported runs. */
  name: string;
  train: Dataset;
  test?: Dataset;
  /** 2-D sets: the square the page draws the decision boundary on. */
  plane?: { min: number; max: number };
}

export class CsvError extends UserError {
  override name = 'CsvError';
}

/** The digits as `sgdlab train --data digits` sees them: 1200/597 split with seed 0, per-image standardised. */
export async function digitsFromGzip(gzipped: Uint8Array): Promise<PlaygroundData> {
  const stream = new Blob([gzipped as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  const text = await new Response(stream).text();
  const split = preprocessSplit(splitDigits(parseDigitsCsv(text), DIGITS_DEFAULT_TRAIN_SIZE, 0), 'standardize');
  return { kind: 'digits', name: 'digits (UCI 8×8, 1200 train / 597 test)', ...split };
}

export const PLANE_TRAIN = 512;
export const PLANE_TEST = 512;

type PointMaker = (rng: Rng, out: Float32Array, i: number) => number;

/** Each maker draws one labelled point into out[2i], out[2i+1]; all fit in [−2, 2]². */
const PLANE_MAKERS: Record<'moons' | 'circles' | 'xor' | 'spirals', PointMaker> = {
  moons: (rng, out, i) => {
    const label = rng.int(2);
    const t = Math.PI * rng.uniform();
    const [x, y] = label === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    out[2 * i] = x - 0.5 + 0.15 * rng.normal();
    out[2 * i + 1] = y - 0.25 + 0.15 * rng.normal();
    return label;
  },
  circles: (rng, out, i) => {
    const label = rng.int(2);
    const t = 2 * Math.PI * rng.uniform();
    const r = (label === 0 ? 1.5 : 0.75) + 0.15 * rng.normal();
    out[2 * i] = r * Math.cos(t);
    out[2 * i + 1] = r * Math.sin(t);
    return label;
  },
  xor: (rng, out, i) => {
    const x = 3.6 * rng.uniform() - 1.8;
    const y = 3.6 * rng.uniform() - 1.8;
    out[2 * i] = x;
    out[2 * i + 1] = y;
    return x * y > 0 ? 1 : 0;
  },
  spirals: (rng, out, i) => {
    const label = rng.int(2);
    const t = 0.25 + 3 * Math.PI * rng.uniform() ** 0.5 * 0.6;
    const r = (0.3 + t) * 0.3;
    const angle = t + label * Math.PI;
    out[2 * i] = r * Math.cos(angle) + 0.05 * rng.normal();
    out[2 * i + 1] = r * Math.sin(angle) + 0.05 * rng.normal();
    return label;
  },
};

function drawPlane(kind: keyof typeof PLANE_MAKERS, n: number, rng: Rng, name: string): Dataset {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = PLANE_MAKERS[kind](rng, x, i);
  return { name, x, y, n, shape: [2], numClasses: 2 };
}

/** A seeded 2-D set (data seed 0, like `--data-seed`: fixed whatever the run seeds). */
export function planeData(kind: 'moons' | 'circles' | 'xor' | 'spirals'): PlaygroundData {
  const root = new Rng(0).fork(`plane-${kind}`);
  return {
    kind,
    name: `${kind} (2-D, ${PLANE_TRAIN} train / ${PLANE_TEST} test)`,
    train: drawPlane(kind, PLANE_TRAIN, root.fork('train'), `${kind}/train`),
    test: drawPlane(kind, PLANE_TEST, root.fork('test'), `${kind}/test`),
    plane: { min: -2, max: 2 },
  };
}

export const CSV_LIMITS = { rows: 20000, features: 1024, classes: 100 } as const;
/** Share of a CSV's rows held out as its test set (by a seeded permutation). */
export const CSV_TEST_FRACTION = 0.2;

const isNumber = (cell: string): boolean => cell !== '' && Number.isFinite(Number(cell));

/**
 * A CSV of numeric feature columns and a label column (the last one, or the one named label, class,
 * target or y): an optional header, integer or text labels (text labels become classes in sorted
 * order). Features are standardised per column with the training rows' mean and deviation. Every
 * problem is one CsvError line naming the file and the row.
 */
export function parseCsvData(text: string, fileName: string): PlaygroundData {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new CsvError(`${fileName}: the file is empty`);
  const split = (line: string) => line.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  let rows = lines.map(split);
  const width = rows[0]!.length;
  if (width < 2) throw new CsvError(`${fileName}: needs at least one feature column and a label column, found ${width} column`);
  // A header: a first line with text where the next line has numbers.
  const numeric = (cells: string[]) => cells.filter(isNumber).length;
  const header = rows.length > 1 && rows[0]!.some((c) => c !== '' && !isNumber(c)) && numeric(rows[1]!) > numeric(rows[0]!) ? rows[0]! : null;
  if (header) rows = rows.slice(1);
  // The first of these names that a header has, in this order: 'label' wins over a feature called 'y'.
  const named = header ? ['label', 'class', 'target', 'y'].map((n) => header.findIndex((h) => h.toLowerCase() === n)).find((i) => i >= 0) ?? -1 : -1;
  const labelColumn = named >= 0 ? named : width - 1;
  if (rows.length < 4) throw new CsvError(`${fileName}: ${rows.length} data rows; need at least 4`);
  if (rows.length > CSV_LIMITS.rows) throw new CsvError(`${fileName}: ${rows.length} rows; the playground takes at most ${CSV_LIMITS.rows}`);
  if (width - 1 > CSV_LIMITS.features) throw new CsvError(`${fileName}: ${width - 1} features; the playground takes at most ${CSV_LIMITS.features}`);
  const d = width - 1;
  const n = rows.length;
  const x = new Float32Array(n * d);
  const labels: string[] = [];
  rows.forEach((cells, r) => {
    const line = r + 1 + (header ? 1 : 0);
    if (cells.length !== width) throw new CsvError(`${fileName}: line ${line} has ${cells.length} columns, expected ${width}`);
    let j = 0;
    cells.forEach((cell, c) => {
      if (c === labelColumn) {
        if (cell === '') throw new CsvError(`${fileName}: line ${line}: empty label`);
        labels.push(cell);
        return;
      }
      if (!isNumber(cell)) throw new CsvError(`${fileName}: line ${line}: ${header ? `column '${header[c]}'` : `column ${c + 1}`} '${cell}' is not a number`);
      x[r * d + j++] = Number(cell);
    });
  });
  const distinct = [...new Set(labels)];
  const integers = distinct.every((l) => /^\d+$/.test(l));
  const classes = integers ? Math.max(...distinct.map(Number)) + 1 : distinct.length;
  const sorted = integers ? null : distinct.sort();
  if (classes < 2) throw new CsvError(`${fileName}: every row has the label '${distinct[0]}'; need at least 2 classes`);
  if (classes > CSV_LIMITS.classes) throw new CsvError(`${fileName}: ${classes} classes; the playground takes at most ${CSV_LIMITS.classes}`);
  const y = Int32Array.from(labels, (l) => (sorted ? sorted.indexOf(l) : Number(l)));

  const order = new Rng(0).fork('csv-split').permutation(n);
  const testCount = Math.floor(n * CSV_TEST_FRACTION);
  const take = (indices: Int32Array, name: string): Dataset => {
    const xs = new Float32Array(indices.length * d);
    const ys = new Int32Array(indices.length);
    indices.forEach((src, r) => {
      xs.set(x.subarray(src * d, (src + 1) * d), r * d);
      ys[r] = y[src]!;
    });
    return { name, x: xs, y: ys, n: indices.length, shape: [d], numClasses: classes };
  };
  const train = take(order.subarray(testCount), `${fileName}/train`);
  const test = testCount > 0 ? take(order.subarray(0, testCount), `${fileName}/test`) : undefined;
  standardizeColumns(train, test);
  const data: PlaygroundData = { kind: 'csv', name: `${fileName} (${d} features, ${classes} classes, ${train.n} train / ${test?.n ?? 0} test)`, train, ...(test ? { test } : {}) };
  if (d === 2) data.plane = { min: -3, max: 3 };
  return data;
}

/** Per-column z-scores with the training rows' statistics (a constant column becomes 0). */
function standardizeColumns(train: Dataset, test: Dataset | undefined): void {
  const d = train.shape[0]!;
  for (let j = 0; j < d; j++) {
    let sum = 0;
    for (let i = 0; i < train.n; i++) sum += train.x[i * d + j]!;
    const mean = sum / train.n;
    let squares = 0;
    for (let i = 0; i < train.n; i++) squares += (train.x[i * d + j]! - mean) ** 2;
    const std = Math.sqrt(squares / train.n);
    const scale = std > 0 ? 1 / std : 0;
    for (const ds of test ? [train, test] : [train]) {
      for (let i = 0; i < ds.n; i++) ds.x[i * d + j] = (ds.x[i * d + j]! - mean) * scale;
    }
  }
}
