// Every pass and lowering override of the ort-cpu target, and the target itself, switched off: the
// program must compute the same values (float64 where the switch applies to it, float32 where only
// float32 has the kernels), and the model must differ (the switch did something to this program).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compile, compileLoop, conv2d, flatten, grad, valueAndGrad, vdot, vjp, spec, HostTensor,
  type CompileOptions, type DType, type Tensor, type Tree,
} from '../../../../src/graph/index.ts';
import { nchwcBlockSize as probeNchwc } from '../../../../src/graph/targets/ort-cpu/probe.ts';
import { runOn } from '../../../../src/graph/providers.ts';

const nchwcBlockSize = () => probeNchwc(runOn('cpu'));
import { host64, maxRelDiff, to32 } from '../../helpers.ts';

interface Case {
  name: string;
  off: CompileOptions;
  dtype: DType;
  /** Compiles the program with the given options; returns its model and its outputs' values. */
  run(options: CompileOptions): Promise<{ model: Uint8Array; values: Float64Array[] }>;
  needsNchwc?: boolean;
}

const cast = (t: HostTensor, dtype: DType) => (dtype === 'float32' ? to32(t) : t);
const values = (out: unknown): Float64Array[] => flatten<HostTensor>(out as Tree<HostTensor>).leaves.map((t) => Float64Array.from(t.data as Float64Array));

/** One program compiled and run on fixed inputs (seeded draws of the given shapes). */
function program(fn: (inputs: Record<string, Tensor>) => unknown, shapes: Record<string, number[]>, dtype: DType, scale = 0.3) {
  const specs = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, spec(s, dtype)]));
  const inputs = Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, cast(host64(s, 11 + i, scale), dtype)]));
  return async (options: CompileOptions) => {
    const f = await compile(fn as (inputs: Record<string, Tensor>) => Tensor, specs, { threads: 1, ...options });
    const out = await f.run(inputs);
    await f.release();
    return { model: f.model, values: values(out) };
  };
}

/** A two-layer ReLU net's modified-loss SGD step, Ĉ + (λ/4)||∇Ĉ||² (Sec. 2.3): double backprop, matmul updates, g·Wᵀ. */
const modifiedStep = ({ x, w1, w2 }: Record<string, Tensor>) => {
  const cost = (p: { w1: Tensor; w2: Tensor }) => x!.matmul(p.w1).relu().matmul(p.w2).square().mean();
  const modified = (p: { w1: Tensor; w2: Tensor }) => {
    const [c, g] = valueAndGrad(cost)(p);
    return c.add(vdot(g, g).mul(0.25));
  };
  const g = grad(modified)({ w1: w1!, w2: w2! });
  return { w1: w1!.sub(g.w1.mul(0.1)), w2: w2!.sub(g.w2.mul(0.1)) };
};
const mlpShapes = { x: [16, 256], w1: [256, 1024], w2: [1024, 256] };

/** conv(x, w) and both its gradients through a cotangent g. */
const convGradients = (stride: number) => ({ x, w, g }: Record<string, Tensor>) => {
  const opts = { stride, padding: 1 };
  return {
    y: conv2d(x!, w!, opts),
    dx: vjp((v: Tensor) => conv2d(v, w!, opts), x!)[1](g!),
    dw: vjp((v: Tensor) => conv2d(x!, v, opts), w!)[1](g!),
  };
};
const convShapes = (n: number, c: number, h: number, o: number) => ({ x: [n, c, h, h], w: [o, c, 3, 3], g: [n, o, h, h] });

/** Two ReLU convolutions and a loss: its gradient reads the ReLU masks Greater(·, 0). */
const reluConvGradient = ({ x, w1, w2 }: Record<string, Tensor>) =>
  grad((p: { w1: Tensor; w2: Tensor }) => conv2d(conv2d(x!, p.w1, { padding: 1 }).relu(), p.w2, { padding: 1 }).relu().square().mean())({ w1: w1!, w2: w2! });

/** K SGD steps of a least-squares layer big enough for deferred updates (W ≥ 2^19 entries). */
async function deferLoop(options: CompileOptions) {
  const [K, B, n, m] = [8, 4, 1024, 512];
  const step = (p: { w: Tensor }, batch: { x: Tensor; t: Tensor }) => {
    const g = grad((w: Tensor) => batch.x.matmul(w).sub(batch.t).square().sum().mul(0.5))(p.w);
    return { carry: { w: p.w.sub(g.mul(1e-3)) }, out: { norm: vdot(g, g) } };
  };
  const f = await compileLoop(step, { carry: { w: spec([n, m], 'float64') }, perStep: { x: spec([B, n], 'float64'), t: spec([B, m], 'float64') } }, K, { threads: 1, ...options });
  const out = await f.run({ carry: { w: host64([n, m], 1, 0.05) }, perStep: { x: host64([K, B, n], 2), t: host64([K, B, m], 3) }, shared: {} });
  await f.release();
  return { model: f.model, values: values(out) };
}

const cases: Case[] = [
  { name: 'the ort-cpu target against the reference lowering', off: { target: 'reference' }, dtype: 'float64', run: program(modifiedStep, mlpShapes, 'float64') },
  { name: 'the ort-cpu target against the reference lowering (convolutions)', off: { target: 'reference' }, dtype: 'float32', run: program(convGradients(1), convShapes(2, 16, 16, 32), 'float32') },
  { name: 'the ort-cpu target against the reference lowering (strided convolutions)', off: { target: 'reference' }, dtype: 'float64', run: program(convGradients(2), { x: [4, 8, 9, 9], w: [8, 8, 3, 3], g: [4, 8, 5, 5] }, 'float64') },
  { name: 'pass reassociate (low-rank re-association)', off: { 'ort-cpu': { reassociate: false } }, dtype: 'float64', run: program(modifiedStep, mlpShapes, 'float64') },
  { name: 'deferred carries (passes/defer.ts)', off: { deferCarries: false }, dtype: 'float64', run: (o) => deferLoop({ deferCarries: true, ...o }) },
  { name: 'pass fuse (Gemm updates, ReduceSumSquare)', off: { 'ort-cpu': { fuse: false } }, dtype: 'float64', run: program(modifiedStep, mlpShapes, 'float64') },
  { name: 'pass fuseNchwc (ReLU into NCHWc convs)', off: { 'ort-cpu': { fuseNchwc: false } }, dtype: 'float32', needsNchwc: true, run: program(reluConvGradient, { x: [2, 16, 8, 8], w1: [32, 16, 3, 3], w2: [32, 32, 3, 3] }, 'float32') },
  { name: 'override nchwc', off: { 'ort-cpu': { overrides: { nchwc: false } } }, dtype: 'float32', needsNchwc: true, run: program(convGradients(1), convShapes(2, 16, 8, 32), 'float32') },
  { name: 'override inputGradAsConv', off: { 'ort-cpu': { overrides: { inputGradAsConv: false } } }, dtype: 'float32', run: program(convGradients(1), convShapes(2, 3, 16, 5), 'float32') },
  { name: 'override weightGradPlan (float64: per example, summed by ones)', off: { 'ort-cpu': { overrides: { weightGradPlan: false } } }, dtype: 'float64', run: program(convGradients(1), convShapes(4, 8, 9, 8), 'float64') },
  { name: 'override weightGradPlan (float32: split unfolding)', off: { 'ort-cpu': { overrides: { weightGradPlan: false } } }, dtype: 'float32', run: program(convGradients(1), convShapes(4, 8, 9, 8), 'float32') },
  { name: 'override weightGradPlan (float32, stride 2: one-hot unfolding)', off: { 'ort-cpu': { overrides: { weightGradPlan: false } } }, dtype: 'float32', run: program(convGradients(2), { x: [4, 8, 9, 9], w: [8, 8, 3, 3], g: [4, 8, 5, 5] }, 'float32') },
  { name: 'override transposedFewRows', off: { 'ort-cpu': { overrides: { transposedFewRows: false } } }, dtype: 'float64', run: program(({ a, w }) => a!.matmul(w!.T), { a: [16, 512], w: [768, 512] }, 'float64') },
  { name: 'override sumByOnes', off: { 'ort-cpu': { overrides: { sumByOnes: false } } }, dtype: 'float64', run: program(({ x }) => x!.sum(0), { x: [64, 4096] }, 'float64') },
];

for (const c of cases) {
  test(`switched off, ${c.name} computes the same values (${c.dtype})`, async (t) => {
    if (c.needsNchwc && (await nchwcBlockSize()) === null) return t.skip('this ONNX Runtime build has no NCHWc kernels');
    const on = await c.run({});
    const off = await c.run(c.off);
    assert.notDeepEqual(Buffer.from(on.model), Buffer.from(off.model), 'the switch changed nothing in this program');
    assert.equal(on.values.length, off.values.length);
    // float64: the same arithmetic up to rounding order; float32: up to float32 rounding of different kernels.
    const tolerance = c.dtype === 'float64' ? 1e-10 : 2e-4;
    on.values.forEach((v, i) => {
      const d = maxRelDiff(v, off.values[i]!);
      assert.ok(d < tolerance, `output ${i}: max relative difference ${d}`);
    });
  });
}

test('fuse: false leaves the NCHWc chain pass on (it has its own switch, fuseNchwc)', async (t) => {
  if ((await nchwcBlockSize()) === null) return t.skip('this ONNX Runtime build has no NCHWc kernels');
  const run = program(reluConvGradient, { x: [2, 16, 8, 8], w1: [32, 16, 3, 3], w2: [32, 32, 3, 3] }, 'float32');
  const fusedActivation = (model: Uint8Array) => Buffer.from(model).includes('activation');
  assert.equal(fusedActivation((await run({ 'ort-cpu': { fuse: false } })).model), true);
  assert.equal(fusedActivation((await run({ 'ort-cpu': { fuse: false, fuseNchwc: false } })).model), false);
});

test('an unknown target or override is a one-line error naming it', async () => {
  const f = ({ x }: { x: Tensor }) => x.sum();
  await assert.rejects(compile(f, { x: spec([2]) }, { target: 'gpu' as never }), /compile: unknown target 'gpu' \(known: reference, ort-cpu\)/);
  await assert.rejects(compile(f, { x: spec([2]) }, { 'ort-cpu': { overrides: { winograd: false } as never } }), /compile: unknown override 'winograd' \(known: nchwc, /);
});
