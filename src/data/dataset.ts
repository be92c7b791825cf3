// The in-memory data set type shared by every loader, pipeline stage and sampler.
// Examples are rows of a dense Float32Array; shapes are per example, channels first.

import { DataError } from './errors.ts';

export interface Dataset {
  name: string;
  /** n rows of exampleSize(shape) values, row-major. */
  x: Float32Array;
  /** n labels in 0..numClasses-1. */
  y: Int32Array;
  n: number;
  /** Shape of one example, e.g. [64], [1, 28, 28] or [3, 32, 32]. */
  shape: number[];
  numClasses: number;
  /** Largest raw pixel value (16 for digits, 255 for images), so that pipelines can scale to [0, 1]; absent for non-image data. */
  pixelMax?: number;
}

export interface DataSplit {
  train: Dataset;
  test?: Dataset;
}

export function exampleSize(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Check the invariants every loader promises; throws DataError naming the data set. */
export function checkDataset(ds: Dataset): Dataset {
  const d = exampleSize(ds.shape);
  if (!ds.shape.every((s) => Number.isInteger(s) && s > 0)) throw new DataError(`${ds.name}: bad example shape [${ds.shape.join(', ')}]`);
  if (ds.x.length !== ds.n * d) throw new DataError(`${ds.name}: x has ${ds.x.length} values, expected ${ds.n} x ${d}`);
  if (ds.y.length !== ds.n) throw new DataError(`${ds.name}: y has ${ds.y.length} labels, expected ${ds.n}`);
  for (let i = 0; i < ds.n; i++) {
    const label = ds.y[i]!;
    if (label < 0 || label >= ds.numClasses) throw new DataError(`${ds.name}: label ${label} out of range 0..${ds.numClasses - 1}`);
  }
  return ds;
}

/** A new data set holding copies of the given rows, in the given order. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const d = exampleSize(ds.shape);
  const n = indices.length;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const src = indices[r]!;
    x.set(ds.x.subarray(src * d, (src + 1) * d), r * d);
    y[r] = ds.y[src]!;
  }
  const out: Dataset = { name, x, y, n, shape: ds.shape.slice(), numClasses: ds.numClasses };
  if (ds.pixelMax !== undefined) out.pixelMax = ds.pixelMax;
  return out;
}

/** How many examples of each class, for summaries and sanity checks. */
export function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.numClasses).fill(0);
  for (let i = 0; i < ds.n; i++) counts[ds.y[i]!]!++;
  return counts;
}
