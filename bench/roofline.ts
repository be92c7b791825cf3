// The roofline of a training step: memory bandwidth measured in ONNX Runtime (the engine sgdlab runs
// on, in the same process and threads), a lower bound on the bytes a step must move, and the FLOP
// bound from the MatMul peak; rooflineMs = max(FLOP bound, byte bound). bench/README.md derives it.

import { readFileSync } from 'node:fs';
import { compile, flatten, spec, HostTensor, type Tensor } from '../src/graph/index.ts';
import { buildModel, type Model } from '../src/nn/index.ts';
import type { StepKind } from '../src/train/index.ts';
import { Rng } from '../src/util/random.ts';
import { timeCalls } from './lib.ts';

const MiB = 1 << 20;

/** Last-level cache size the OS reports for CPU 0, in bytes (0 when unknown). */
export function lastLevelCacheBytes(): number {
  for (const index of [3, 2]) {
    try {
      const s = readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${index}/size`, 'utf8').trim();
      const m = /^(\d+)([KMG]?)$/.exec(s);
      if (m) return Number(m[1]) * ({ '': 1, K: 1 << 10, M: MiB, G: 1 << 30 } as Record<string, number>)[m[2]!]!;
    } catch {
      // no such cache level, or not Linux
    }
  }
  return 0;
}

/** STREAM-sized buffer: 4 × the last-level cache, at least 512 MiB, at most 2 GiB (memory is shared). */
export function streamBufferBytes(): number {
  return Math.min(2048 * MiB, Math.max(512 * MiB, 4 * lastLevelCacheBytes()));
}

// ORT's ReduceSum over the last axis of [rows, n/rows] parallelises over rows (a reduction to a
// scalar runs on one thread), so every intra-op thread streams its share. Each pass of a call is a
// different node (row count, keepdims), so that no common-subexpression pass merges two reads of the
// same buffer: 16 variants, all the same contiguous row-wise reduction (the first, which a single
// pass uses, with enough rows for many threads).
const VIEWS = [64, 128, 256, 32, 16, 8, 4, 2].flatMap((rows) => [false, true].map((keepdims) => ({ rows, keepdims })));
const ALIGN = 256 * 64;

function readPass(x: Tensor, n: number, i: number): Tensor {
  const v = VIEWS[i % VIEWS.length]!;
  return x.reshape([v.rows, n / v.rows]).sum(1, v.keepdims).sum();
}

export interface Bandwidth {
  bytes: number;
  /** Passes over the buffer per call. */
  passes: number;
  readGBps: number;
  /** STREAM copy convention: (bytes read + bytes written) / time of the copy alone; null when not measured. */
  copyGBps: number | null;
  /**
   * A cross-check outside ONNX Runtime: one thread's memmove (V8's TypedArray copyWithin) of the
   * buffer's first half onto its second, STREAM copy convention; null when not measured.
   */
  memmoveGBps: number | null;
  msPerPass: number;
}

function fill(n: number): Float32Array {
  const a = new Float32Array(n);
  const rng = new Rng(11);
  // Random values in blocks: filling 512 MiB one normal at a time takes seconds, and the sum's speed
  // does not depend on the values.
  const block = new Float32Array(4096);
  for (let i = 0; i < block.length; i++) block[i] = rng.normal();
  for (let i = 0; i < n; i += block.length) a.set(block.subarray(0, Math.min(block.length, n - i)), i);
  return a;
}

/**
 * Read bandwidth of ONNX Runtime over a float32 buffer of `bytes`: `passes` ReduceSums per call
 * (at most 16), each over a different view of the same input, each reading the whole buffer in order. Small buffers get many passes per call, so that the
 * call's fixed cost (tens of µs) does not count as memory time. With `copy`, also a graph that
 * writes y = x·s (s fed at run time, so that no pass folds it) and sums y: its extra time over one
 * read pass is the copy (read x, write y); y lives in ORT's arena, so its pages are not faulted anew.
 */
export async function measureBandwidth(o: { bytes: number; threads: number; reps: number; passes?: number; copy?: boolean }): Promise<Bandwidth> {
  const n = Math.max(1, Math.floor(o.bytes / 4 / ALIGN)) * ALIGN;
  const passes = o.passes ?? Math.max(1, Math.min(VIEWS.length, Math.ceil((256 * MiB) / (4 * n))));
  const x = new HostTensor(fill(n), [n]);
  const read = await compile(({ x }: { x: Tensor }) => {
    let total: Tensor | undefined;
    for (let i = 0; i < passes; i++) {
      const part = readPass(x, n, i).mul(1 + i);
      total = total ? total.add(part) : part;
    }
    return total!;
  }, { x: spec([n]) }, { name: 'stream-read', threads: o.threads });
  const r = await timeCalls(() => read.run({ x }), 2, o.reps);
  await read.release();
  const msPerPass = r.median / passes;
  const readGBps = (4 * n) / (msPerPass * 1e6);
  let copyGBps: number | null = null;
  if (o.copy) {
    const copy = await compile(({ x, s }: { x: Tensor; s: Tensor }) => readPass(x.mul(s), n, 0), { x: spec([n]), s: spec([]) }, { name: 'stream-copy', threads: o.threads });
    const s = new HostTensor(Float32Array.of(0.5), []);
    const c = await timeCalls(() => copy.run({ x, s }), 2, o.reps);
    await copy.release();
    const copyMs = c.median - msPerPass;
    copyGBps = copyMs > 0 ? (8 * n) / (copyMs * 1e6) : null;
  }
  let memmoveGBps: number | null = null;
  if (o.copy) {
    const half = n / 2;
    const m = await timeCalls(async () => { x.data.copyWithin(half, 0, half); }, 1, o.reps);
    memmoveGBps = (8 * half) / (m.median * 1e6);
  }
  return { bytes: 4 * n, passes, readGBps, copyGBps, memmoveGBps, msPerPass };
}

// ---------------------------------------------------------------------------------------------
// Bytes a step must move
//
// P   = parameter bytes; Pg = bytes of the weights whose input gradient the step computes (every
//       weight matrix or convolution kernel but the first layer's: the input is data; biases and
//       gates excluded too, so that the bound stays a bound).
// A gradient pass (forward + backward) reads every parameter once in the forward and Pg again for
// the input gradients (the backward reaches them in the reverse order, after the forward has
// streamed the other layers, so a weight larger than the cache is read twice). The update writes P
// once per call of K steps: a K-step program may keep the updates deferred (src/graph/targets/ort-cpu/passes/defer.ts) and
// write the parameters once per call; a one-step-per-call program (K = 1, every peer) writes them
// every step.
//   plain           reads P + Pg                       writes P/K
//   modified-fd     reads 2(P + Pg)  (gradients at w and at w + h∇Ĉ)        writes P/K
//   modified-exact  reads 2(P + Pg)  (forward, backward, then the reverse pass through both, which
//                                     reads the weights again in each)       writes P/K
// plus the batch's inputs, read once. Not counted (so the bound stays a lower bound): activations
// (at the MLP rows' batch sizes they fit in the cache; the WRN rows are FLOP bound), the gradient
// itself (low rank at small batch: it need not be materialised), and the output copy to the host.

export interface StepBytes {
  paramBytes: number;
  inputGradParamBytes: number;
  readBytes: number;
  writeBytes: number;
}

const paramCache = new Map<string, { paramBytes: number; inputGradParamBytes: number }>();

function paramBytesOf(model: Model): { paramBytes: number; inputGradParamBytes: number } {
  const key = `${model.name}/${model.inputShape.join('x')}/${model.numClasses}`;
  const cached = paramCache.get(key);
  if (cached) return cached;
  const flat = flatten<HostTensor>(model.init(new Rng(0), 'float32') as never);
  let paramBytes = 0;
  let inputGradParamBytes = 0;
  flat.leaves.forEach((t, i) => {
    const bytes = 4 * t.shape.reduce((a, b) => a * b, 1);
    paramBytes += bytes;
    const first = flat.paths[i] === 'layers.0.weight' || flat.paths[i] === 'stem';
    if (t.shape.length >= 2 && !first) inputGradParamBytes += bytes;
  });
  const r = { paramBytes, inputGradParamBytes };
  paramCache.set(key, r);
  return r;
}

export function stepBytes(model: Model, batch: number, kind: StepKind, stepsPerCall: number): StepBytes {
  const { paramBytes: P, inputGradParamBytes: Pg } = paramBytesOf(model);
  const passes = kind === 'plain' ? 1 : 2;
  const inputBytes = 4 * batch * model.inputShape.reduce((a, b) => a * b, 1);
  return { paramBytes: P, inputGradParamBytes: Pg, readBytes: passes * (P + Pg) + inputBytes, writeBytes: P / stepsPerCall };
}

export interface Roofline {
  flopBoundMs: number;
  byteBoundMs: number;
  rooflineMs: number;
  bytesPerStep: number;
  /** The read bandwidth the byte bound used (measured at the size of the model's parameters). */
  bandwidthGBps: number;
}

/**
 * max(FLOPs / MatMul peak, bytes / bandwidth). The caller passes the fastest rate measured (reads in
 * ORT, the memmove cross-check), and every byte, written ones too, is charged at it: a lower bound.
 */
export function roofline(o: { flops: number; peakGflops: number; bytes: StepBytes; bandwidthGBps: number }): Roofline {
  const flopBoundMs = o.flops / (o.peakGflops * 1e6);
  const bytesPerStep = o.bytes.readBytes + o.bytes.writeBytes;
  const byteBoundMs = bytesPerStep / (o.bandwidthGBps * 1e6);
  return { flopBoundMs, byteBoundMs, rooflineMs: Math.max(flopBoundMs, byteBoundMs), bytesPerStep, bandwidthGBps: o.bandwidthGBps };
}

/** The bench models' parameter bytes (for the per-model bandwidth measurements). */
export function modelParamBytes(specString: string, inputShape: number[]): number {
  return paramBytesOf(buildModel(specString, inputShape, 10)).paramBytes;
}
