// Copy the rows and labels of a batch into preallocated buffers: the per-step hot path, so no allocations.
// The float output may be Float32Array (training) or Float64Array (verification runs). Training's
// batch stream (src/train/batches.ts) and the metrics' fixed partition gather through here.

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
