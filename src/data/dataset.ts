// The in-memory data set type shared by every loader, pipeline stage and sampler.
// Examples are rows of a dense Float32Array; shapes are per example, channels first.

import { DataError } from './errors.ts';
import type { Rng } from '../util/random.ts';

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

/** What a data set looks like, known without loading its examples (for the memory preflight, src/train/preflight.ts). */
export interface DataShape {
  example: number[];
  classes: number;
  train: number;
  test: number;
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

/**
 * A seeded, class-balanced subset of n examples: n/C of each of the C classes (the first n mod C
 * classes take one more), drawn by a permutation per class, then interleaved in a seeded order.
 * The same (data set, n, seed) always gives the same rows.
 */
export function balancedSubset(ds: Dataset, n: number, rng: Rng, name = ds.name): Dataset {
  if (!Number.isSafeInteger(n) || n < 1 || n > ds.n) throw new DataError(`${ds.name}: train size ${n} must be an integer in 1..${ds.n}`);
  if (n === ds.n) return ds;
  const byClass: number[][] = Array.from({ length: ds.numClasses }, () => []);
  for (let i = 0; i < ds.n; i++) byClass[ds.y[i]!]!.push(i);
  const chosen: number[] = [];
  for (let c = 0; c < ds.numClasses; c++) {
    const want = Math.floor(n / ds.numClasses) + (c < n % ds.numClasses ? 1 : 0);
    const pool = byClass[c]!;
    if (want > pool.length) throw new DataError(`${ds.name}: train size ${n} needs ${want} examples of class ${c}, which has ${pool.length}`);
    const order = rng.fork(`class-${c}`).permutation(pool.length);
    for (let k = 0; k < want; k++) chosen.push(pool[order[k]!]!);
  }
  const interleave = rng.fork('order').permutation(chosen.length);
  return subset(ds, Array.from(interleave, (k) => chosen[k]!), name);
}
