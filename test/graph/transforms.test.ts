// Transformations on real models: grad of a gradient norm (the paper's explicit regularizer) for an
// MLP and a gated residual conv net, hvp, nesting semantics, and float32 against float64.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkGrads } from '../../src/graph/check.ts';
import {
  compile, constant, conv2d, globalAvgPool, grad, hvp, oneHot, placeholder, printProgram, spec, sumOfSquares, valueAndGrad, vdot,
  HostTensor, type Tensor,
} from '../../src/graph/index.ts';
import { checkThreeConvNet, host64, maxRelDiff, randomArray, to32, type ThreeConvParams } from './helpers.ts';
import { nchwcBlockSize as probeNchwc } from '../../src/graph/targets/ort-cpu/probe.ts';
import { runOn } from '../../src/graph/providers.ts';

const nchwcBlockSize = () => probeNchwc(runOn('cpu'));
import { weightGradPlan } from '../../src/graph/targets/ort-cpu/conv.ts';

const labels = constant([1, 0, 2, 1, 0], [5], 'int32');
const inputs = constant(Array.from(randomArray(5 * 4, 11)), [5, 4], 'float64');

function crossEntropy(logits: Tensor, y: Tensor): Tensor {
  return logits.logSoftmax(-1).mul(oneHot(y, logits.shape[1]!, logits.dtype)).sum(-1).mean().neg();
}

interface Mlp { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor }
const mlpLoss = (p: Mlp, x: Tensor, y: Tensor) => crossEntropy(x.matmul(p.w1).add(p.b1).tanh().matmul(p.w2).add(p.b2), y);
const mlpShapes = [[4, 6], [6], [6, 3], [3]];

test('grad of the gradient norm of an MLP matches finite differences (and its own derivative does too)', async () => {
  const regularizer = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => {
    const g = grad((p: Mlp) => mlpLoss(p, inputs, labels))({ w1, b1, w2, b2 });
    return vdot(g, g);
  };
  for (const order of [1, 2] as const) {
    const r = await checkGrads(regularizer, mlpShapes, { order });
    assert.ok(r.fdError < 1e-6, `order ${order}: FD error ${r.fdError}`);
    assert.ok(r.identityError < 1e-10, `order ${order}: identity error ${r.identityError}`);
  }
});

test('grad of the gradient norm of a conv net with a residual gate matches finite differences', async () => {
  const image = constant(Array.from(randomArray(2 * 2 * 5 * 5, 5)), [2, 2, 5, 5], 'float64');
  const y = constant([1, 0], [2], 'int32');
  const loss = (p: { w1: Tensor; w2: Tensor; gate: Tensor; head: Tensor }) => {
    const h = conv2d(image, p.w1, { padding: 1 });
    const residual = h.add(conv2d(h.tanh(), p.w2, { stride: 1, padding: 1 }).mul(p.gate));
    const down = conv2d(residual, p.w2, { stride: 2, padding: 1 });
    return crossEntropy(globalAvgPool(down.tanh()).matmul(p.head), y);
  };
  const regularizer = (w1: Tensor, w2: Tensor, gate: Tensor, head: Tensor) => {
    const g = grad(loss)({ w1, w2, gate, head });
    return vdot(g, g);
  };
  const r = await checkGrads(regularizer, [[3, 2, 3, 3], [3, 3, 3, 3], [], [3, 2]], { order: 1 });
  assert.ok(r.fdError < 1e-6, `FD error ${r.fdError}`);
  assert.ok(r.identityError < 1e-10, `identity error ${r.identityError}`);
});

test('hvp equals finite differences of gradients', async () => {
  const f = (w: Tensor) => mlpLoss({ w1: w, b1: constant(0.1, [6], 'float64'), w2: constant(Array.from(randomArray(18, 3)), [6, 3], 'float64'), b2: constant(0, [3], 'float64') }, inputs, labels);
  const program = await compile(
    ({ w, v }: { w: Tensor; v: Tensor }) => ({ hv: hvp(f, w, v), g: grad(f)(w) }),
    { w: spec([4, 6], 'float64'), v: spec([4, 6], 'float64') },
  );
  const w = host64([4, 6], 1);
  const v = host64([4, 6], 2);
  const h = 1e-5;
  const shifted = (sign: number) => new HostTensor((w.data as Float64Array).map((x, i) => x + sign * h * (v.data as Float64Array)[i]!), [4, 6]);
  const at = (await program.run({ w, v })) as { hv: HostTensor };
  const plus = (await program.run({ w: shifted(1), v })) as { g: HostTensor };
  const minus = (await program.run({ w: shifted(-1), v })) as { g: HostTensor };
  const fd = (plus.g.data as Float64Array).map((x, i) => (x - (minus.g.data as Float64Array)[i]!) / (2 * h));
  assert.ok(maxRelDiff(fd, at.hv.data as Float64Array) < 1e-7, `hvp vs FD: ${maxRelDiff(fd, at.hv.data as Float64Array)}`);
});

test('nested grad does not confuse perturbations: d/dx [x · d/dy (x·y)] = 2x', async () => {
  const program = await compile(({ x }: { x: Tensor }) => grad((a: Tensor) => a.mul(grad((b: Tensor) => a.mul(b))(a)))(x), { x: spec([], 'float64') });
  const out = (await program.run({ x: new HostTensor(Float64Array.of(3), []) })) as HostTensor;
  assert.equal(out.item(), 6);
});

test('stopGradient blocks the derivative: d/dx [sg(x)·x²] = 2x² (not 3x²)', async () => {
  const program = await compile(({ x }: { x: Tensor }) => grad((a: Tensor) => a.stopGradient().mul(a.mul(a)).sum())(x), { x: spec([2], 'float64') });
  const out = (await program.run({ x: new HostTensor(Float64Array.of(3, -2), [2]) })) as HostTensor;
  assert.deepEqual([...(out.data as Float64Array)], [18, 8]);
});

test('float32 and float64 programs agree on loss and gradient', async () => {
  const build = (dtype: 'float32' | 'float64') =>
    compile(
      ({ p, x, y }: { p: Mlp; x: Tensor; y: Tensor }) => {
        const [loss, g] = valueAndGrad((q: Mlp) => mlpLoss(q, x, y))(p);
        return { loss, g, norm: sumOfSquares(g.w1) };
      },
      { p: { w1: spec([4, 6], dtype), b1: spec([6], dtype), w2: spec([6, 3], dtype), b2: spec([3], dtype) }, x: spec([5, 4], dtype), y: spec([5], 'int32') },
    );
  const p = { w1: host64([4, 6], 1), b1: host64([6], 2), w2: host64([6, 3], 3), b2: host64([3], 4) };
  const x = host64([5, 4], 5);
  const y = new HostTensor(Int32Array.of(1, 0, 2, 1, 0), [5]);
  const r64 = (await (await build('float64')).run({ p, x, y })) as { loss: HostTensor; g: { w1: HostTensor } };
  const p32 = { w1: to32(p.w1), b1: to32(p.b1), w2: to32(p.w2), b2: to32(p.b2) };
  const r32 = (await (await build('float32')).run({ p: p32, x: to32(x), y })) as typeof r64;
  assert.ok(Math.abs(r32.loss.item() - r64.loss.item()) / r64.loss.item() < 1e-6);
  assert.ok(maxRelDiff(r32.g.w1.data as Float32Array, r64.g.w1.data as Float64Array) < 1e-5);
});

test('the gradient of a matmul is made of matmuls (traced program)', () => {
  const a = placeholder('a', [2, 3], 'float32');
  const b = placeholder('b', [3, 4], 'float32');
  const g = grad((m: Tensor) => m.matmul(b).sum())(a);
  const text = printProgram([g]);
  assert.match(text, /matmul/);
  assert.doesNotMatch(text, /conv|logSoftmax/);
  assert.equal(g.shape.join(','), '2,3');
});

// 9×9 inputs lower the stride-1 input gradients to ConvTranspose, 17×17 ones (output ≥ 256 pixels)
// to Conv with the flipped kernel; the stride-2 layer always takes ConvTranspose. Channel counts
// that are multiples of 16 (and a 3-channel stem) take ONNX Runtime's NCHWc kernels instead, with
// the filters reordered in the graph: the same check with `nchwc` on and off, and the model must
// contain (or not) the NCHWc convolutions.
const convCases = [
  { size: 9, channels: [3, 4, 4, 5], nchwc: true },
  { size: 17, channels: [3, 4, 4, 5], nchwc: true },
  { size: 9, channels: [3, 16, 16, 32], nchwc: true },
  { size: 6, channels: [16, 32, 16, 16], nchwc: true },
  { size: 9, channels: [3, 32, 4, 32], nchwc: true }, // unblocked inputs: 4-channel cotangent and input
  { size: 9, channels: [3, 16, 16, 32], nchwc: false },
];
for (const { size, channels: [c0, c1, c2, c3], nchwc } of convCases) {
  test(`float32 convolutions (ONNX Runtime kernels) agree with the float64 im2col lowering, to second order, ${size}×${size}, channels ${c0}→${c1}→${c2}→${c3}, nchwc ${nchwc}`, async () => {
    const net = (p: ThreeConvParams, x: Tensor) => {
      const h = conv2d(x, p.w1, { padding: 1 }).tanh();
      const h2 = conv2d(h, p.w2, { padding: 1 }).tanh();
      const down = conv2d(h2, p.w3, { stride: 2, padding: 1 });
      return globalAvgPool(down.square());
    };
    const model = await checkThreeConvNet(net, [c0!, c1!, c2!, c3!], size, { seeds: [1, 4, 2, 3], scale: 0.5, options: { 'ort-cpu': { overrides: { nchwc } } } });
    const usesNchwc = Buffer.from(model).includes('com.microsoft.nchwc');
    const block = await nchwcBlockSize();
    const fits = block !== null && [c1, c2, c3].some((o) => o! % block === 0);
    assert.equal(usesNchwc, nchwc && fits, `NCHWc kernels used: ${usesNchwc} (block ${block})`);
  });
}

// Strided input gradients (ONNX ConvTranspose with output_padding for the rows the kernel never
// reached) against the float64 lowering, over several geometries.
const stridedCases = [
  { kernel: [3, 3], stride: 2, padding: [1, 1, 1, 1], size: 8 },
  { kernel: [1, 1], stride: 2, padding: [0, 0, 0, 0], size: 8 },
  { kernel: [2, 3], stride: 2, padding: [1, 0, 0, 2], size: 6 },
  { kernel: [5, 5], stride: 3, padding: [2, 2, 2, 2], size: 9 },
  { kernel: [3, 3], stride: 2, padding: [1, 1, 1, 1], size: 9 },
];
for (const { kernel, stride, padding, size } of stridedCases) {
  test(`float32 strided input gradient (kernel ${kernel.join('x')}, stride ${stride}, padding [${padding}], ${size}×${size}) agrees with float64`, async () => {
    const [c, o] = [16, 32];
    const geometry = { stride, padding: padding as [number, number, number, number] };
    const forward = (x: Tensor, w: Tensor) => conv2d(x, w, geometry);
    const ho = (n: number, k: number, a: number, b: number) => Math.floor((n + a + b - k) / stride) + 1;
    const gShape = [2, o, ho(size, kernel[0]!, padding[0]!, padding[2]!), ho(size, kernel[1]!, padding[1]!, padding[3]!)];
    const build = (dtype: 'float32' | 'float64') =>
      compile(({ x, w, g }: { x: Tensor; w: Tensor; g: Tensor }) => grad((y: Tensor) => vdot(forward(y, w), g))(x), {
        x: spec([2, c, size, size], dtype), w: spec([o, c, ...kernel], dtype), g: spec(gShape, dtype),
      });
    const host = { x: host64([2, c, size, size], 5), w: host64([o, c, ...kernel], 6, 0.2), g: host64(gShape, 7) };
    const r64 = (await (await build('float64')).run(host)) as HostTensor;
    const f32 = await build('float32');
    assert.ok(Buffer.from(f32.model).includes('ConvTranspose'));
    const r32 = (await f32.run({ x: to32(host.x), w: to32(host.w), g: to32(host.g) })) as HostTensor;
    const d = maxRelDiff(r32.data as Float32Array, r64.data as Float64Array);
    assert.ok(d < 1e-4, `float32 vs float64 ${d}`);
  });
}

// Weight gradients over geometries, against the float64 lowering: at stride 1 the split unfolding
// (input along its width, cotangent along its height, over the input's own rows) where the padding
// is at most kernel−1, the full unfolding otherwise; one GEMM per example, or one over the whole
// batch when the per-example products would be too large (many channels, few pixels). Each case
// asserts the plan it exercises.
const weightGradCases = [
  { kernel: [3, 3], padding: [1, 1, 1, 1], size: 8, stride: 1, c: 16, o: 8, split: true, perExample: true },
  { kernel: [2, 3], padding: [1, 0, 0, 2], size: 7, stride: 1, c: 16, o: 8, split: true, perExample: true },
  { kernel: [3, 3], padding: [0, 0, 0, 0], size: 9, stride: 1, c: 16, o: 8, split: true, perExample: true },
  { kernel: [5, 5], padding: [2, 2, 2, 2], size: 8, stride: 1, c: 16, o: 8, split: true, perExample: true },
  { kernel: [3, 3], padding: [2, 1, 0, 2], size: 6, stride: 1, c: 16, o: 8, split: true, perExample: true },
  { kernel: [2, 2], padding: [2, 0, 1, 1], size: 6, stride: 1, c: 16, o: 8, split: false, perExample: true },
  { kernel: [3, 3], padding: [1, 1, 1, 1], size: 3, stride: 1, c: 64, o: 64, split: true, perExample: false },
  { kernel: [3, 3], padding: [1, 0, 1, 1], size: 4, stride: 2, c: 64, o: 64, split: false, perExample: false },
  { kernel: [3, 3], padding: [1, 1, 1, 1], size: 7, stride: 2, c: 8, o: 16, split: false, perExample: true },
];
for (const { kernel, padding, size, stride, c, o, split, perExample } of weightGradCases) {
  test(`float32 weight gradient (kernel ${kernel.join('x')}, stride ${stride}, padding [${padding}], ${size}×${size}, ${c} → ${o} channels) agrees with float64`, async () => {
    const geometry = { stride, padding: padding as [number, number, number, number] };
    const ho = (n: number, k: number, a: number, b: number) => Math.floor((n + a + b - k) / stride) + 1;
    const gShape = [3, o, ho(size, kernel[0]!, padding[0]!, padding[2]!), ho(size, kernel[1]!, padding[1]!, padding[3]!)];
    const plan = weightGradPlan([3, c, size, size], gShape, { stride: [stride, stride], padding: geometry.padding, kernelSize: kernel as [number, number] }, 'float32');
    assert.deepEqual({ split: plan.split, perExample: plan.perExample }, { split, perExample }, 'the plan this case is meant to exercise');
    const build = (dtype: 'float32' | 'float64') =>
      compile(({ x, w, g }: { x: Tensor; w: Tensor; g: Tensor }) => grad((v: Tensor) => vdot(conv2d(x, v, geometry), g))(w), {
        x: spec([3, c, size, size], dtype), w: spec([o, c, ...kernel], dtype), g: spec(gShape, dtype),
      });
    const host = { x: host64([3, c, size, size], 8), w: host64([o, c, ...kernel], 9, 0.2), g: host64(gShape, 10) };
    const r64 = (await (await build('float64')).run(host)) as HostTensor;
    const r32 = (await (await build('float32')).run({ x: to32(host.x), w: to32(host.w), g: to32(host.g) })) as HostTensor;
    const d = maxRelDiff(r32.data as Float32Array, r64.data as Float64Array);
    assert.ok(d < 1e-4, `float32 vs float64 ${d}`);
  });
}
