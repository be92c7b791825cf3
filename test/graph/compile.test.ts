// compile(): input validation, export and reload of the .onnx file, the signature cache, and the
// K-step Loop against K single calls (bit for bit).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compile, compileLoop, grad, jit, oneHot, spec, GraphError, HostTensor, type Tensor } from '../../src/graph/index.ts';
import { host64, to32 } from './helpers.ts';

interface Params { w1: Tensor; w2: Tensor }
const loss = (p: Params, x: Tensor, y: Tensor) =>
  x.matmul(p.w1).relu().matmul(p.w2).logSoftmax(-1).mul(oneHot(y, 3)).sum(-1).mean().neg();
const sgdStep = (p: Params, batch: { x: Tensor; y: Tensor }, shared: { lr: Tensor }) => {
  const g = grad((q: Params) => loss(q, batch.x, batch.y))(p);
  return { carry: { w1: p.w1.sub(g.w1.mul(shared.lr)), w2: p.w2.sub(g.w2.mul(shared.lr)) }, out: { loss: loss(p, batch.x, batch.y) } };
};
const paramSpecs = { w1: spec([8, 16]), w2: spec([16, 3]) };

test('run() rejects inputs of the wrong shape, dtype or structure with a one-line error', async () => {
  const f = await compile(({ a }: { a: Tensor }) => a.mul(2), { a: spec([2, 3]) });
  await assert.rejects(f.run({ a: new HostTensor(new Float32Array(6), [3, 2]) }), /input 'a' expected float32\[2,3\], got float32\[3,2\]/);
  await assert.rejects(f.run({ a: new HostTensor(new Float64Array(6), [2, 3]) }), /input 'a' expected float32\[2,3\], got float64\[2,3\]/);
  await assert.rejects(f.run({ b: new HostTensor(new Float32Array(6), [2, 3]) } as never), /another structure/);
});

test('trace-time errors name the primitive and both shapes; derivatives need float inputs', async () => {
  await assert.rejects(compile(({ a, b }: { a: Tensor; b: Tensor }) => a.add(b), { a: spec([2, 3]), b: spec([4]) }), (e: unknown) => e instanceof GraphError && /add: cannot broadcast shapes \[2,3\] and \[4\]/.test(e.message));
  await assert.rejects(compile(({ a, b }: { a: Tensor; b: Tensor }) => a.matmul(b), { a: spec([2, 3]), b: spec([4, 5]) }), /matmul: inner dimensions differ in \[2,3\] and \[4,5\]/);
  await assert.rejects(compile(({ a, b }: { a: Tensor; b: Tensor }) => a.mul(b), { a: spec([2]), b: spec([2], 'float64') }), /mul: dtype mismatch float32 vs float64/);
  await assert.rejects(compile(({ y }: { y: Tensor }) => grad((l: Tensor) => l.cast('float32').sum())(y), { y: spec([3], 'int32') }), /grad: cannot differentiate with respect to 'argument', which has dtype int32/);
  await assert.rejects(compile(({ a }: { a: Tensor }) => grad((x: Tensor) => x.mul(2))(a), { a: spec([3]) }), /grad: the function must return a scalar, got shape \[3\]/);
  await assert.rejects(compile(({ a }: { a: Tensor }) => a.reshape([4, 2]), { a: spec([2, 3]) }), /reshape: cannot reshape \[2,3\] into \[4,2\]/);
});

test('the exported .onnx file reloads in a fresh onnxruntime session with identical results', async () => {
  const f = await compile(({ p, x, y }: { p: Params; x: Tensor; y: Tensor }) => grad((q: Params) => loss(q, x, y))(p), { p: paramSpecs, x: spec([4, 8]), y: spec([4], 'int32') });
  const dir = await mkdtemp(join(tmpdir(), 'sgdlab-'));
  const path = join(dir, 'grad.onnx');
  await f.save(path);
  const inputs = { p: { w1: to32(host64([8, 16], 1)), w2: to32(host64([16, 3], 2)) }, x: to32(host64([4, 8], 3)), y: new HostTensor(Int32Array.of(0, 1, 2, 1), [4]) };
  const ours = (await f.run(inputs)) as { w1: HostTensor; w2: HostTensor };
  const fresh = await ort.InferenceSession.create(await readFile(path));
  assert.deepEqual([...fresh.inputNames].sort(), ['p.w1', 'p.w2', 'x', 'y']);
  const theirs = await fresh.run({
    'p.w1': new ort.Tensor('float32', inputs.p.w1.data as Float32Array, [8, 16]),
    'p.w2': new ort.Tensor('float32', inputs.p.w2.data as Float32Array, [16, 3]),
    x: new ort.Tensor('float32', inputs.x.data as Float32Array, [4, 8]),
    y: new ort.Tensor('int32', inputs.y.data as Int32Array, [4]),
  });
  const outs = fresh.outputNames.map((n) => [...(theirs[n]!.data as Float32Array)]);
  assert.deepEqual(outs, [[...(ours.w1.data as Float32Array)], [...(ours.w2.data as Float32Array)]]);
});

test('jit compiles once per input signature', async () => {
  const f = jit(({ a }: { a: Tensor }) => a.mul(a).sum());
  await f.run({ a: new HostTensor(Float32Array.of(1, 2), [2]) });
  const r: HostTensor = await f.run({ a: new HostTensor(Float32Array.of(3, 4), [2]) }); // typed by fn: no cast
  assert.equal(r.item(), 25);
  assert.equal(f.cacheSize, 1);
  await f.run({ a: new HostTensor(Float32Array.of(1, 2, 3), [3]) });
  assert.equal(f.cacheSize, 2);
  // @ts-expect-error run() takes the tree fn traces, here { a }
  await assert.rejects(f.run({ b: new HostTensor(Float32Array.of(1), [1]) }));
});

test('K steps in one Loop call are bit-identical to K single calls', async () => {
  const K = 5;
  const batch = 4;
  const batchSpecs = { x: spec([batch, 8]), y: spec([batch], 'int32') };
  const single = await compileLoop(sgdStep, { carry: paramSpecs, perStep: batchSpecs, shared: { lr: spec([]) } }, 1, { threads: 1 });
  const looped = await compileLoop(sgdStep, { carry: paramSpecs, perStep: batchSpecs, shared: { lr: spec([]) } }, K, { threads: 1 });
  const plain = await compile(({ p, b, s }: { p: Params; b: { x: Tensor; y: Tensor }; s: { lr: Tensor } }) => sgdStep(p, b, s), { p: paramSpecs, b: batchSpecs, s: { lr: spec([]) } }, { threads: 1 });
  const xs = to32(host64([K, batch, 8], 9));
  const ys = new HostTensor(Int32Array.from({ length: K * batch }, (_, i) => (i * 7) % 3), [K, batch]);
  const lr = new HostTensor(Float32Array.of(0.1), []);
  let params = { w1: to32(host64([8, 16], 1)), w2: to32(host64([16, 3], 2)) };
  const start = params;
  const losses: number[] = [];
  for (let k = 0; k < K; k++) {
    const x = new HostTensor((xs.data as Float32Array).slice(k * batch * 8, (k + 1) * batch * 8), [batch, 8]);
    const y = new HostTensor((ys.data as Int32Array).slice(k * batch, (k + 1) * batch), [batch]);
    const r = (await plain.run({ p: params, b: { x, y }, s: { lr } })) as { carry: typeof params; out: { loss: HostTensor } };
    params = r.carry;
    losses.push(r.out.loss.item());
  }
  const r = (await looped.run({ carry: start, perStep: { x: xs, y: ys }, shared: { lr } })) as { carry: typeof params; out: { loss: HostTensor } };
  assert.deepEqual([...(r.out.loss.data as Float32Array)], losses);
  assert.deepEqual([...(r.carry.w1.data as Float32Array)], [...(params.w1.data as Float32Array)]);
  assert.deepEqual([...(r.carry.w2.data as Float32Array)], [...(params.w2.data as Float32Array)]);
  assert.ok(losses[K - 1]! < losses[0]!, 'SGD lowers the loss');
  // A 1-step loop is the same program as a single call, too.
  const one = (await single.run({ carry: start, perStep: { x: new HostTensor((xs.data as Float32Array).slice(0, batch * 8), [1, batch, 8]), y: new HostTensor((ys.data as Int32Array).slice(0, batch), [1, batch]) }, shared: { lr } })) as typeof r;
  assert.equal(one.out.loss.item(), losses[0]);
});

test('a loop whose step changes the carry shape is rejected', async () => {
  await assert.rejects(
    compileLoop((c: { a: Tensor }) => ({ carry: { a: c.a.sum(0) }, out: {} }), { carry: { a: spec([2, 3]) }, perStep: {} }, 3),
    /carry 'carry.a' enters as float32\[2,3\] and leaves as float32\[3\]/,
  );
});
