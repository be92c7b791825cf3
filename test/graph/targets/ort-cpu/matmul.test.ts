// a·Wᵀ with few rows in a against a large W lowers as (W·aᵀ)ᵀ, the large matrix on the left (MLAS
// packs the right operand of every product; see targets/ort-cpu/matmul.ts); other products stay one MatMul.
// Both forms agree with products taken here in float64.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import { compile, spec, HostTensor, type Tensor } from '../../../../src/graph/index.ts';
import { FEW_ROWS, LARGE_MATRIX } from '../../../../src/graph/targets/ort-cpu/tuning.ts';
import { host64, maxRelDiff, to32 } from '../../helpers.ts';

/** a [m, k] times wᵀ (w [n, k]), or times w (w [k, n]) when !transposed, in float64. */
function product(a: Float64Array, w: Float64Array, m: number, k: number, n: number, transposed: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += a[i * k + l]! * (transposed ? w[j * k + l]! : w[l * n + j]!);
      out[i * n + j] = s;
    }
  }
  return out;
}

/** Whether the model's MatMul takes the large matrix first: its left operand is a Transpose of a Transpose. */
function largeOnTheLeft(model: Uint8Array): boolean {
  const nodes = onnxProto.onnx.ModelProto.decode(model).graph!.node!;
  const producer = (name: string) => nodes.find((n) => n.output!.includes(name));
  const matmuls = nodes.filter((n) => n.opType === 'MatMul');
  assert.equal(matmuls.length, 1, 'one MatMul');
  const left = producer(matmuls[0]!.input![0]!);
  return left?.opType === 'Transpose' && producer(left.input![0]!)?.opType === 'Transpose';
}

const cases: { m: number; k: number; n: number; transposed: boolean; rewritten: boolean; why: string }[] = [
  { m: 16, k: 512, n: 512, transposed: true, rewritten: true, why: 'a small batch\'s input gradient' },
  { m: FEW_ROWS, k: 384, n: 700, transposed: true, rewritten: true, why: 'the most rows, W not square' },
  { m: 1, k: 512, n: 512, transposed: true, rewritten: true, why: 'one row' },
  { m: FEW_ROWS + 1, k: 512, n: 512, transposed: true, rewritten: false, why: 'too many rows' },
  { m: 16, k: 256, n: 512, transposed: true, rewritten: false, why: 'W below LARGE_MATRIX' },
  { m: 16, k: 512, n: 512, transposed: false, rewritten: false, why: 'W not transposed' },
];
for (const { m, k, n, transposed, rewritten, why } of cases) {
  for (const dtype of ['float32', 'float64'] as const) {
    test(`[${m}, ${k}]·${transposed ? `[${n}, ${k}]ᵀ` : `[${k}, ${n}]`} (${dtype}, ${why}) ${rewritten ? 'as (W·aᵀ)ᵀ' : 'as one MatMul'}`, async () => {
      const wShape = transposed ? [n, k] : [k, n];
      assert.equal(k * n >= LARGE_MATRIX, why !== 'W below LARGE_MATRIX');
      const f = await compile(({ a, w }: { a: Tensor; w: Tensor }) => a.matmul(transposed ? w.T : w), { a: spec([m, k], dtype), w: spec(wShape, dtype) });
      assert.equal(largeOnTheLeft(f.model), rewritten);
      const [a, w] = [host64([m, k], 11), host64(wShape, 12)];
      const y = (await f.run(dtype === 'float32' ? { a: to32(a), w: to32(w) } : { a, w })) as HostTensor;
      assert.deepEqual(y.shape, [m, n]);
      const d = maxRelDiff(y.data as ArrayLike<number>, product(a.data as Float64Array, w.data as Float64Array, m, k, n, transposed));
      assert.ok(d < (dtype === 'float32' ? 1e-5 : 1e-13), `against float64 products: ${d}`);
    });
  }
}
