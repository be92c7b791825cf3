// Seeded synthetic classification data: a Gaussian mixture or the labels of a random teacher network.
// Label noise flips an exact fraction of training labels to a different class, for memorisation experiments.

import { Rng } from '../util/random.ts';
import { DataError } from './errors.ts';
import type { Dataset, DataSplit } from './dataset.ts';

export type SyntheticKind = 'gaussian-mixture' | 'teacher';

export interface SyntheticOptions {
  kind?: SyntheticKind;
  trainSize?: number;
  /** 0 gives a split without a test set. */
  testSize?: number;
  dimension?: number;
  classes?: number;
  /** Fraction in [0, 1] of training labels replaced by a different class chosen at random (test labels stay clean). */
  labelNoise?: number;
  /** Gaussian mixture only: typical distance of the class means from the origin, in units of the unit within-class noise. */
  separation?: number;
  /** Teacher only: hidden width of the random one-hidden-layer tanh teacher. */
  teacherWidth?: number;
  seed?: number;
}

/** What a synthetic set is when an option is not given (the memory preflight reads them too). */
export const SYNTHETIC_DEFAULTS = { kind: 'gaussian-mixture' as SyntheticKind, trainSize: 1024, testSize: 1024, dimension: 32, classes: 10, labelNoise: 0, separation: 3, teacherWidth: 64, seed: 0 };

function positiveInteger(value: number, what: string, allowZero = false): number {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) throw new DataError(`synthetic: ${what} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${value}`);
  return value;
}

/** The labelling rule shared by train and test: draws an input row into x[offset..] and returns its label. */
type Labeller = (rng: Rng, x: Float32Array, offset: number) => number;

function gaussianMixture(modelRng: Rng, dimension: number, classes: number, separation: number): Labeller {
  // Means ~ N(0, separation^2 / d I), so that |mean| ≈ separation whatever the dimension.
  const means = modelRng.fillNormal(new Float64Array(classes * dimension), 0, separation / Math.sqrt(dimension));
  return (rng, x, offset) => {
    const label = rng.int(classes);
    for (let j = 0; j < dimension; j++) x[offset + j] = means[label * dimension + j]! + rng.normal();
    return label;
  };
}

function randomTeacher(modelRng: Rng, dimension: number, classes: number, width: number): Labeller {
  // Variance-preserving init, so the teacher's hidden units are neither saturated nor linear.
  const w1 = modelRng.fillNormal(new Float64Array(width * dimension), 0, 1 / Math.sqrt(dimension));
  const b1 = modelRng.fillNormal(new Float64Array(width), 0, 0.1);
  const w2 = modelRng.fillNormal(new Float64Array(classes * width), 0, 1 / Math.sqrt(width));
  const hidden = new Float64Array(width);
  return (rng, x, offset) => {
    for (let j = 0; j < dimension; j++) x[offset + j] = rng.normal();
    for (let h = 0; h < width; h++) {
      let s = b1[h]!;
      for (let j = 0; j < dimension; j++) s += w1[h * dimension + j]! * x[offset + j]!;
      hidden[h] = Math.tanh(s);
    }
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let h = 0; h < width; h++) s += w2[c * width + h]! * hidden[h]!;
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    return best;
  };
}

function draw(name: string, n: number, dimension: number, classes: number, label: Labeller, rng: Rng): Dataset {
  const x = new Float32Array(n * dimension);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = label(rng, x, i * dimension);
  return { name, x, y, n, shape: [dimension], numClasses: classes };
}

/**
 * Replace exactly round(fraction * n) labels, at positions chosen at random, by a different class
 * chosen uniformly at random; returns the corrupted positions in increasing order.
 */
function corruptLabels(y: Int32Array, classes: number, fraction: number, rng: Rng): Int32Array {
  if (!(fraction >= 0 && fraction <= 1)) throw new DataError(`synthetic: label noise ${fraction} must be in [0, 1]`);
  if (classes < 2 && fraction > 0) throw new DataError('synthetic: label noise needs at least 2 classes');
  const count = Math.round(fraction * y.length);
  const chosen = rng.permutation(y.length).subarray(0, count).sort();
  for (const i of chosen) y[i] = (y[i]! + 1 + rng.int(classes - 1)) % classes;
  return chosen;
}

export function makeSynthetic(options: SyntheticOptions = {}): DataSplit {
  const o = { ...SYNTHETIC_DEFAULTS, ...options };
  positiveInteger(o.trainSize, 'train size');
  positiveInteger(o.testSize, 'test size', true);
  positiveInteger(o.dimension, 'dimension');
  positiveInteger(o.classes, 'classes');
  positiveInteger(o.teacherWidth, 'teacher width');
  if (!Number.isSafeInteger(o.seed)) throw new DataError(`synthetic: seed ${o.seed} must be an integer`);
  if (!(o.separation >= 0) || !Number.isFinite(o.separation)) throw new DataError(`synthetic: separation ${o.separation} must be a finite number >= 0`);
  const root = new Rng(o.seed);
  // Separate streams: changing the label noise or the test size leaves the training inputs unchanged.
  const label =
    o.kind === 'gaussian-mixture' ? gaussianMixture(root.fork('model'), o.dimension, o.classes, o.separation)
    : o.kind === 'teacher' ? randomTeacher(root.fork('model'), o.dimension, o.classes, o.teacherWidth)
    : (() => { throw new DataError(`synthetic: unknown kind '${String(o.kind)}' (expected gaussian-mixture or teacher)`); })();
  const train = draw(`synthetic-${o.kind}/train`, o.trainSize, o.dimension, o.classes, label, root.fork('train'));
  corruptLabels(train.y, o.classes, o.labelNoise, root.fork('label-noise'));
  if (o.testSize === 0) return { train };
  return { train, test: draw(`synthetic-${o.kind}/test`, o.testSize, o.dimension, o.classes, label, root.fork('test')) };
}
