// A user's labelled arrays (examples x of shape [N, …] and integer labels y of shape [N]), checked and
// turned into a DataSplit: the one loader behind idx:DIR and file:PATH.safetensors, and what a CSV source would feed.

import { DataError } from './errors.ts';
import type { Dataset, DataShape, DataSplit } from './dataset.ts';

/** The typed arrays a file reader hands over (safetensors U8, I32, I64, F32, F64; IDX unsigned bytes). */
export type NumericArray = Uint8Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

export interface NamedArray {
  /** How the user knows this array: a tensor name ("x_train") or a file name ("train-images-idx3-ubyte"). */
  name: string;
  values: NumericArray;
  /** Row-major, values.length = product(shape). */
  shape: readonly number[];
}

/** Examples and their labels. */
export interface LabelledArrays {
  x: NamedArray;
  y: NamedArray;
}

/** Most classes a labels array may name; a label beyond this is far more likely a wrong column than a class. */
export const MAX_CLASSES = 1 << 16;

/** Dtypes accepted for examples and for labels, named as the error messages name them. */
export const EXAMPLE_DTYPES = ['uint8', 'float32', 'float64'] as const;
export const LABEL_DTYPES = ['uint8', 'int32', 'int64'] as const;

export function dtypeOf(values: NumericArray): string {
  if (values instanceof Uint8Array) return 'uint8';
  if (values instanceof Int32Array) return 'int32';
  if (values instanceof BigInt64Array) return 'int64';
  if (values instanceof Float32Array) return 'float32';
  return 'float64';
}

const shown = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * One example's shape, channels first: [N, D] → [D] (feature rows), [N, H, W] → [1, H, W] (grey
 * images), [N, C, H, W] → [C, H, W] (PyTorch's layout); other ranks are refused.
 */
function exampleShape(input: string, x: NamedArray): number[] {
  const [, ...rest] = x.shape;
  if (x.shape.length < 2 || x.shape.length > 4) throw new DataError(`${input}: ${x.name} has shape ${shown(x.shape)}; expected [N, D], [N, H, W] or [N, C, H, W]`);
  if (rest.some((d) => d === 0)) throw new DataError(`${input}: ${x.name} has shape ${shown(x.shape)}, with an empty example`);
  return x.shape.length === 3 ? [1, ...rest] : rest;
}

/** The examples as float32, every value finite. */
function examplesOf(input: string, x: NamedArray): Float32Array {
  const dtype = dtypeOf(x.values);
  if (!(EXAMPLE_DTYPES as readonly string[]).includes(dtype)) throw new DataError(`${input}: ${x.name} has dtype ${dtype}; examples must be ${EXAMPLE_DTYPES.join(', ')}`);
  const values = x.values as Uint8Array | Float32Array | Float64Array;
  const out = Float32Array.from(values);
  if (!(values instanceof Uint8Array)) {
    // Checked after the float32 conversion too: a float64 beyond float32's range becomes ±Infinity.
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]!)) {
        const d = out.length / x.shape[0]!;
        throw new DataError(`${input}: ${x.name} holds ${values[i]} at example ${Math.floor(i / d)}${Number.isFinite(values[i]!) ? ' (beyond float32)' : ''}; values must be finite`);
      }
    }
  }
  return out;
}

/** The labels as int32, each in 0..limit−1 (limit: MAX_CLASSES for training labels, the training classes for test labels). */
function labelsOf(input: string, y: NamedArray, limit: number, limitText: string): Int32Array {
  const dtype = dtypeOf(y.values);
  if (!(LABEL_DTYPES as readonly string[]).includes(dtype)) throw new DataError(`${input}: ${y.name} has dtype ${dtype}; labels must be integers (${LABEL_DTYPES.join(', ')})`);
  const out = new Int32Array(y.values.length);
  for (let i = 0; i < y.values.length; i++) {
    const label = Number(y.values[i]!);
    if (!(label >= 0 && label < limit)) throw new DataError(`${input}: ${y.name} holds label ${y.values[i]} at example ${i}, out of range 0..${limit - 1} (${limitText})`);
    out[i] = label;
  }
  return out;
}

function checkCounts(input: string, { x, y }: LabelledArrays): number {
  if (y.shape.length !== 1) throw new DataError(`${input}: ${y.name} has shape ${shown(y.shape)}; expected [N], one label per example`);
  const n = x.shape[0] ?? 0;
  if (n === 0) throw new DataError(`${input}: ${x.name} has no examples`);
  if (y.shape[0] !== n) throw new DataError(`${input}: ${x.name} has ${n} examples but ${y.name} has ${y.shape[0]} labels`);
  return n;
}

/**
 * The split the arrays hold, checked: every x has 2 to 4 dimensions and the same example shape,
 * every y one integer label per example; the classes are 0..K−1 with K = 1 + the largest training
 * label (at least 2), and test labels must lie among them. `pixelMax`: the examples' largest raw
 * value when they are pixels of known range (255 for IDX and uint8 files), so `--preprocess scale` works.
 */
export function splitFromArrays(input: string, parts: { train: LabelledArrays; test?: LabelledArrays }, options: { pixelMax?: number } = {}): DataSplit {
  const shape = exampleShape(input, parts.train.x);
  checkCounts(input, parts.train);
  if (parts.test) {
    const testShape = exampleShape(input, parts.test.x);
    if (shown(testShape) !== shown(shape)) throw new DataError(`${input}: ${parts.test.x.name} has examples of shape ${shown(testShape)} but ${parts.train.x.name} has ${shown(shape)}`);
    checkCounts(input, parts.test);
  }
  const trainLabels = labelsOf(input, parts.train.y, MAX_CLASSES, `at most ${MAX_CLASSES} classes`);
  const classes = trainLabels.reduce((a, b) => Math.max(a, b), 0) + 1;
  if (classes < 2) throw new DataError(`${input}: every label in ${parts.train.y.name} is 0; need at least 2 classes`);
  const dataset = (part: LabelledArrays, labels: Int32Array, split: string): Dataset => ({
    name: `${input}/${split}`,
    x: examplesOf(input, part.x),
    y: labels,
    n: labels.length,
    shape: [...shape],
    numClasses: classes,
    ...(options.pixelMax !== undefined ? { pixelMax: options.pixelMax } : {}),
  });
  const train = dataset(parts.train, trainLabels, 'train');
  if (!parts.test) return { train };
  const testLabels = labelsOf(input, parts.test.y, classes, `the classes of ${parts.train.y.name}`);
  return { train, test: dataset(parts.test, testLabels, 'test') };
}

/** What splitFromArrays will return, as the memory preflight needs it: example shape, classes, counts. */
export function shapeOfSplit(split: DataSplit): DataShape {
  return { example: [...split.train.shape], classes: split.train.numClasses, train: split.train.n, test: split.test?.n ?? 0 };
}
