// The Gemm update fusion: an SGD step on matmul weights lowers to Gemm nodes, and computes the same
// numbers as the unfused program (float64, to round-off), including second-order gradient terms.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import { compile, grad, valueAndGrad, vdot, oneHot, spec, HostTensor, type Tensor } from '../../../../src/graph/index.ts';
import { host64, maxRelDiff } from '../../helpers.ts';

interface P { w1: Tensor; w2: Tensor }
const loss = (p: P, x: Tensor, y: Tensor) => x.matmul(p.w1).tanh().matmul(p.w2).logSoftmax(-1).mul(oneHot(y, 3, 'float64')).sum(-1).mean().neg();
const modified = (p: P, x: Tensor, y: Tensor) => {
  const [c, g] = valueAndGrad((q: P) => loss(q, x, y))(p);
  return c.add(vdot(g, g).mul(0.5));
};
const step = (f: typeof loss) => ({ p, x, y, lr }: { p: P; x: Tensor; y: Tensor; lr: Tensor }) => {
  const g = grad((q: P) => f(q, x, y))(p);
  return { w1: p.w1.sub(g.w1.mul(lr)), w2: p.w2.sub(g.w2.mul(lr)) };
};
const specs = { p: { w1: spec([5, 8], 'float64'), w2: spec([8, 3], 'float64') }, x: spec([4, 5], 'float64'), y: spec([4], 'int32'), lr: spec([], 'float64') };
const inputs = { p: { w1: host64([5, 8], 1), w2: host64([8, 3], 2) }, x: host64([4, 5], 3), y: new HostTensor(Int32Array.of(0, 2, 1, 2), [4]), lr: new HostTensor(Float64Array.of(0.3), []) };

const opCount = (model: Uint8Array, opType: string) => onnxProto.onnx.ModelProto.decode(model).graph!.node!.filter((n) => n.opType === opType).length;

for (const [name, f] of [['plain', loss], ['modified (second-order terms)', modified]] as const) {
  test(`fused and unfused ${name} updates agree to round-off, and the fused one uses Gemm`, async () => {
    const fused = await compile(step(f), specs, { 'ort-cpu': { fuse: true } });
    const plain = await compile(step(f), specs, { 'ort-cpu': { fuse: false } });
    assert.ok(opCount(fused.model, 'Gemm') >= 2, 'both weight updates become Gemm');
    assert.equal(opCount(plain.model, 'Gemm'), 0);
    const a = (await fused.run(inputs)) as { w1: HostTensor; w2: HostTensor };
    const b = (await plain.run(inputs)) as typeof a;
    for (const k of ['w1', 'w2'] as const) {
      assert.ok(maxRelDiff(a[k].data as Float64Array, b[k].data as Float64Array) < 1e-13, `${k}: ${maxRelDiff(a[k].data as Float64Array, b[k].data as Float64Array)}`);
    }
  });
}

test('an update whose gradient is also used elsewhere is not fused (no recomputation)', async () => {
  const f = await compile(({ p, x, y, lr }: { p: P; x: Tensor; y: Tensor; lr: Tensor }) => {
    const g = grad((q: P) => loss(q, x, y))(p);
    return { w2: p.w2.sub(g.w2.mul(lr)), norm: vdot(g, g) };
  }, specs);
  assert.equal(opCount(f.model, 'Gemm'), 0);
});

test('Σ x² lowers to ReduceSumSquare (full, over axes, keepdims), equal to the unfused Mul + ReduceSum; a square used elsewhere stays a Mul', async () => {
  const program = ({ a }: { a: Tensor }) => {
    const shared = a.mul(a);
    return { all: a.mul(a).sum(), rows: a.mul(a).sum([-1], true), cols: a.mul(a).sum([0]), sharedSum: shared.sum(), shared };
  };
  const specA = { a: spec([6, 7], 'float64') };
  const input = { a: host64([6, 7], 9) };
  const fused = await compile(program, specA, { 'ort-cpu': { fuse: true } });
  const plain = await compile(program, specA, { 'ort-cpu': { fuse: false } });
  assert.equal(opCount(fused.model, 'ReduceSumSquare'), 3);
  assert.equal(opCount(plain.model, 'ReduceSumSquare'), 0);
  const a = (await fused.run(input)) as Record<string, HostTensor>;
  const b = (await plain.run(input)) as Record<string, HostTensor>;
  for (const k of ['all', 'rows', 'cols', 'sharedSum', 'shared']) {
    assert.deepEqual(a[k]!.shape, b[k]!.shape, k);
    assert.ok(maxRelDiff(a[k]!.data as Float64Array, b[k]!.data as Float64Array) < 1e-14, `${k}: ${maxRelDiff(a[k]!.data as Float64Array, b[k]!.data as Float64Array)}`);
  }
});
