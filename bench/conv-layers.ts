// Convolution kernels layer by layer, sgdlab against PyTorch: what bounds the WRN rows against
// PyTorch. sgdlab's side is its own lowering (src/graph/prims/conv.ts: ONNX Runtime's NCHWc Conv
// for the forward and stride-1 input gradient, ConvTranspose for strided input gradients, unfolded
// GEMMs for the weight gradient); PyTorch's is aten's conv2d and
// convolution_backward (oneDNN on this build), through bench/peer_torch.py.

import { compile, constant, conv2d, HostTensor, spec, vjp, type CompiledFunction, type Tensor } from '../src/graph/index.ts';
import { weightGradPlan } from '../src/graph/targets/ort-cpu/conv.ts';
import { Rng } from '../src/util/random.ts';
import { randomFloat32, table, timeCalls } from './lib.ts';
import { runTorchScript } from './peers.ts';

/** One 3×3 convolution with padding 1: input [batch, channels, size, size], `out` output channels. */
export interface ConvLayer { model: string; batch: number; channels: number; size: number; out: number; stride: number }

/** The distinct 3×3 convolutions of the bench's WRNs at batch 32 (stem excluded). */
export const WRN_CONV_LAYERS: ConvLayer[] = [
  { model: 'wrn-10-1', batch: 32, channels: 16, size: 32, out: 16, stride: 1 },
  { model: 'wrn-10-1', batch: 32, channels: 32, size: 16, out: 32, stride: 1 },
  { model: 'wrn-10-1', batch: 32, channels: 64, size: 8, out: 64, stride: 1 },
  { model: 'wrn-16-4', batch: 32, channels: 64, size: 32, out: 64, stride: 1 },
  { model: 'wrn-16-4', batch: 32, channels: 128, size: 16, out: 128, stride: 1 },
  { model: 'wrn-16-4', batch: 32, channels: 256, size: 8, out: 256, stride: 1 },
  { model: 'wrn-16-4', batch: 32, channels: 128, size: 16, out: 256, stride: 2 },
];

export interface ConvTimes { forward: number; inputGrad: number; weightGrad: number }
/** sgdlab's side also times its weight gradient's GEMM alone (the shape weightGradPlan gives). */
export interface SgdlabConvTimes extends ConvTimes { weightGradGemm: number; gemmShape: string }

const layerName = (l: ConvLayer) => `${l.model} [${l.batch},${l.channels},${l.size},${l.size}] → ${l.out}${l.stride > 1 ? `, stride ${l.stride}` : ''}`;
/** Output height and width (3×3 kernel, padding 1). */
const outSize = (l: ConvLayer) => Math.floor((l.size + 2 - 3) / l.stride) + 1;
const layerGflop = (l: ConvLayer) => (2 * l.batch * outSize(l) ** 2 * l.out * l.channels * 9) / 1e9;

/**
 * Median ms of sgdlab's compiled forward, input-gradient and weight-gradient programs for one layer,
 * and of the weight gradient's GEMM alone on inputs of its shape (with its sum over the batch when
 * it is per example; no unfolding, no reordering).
 */
async function sgdlabConvLayer(l: ConvLayer, threads: number, reps = 15): Promise<SgdlabConvTimes> {
  const o = outSize(l);
  const opts = { stride: l.stride, padding: 1 };
  const plan = weightGradPlan([l.batch, l.channels, l.size, l.size], [l.batch, l.out, o, o], { stride: [l.stride, l.stride], padding: [1, 1, 1, 1], kernelSize: [3, 3] }, 'float32');
  const { batch, m, k, n } = plan.gemm;
  const shapes = {
    x: [l.batch, l.channels, l.size, l.size], w: [l.out, l.channels, 3, 3], g: [l.batch, l.out, o, o],
    a: batch > 1 ? [batch, m, k] : [m, k], b: batch > 1 ? [batch, n, k] : [n, k],
  };
  const rng = new Rng(3);
  const host = Object.fromEntries(Object.entries(shapes).map(([key, s]) => [key, new HostTensor(randomFloat32(rng.fork(key), s.reduce((p, q) => p * q, 1)), s)]));
  const specs = Object.fromEntries(Object.entries(shapes).map(([key, s]) => [key, spec(s)]));
  type In = Record<string, Tensor>;
  // ones[1, N]·[N, m·n], the batch sum sumLeadingAxes emits in the lowering.
  const sumOverBatch = (t: Tensor) => constant(new Array<number>(batch).fill(1), [1, batch]).matmul(t.reshape([batch, m * n]));
  // One live session at a time: idle sessions' spinning intra-op threads would slow the timed one.
  const programs: Record<keyof ConvTimes | 'weightGradGemm', [() => Promise<CompiledFunction>, Record<string, HostTensor>]> = {
    forward: [() => compile(({ x, w }: In) => conv2d(x, w, opts), { x: specs.x, w: specs.w }, { threads }), { x: host.x!, w: host.w! }],
    inputGrad: [() => compile(({ x, w, g }: In) => vjp((v: Tensor) => conv2d(v, w, opts), x)[1](g), { x: specs.x, w: specs.w, g: specs.g }, { threads }), { x: host.x!, w: host.w!, g: host.g! }],
    weightGrad: [() => compile(({ x, w, g }: In) => vjp((v: Tensor) => conv2d(x, v, opts), w)[1](g), { x: specs.x, w: specs.w, g: specs.g }, { threads }), { x: host.x!, w: host.w!, g: host.g! }],
    // As the lowering emits it: A·Bᵀ (one FusedMatMul), per example summed over the batch by a
    // product with ones in the graph (else the timing would be of ORT copying N products out).
    weightGradGemm: [() => compile(({ a, b }: In) => (batch > 1 ? sumOverBatch(a.matmul(b.transpose([0, 2, 1]))) : a.matmul(b.transpose([1, 0]))), { a: specs.a, b: specs.b }, { threads }), { a: host.a!, b: host.b! }],
  };
  const out: Partial<SgdlabConvTimes> = { gemmShape: `${batch > 1 ? `${batch}×` : ''}[${m},${k}]·[${k},${n}]` };
  for (const [name, [make, inputs]] of Object.entries(programs)) {
    const p = await make();
    out[name as keyof ConvTimes | 'weightGradGemm'] = (await timeCalls(() => p.run(inputs), 3, reps)).median;
    await p.release();
  }
  return out as SgdlabConvTimes;
}

/** PyTorch's times for the same layers (one child process), or the reason there are none. */
async function pytorchConvLayers(python: string, layers: ConvLayer[], threads: number): Promise<{ layers: ConvTimes[] | null; note: string }> {
  const r = await runTorchScript<{ layers?: ConvTimes[]; note: string }>(python, { convLayers: layers, threads, reps: 15 }, 300);
  if (!('result' in r)) return { layers: null, note: `PyTorch layer timing failed: ${r.why}` };
  return { layers: r.result.layers ?? null, note: r.result.note };
}

export interface ConvLayerRow { layer: string; gflop: number; sgdlab: SgdlabConvTimes; pytorch: ConvTimes | null }

/** Every WRN layer timed in sgdlab and (when `python` imports torch) in PyTorch; `onRow` sees each as it comes. */
export async function compareConvLayers(python: string | null, threads: number, onRow: (r: ConvLayerRow) => void = () => {}): Promise<{ rows: ConvLayerRow[]; note: string }> {
  const theirs = python ? await pytorchConvLayers(python, WRN_CONV_LAYERS, threads) : { layers: null, note: 'PyTorch not available' };
  const rows: ConvLayerRow[] = [];
  // An untimed pass first: a process's first sessions of each shape ran up to 1.4× slower over 40
  // calls (fresh memory and threads), which showed as forward times above the input gradient's.
  for (const l of WRN_CONV_LAYERS) await sgdlabConvLayer(l, threads, 3);
  for (const [i, l] of WRN_CONV_LAYERS.entries()) {
    rows.push({ layer: layerName(l), gflop: layerGflop(l), sgdlab: await sgdlabConvLayer(l, threads), pytorch: theirs.layers?.[i] ?? null });
    onRow(rows.at(-1)!);
  }
  return { rows, note: theirs.note };
}

/** The rows as a table: each pass's ms in both systems and sgdlab's time over PyTorch's. */
export function convLayersTable(rows: ConvLayerRow[]): string {
  const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : '—');
  const passes: [keyof ConvTimes, string][] = [['forward', 'fwd'], ['inputGrad', '∂x'], ['weightGrad', '∂w']];
  return table(
    ['layer', 'GFLOP', ...passes.flatMap(([, s]) => [`sgdlab ${s}`, `PyTorch ${s}`, `${s} ×`]), 'sgdlab ∂w GEMM alone', 'GEMM shape', 'GEMM ×'],
    rows.map((r) => [
      r.layer, r.gflop.toFixed(2), ...passes.flatMap(([k]) => [r.sgdlab[k].toFixed(2), r.pytorch?.[k].toFixed(2) ?? '—', ratio(r.sgdlab[k], r.pytorch?.[k])]),
      r.sgdlab.weightGradGemm.toFixed(2), r.sgdlab.gemmShape, ratio(r.sgdlab.weightGradGemm, r.pytorch?.weightGrad),
    ]),
  );
}
