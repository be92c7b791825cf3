// Copy the rows and labels of a batch into preallocated buffers: the per-step hot path, so no allocations.
// The float output may be Float32Array (training) or Float64Array (verification runs).

import type { Dataset } from './dataset.ts';
import { exampleSize } from './dataset.ts';

export type FloatBuffer = Float32Array | Float64Array;

/** out[r*rowSize ..] = x[indices[r]*rowSize ..] for every r. */
export function gatherRows(x: FloatBuffer, rowSize: number, indices: ArrayLike<number>, out: FloatBuffer): void {
  const count = indices.length;
  if (out.length < count * rowSize) throw new RangeError(`gatherRows: output holds ${out.length} values, need ${count * rowSize}`);
  const rows = x.length / rowSize;
  for (let r = 0; r < count; r++) {
    const row = indices[r]!;
    if (!(row >= 0 && row < rows)) throw new RangeError(`gatherRows: index ${row} out of range 0..${rows - 1}`);
    const src = row * rowSize;
    if (x.constructor === out.constructor) {
      out.set(x.subarray(src, src + rowSize), r * rowSize); // a memcpy
      continue;
    }
    const end = src + rowSize;
    for (let i = src, dst = r * rowSize; i < end; ) out[dst++] = x[i++]!;
  }
}

/** out[r] = y[indices[r]]. */
export function gatherLabels(y: Int32Array, indices: ArrayLike<number>, out: Int32Array): void {
  const count = indices.length;
  if (out.length < count) throw new RangeError(`gatherLabels: output holds ${out.length} labels, need ${count}`);
  for (let r = 0; r < count; r++) {
    const row = indices[r]!;
    if (!(row >= 0 && row < y.length)) throw new RangeError(`gatherLabels: index ${row} out of range 0..${y.length - 1}`);
    out[r] = y[row]!;
  }
}

/** out[r, c] = 1 if y[indices[r]] == c else 0 (for losses that take one-hot targets). */
export function gatherOneHot(y: Int32Array, indices: ArrayLike<number>, numClasses: number, out: FloatBuffer): void {
  const count = indices.length;
  if (out.length < count * numClasses) throw new RangeError(`gatherOneHot: output holds ${out.length} values, need ${count * numClasses}`);
  out.fill(0, 0, count * numClasses);
  for (let r = 0; r < count; r++) out[r * numClasses + y[indices[r]!]!] = 1;
}

/** The inputs and labels of one batch, into buffers of at least indices.length rows. */
export function gatherBatch(ds: Dataset, indices: ArrayLike<number>, xOut: FloatBuffer, yOut: Int32Array): void {
  gatherRows(ds.x, exampleSize(ds.shape), indices, xOut);
  gatherLabels(ds.y, indices, yOut);
}

/** Buffers sized for batches of `batch` examples of ds (allocate once, reuse every step). */
export function allocateBatch(ds: Dataset, batch: number, float64 = false): { x: FloatBuffer; y: Int32Array } {
  const size = batch * exampleSize(ds.shape);
  return { x: float64 ? new Float64Array(size) : new Float32Array(size), y: new Int32Array(batch) };
}
