// Preprocessing on typed arrays: per-image standardisation, scaling to [0, 1], raw values, flattening.
// Each returns a new Dataset (inputs such as the cached digits are never mutated), except flatten which shares x.

import { DataError } from './errors.ts';
import { exampleSize, type Dataset, type DataSplit } from './dataset.ts';

export type Preprocess = 'standardize' | 'scale' | 'none';
export const PREPROCESS_MODES: readonly Preprocess[] = ['standardize', 'scale', 'none'];

/**
 * Each image to zero mean and unit standard deviation (over all its values), in float64 accumulators.
 * As in TensorFlow's per_image_standardization the divisor is max(std, 1/sqrt(D)), so a constant
 * image becomes all zeros instead of dividing by zero.
 */
export function standardizePerImage(x: Float32Array, imageSize: number, out: Float32Array = x): Float32Array {
  if (x.length % imageSize !== 0) throw new RangeError(`standardizePerImage: ${x.length} values are not a whole number of images of ${imageSize}`);
  if (out.length !== x.length) throw new RangeError(`standardizePerImage: output has ${out.length} values, expected ${x.length}`);
  const minStd = 1 / Math.sqrt(imageSize);
  for (let start = 0; start < x.length; start += imageSize) {
    let sum = 0;
    for (let i = start; i < start + imageSize; i++) sum += x[i]!;
    const mean = sum / imageSize;
    let squares = 0;
    for (let i = start; i < start + imageSize; i++) {
      const d = x[i]! - mean;
      squares += d * d;
    }
    const scale = 1 / Math.max(Math.sqrt(squares / imageSize), minStd);
    for (let i = start; i < start + imageSize; i++) out[i] = (x[i]! - mean) * scale;
  }
  return out;
}

/** Divide every value by max (e.g. 255), mapping raw pixels to [0, 1]. */
export function scaleToUnit(x: Float32Array, max: number, out: Float32Array = x): Float32Array {
  if (!(max > 0)) throw new RangeError(`scaleToUnit: max must be positive, got ${max}`);
  const inv = 1 / max;
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * inv;
  return out;
}

/** A copy of ds with the given preprocessing applied to x. 'none' keeps the raw pixel values (as floats). */
export function preprocess(ds: Dataset, mode: Preprocess): Dataset {
  const x = new Float32Array(ds.x.length);
  if (mode === 'standardize') standardizePerImage(ds.x, exampleSize(ds.shape), x);
  else if (mode === 'scale') {
    if (ds.pixelMax === undefined) throw new DataError(`${ds.name}: --preprocess scale needs image data with a known pixel range`);
    scaleToUnit(ds.x, ds.pixelMax, x);
  } else if (mode === 'none') x.set(ds.x);
  else throw new DataError(`preprocess: unknown mode '${String(mode)}' (expected ${PREPROCESS_MODES.join(', ')})`);
  const out: Dataset = { ...ds, x, shape: ds.shape.slice() };
  // After preprocessing the values are no longer raw pixels.
  if (mode !== 'none') delete out.pixelMax;
  return out;
}

export function preprocessSplit(split: DataSplit, mode: Preprocess): DataSplit {
  const train = preprocess(split.train, mode);
  return split.test ? { train, test: preprocess(split.test, mode) } : { train };
}

/** The same examples as flat vectors (shape [D]); shares x with ds. */
export function flatten(ds: Dataset): Dataset {
  return { ...ds, shape: [exampleSize(ds.shape)] };
}
