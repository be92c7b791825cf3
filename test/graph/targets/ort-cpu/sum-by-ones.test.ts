// Sums over leading axes: from 2^18 elements on they lower to ones[1, L]·[L, T] (ORT's ReduceSum over
// a leading axis is slow), below to ReduceSum; both agree with sums taken here in float64.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, spec, HostTensor, type Tensor } from '../../../../src/graph/index.ts';
import { host64, maxRelDiff, to32 } from '../../helpers.ts';

/** Sum of x [..shape] over `axes` (kept axes in order), in float64. */
function sumOver(x: Float64Array, shape: number[], axes: number[]): Float64Array {
  const keptDims = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(keptDims.reduce((a, b) => a * b, 1));
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < x.length; flat++) {
    let o = 0;
    for (let i = 0; i < shape.length; i++) o = o * keptDims[i]! + (axes.includes(i) ? 0 : index[i]!);
    out[o]! += x[flat]!;
    for (let i = shape.length - 1; i >= 0 && ++index[i]! === shape[i]; i--) index[i] = 0;
  }
  return out;
}

const cases: { shape: number[]; axes: number[]; keepdims: boolean; product: boolean }[] = [
  { shape: [32, 96, 96], axes: [0], keepdims: false, product: true },
  { shape: [4, 8, 80, 104], axes: [0, 1], keepdims: true, product: true },
  { shape: [4, 8, 80, 104], axes: [1, 0], keepdims: false, product: true },
  { shape: [16, 4096], axes: [0], keepdims: false, product: false }, // 2^16 elements: an MLP's bias gradient
  { shape: [32, 96, 96], axes: [0, 2], keepdims: false, product: false }, // not a leading block
];
for (const { shape, axes, keepdims, product } of cases) {
  for (const dtype of ['float32', 'float64'] as const) {
    test(`sum over axes [${axes}] of [${shape}] (keepdims ${keepdims}, ${dtype}) ${product ? 'as a product with ones' : 'as ReduceSum'}`, async () => {
      const f = await compile(({ x }: { x: Tensor }) => x.sum(axes, keepdims), { x: spec(shape, dtype) });
      const model = Buffer.from(f.model);
      assert.equal(model.includes('MatMul'), product, `MatMul in the model: expected ${product}`);
      assert.equal(model.includes('ReduceSum'), !product, `ReduceSum in the model: expected ${!product}`);
      const x = host64(shape, 31);
      const y = (await f.run({ x: dtype === 'float32' ? to32(x) : x })) as HostTensor;
      const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      assert.deepEqual(y.shape, keepdims ? kept : shape.filter((_, i) => !axes.includes(i)));
      const d = maxRelDiff(y.data as ArrayLike<number>, sumOver(x.data as Float64Array, shape, axes));
      assert.ok(d < (dtype === 'float32' ? 1e-5 : 1e-13), `against float64 sums: ${d}`);
    });
  }
}
