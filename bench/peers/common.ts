// What every peer child process shares: the request it gets on argv, the result it prints as JSON, the
// peer models' shapes (the same MLP and WRN as src/nn) and a bounded step-timing loop.

import { foreignLoadMeter, median } from '../lib.ts';

export type PeerKind = 'plain' | 'modified-exact' | 'modified-fd';

export interface PeerRequest {
  /** "mlp:1024x3" or "wrn:16-4" (inputs [784] or [3, 32, 32], 10 classes). */
  model: string;
  batch: number;
  kind: PeerKind;
  threads: number;
  /** Untimed calls (compilation included) before timing. */
  warmup: number;
  /** Timed steps: at most maxReps, and no more once budgetSeconds of timed steps have run (≥ 1 always). */
  maxReps: number;
  budgetSeconds: number;
  /** jax-js: when jit fails, time the step eagerly (op by op) instead. */
  eagerFallback?: boolean;
  /** tfjs: start on this backend (default wasm, falling back to cpu for kernels wasm lacks). */
  backend?: 'wasm' | 'cpu';
}

export interface PeerResult {
  msPerStep: number | null;
  bestMsPerStep: number | null;
  reps: number;
  /** Cores other processes used during the timed steps. */
  foreignLoad: number | null;
  /** Warm-up (first call, compiles included) in ms. */
  warmupMs: number | null;
  note: string;
}

export const FD_RADIUS = 2 ** -10;
export const LAMBDA = 2 ** -6;
export const LR = 2 ** -8;

export interface MlpShape { kind: 'mlp'; sizes: number[] }
export interface WrnBlock { cin: number; cout: number; stride: number; shortcut: boolean }
export interface WrnShape { kind: 'wrn'; blocks: WrnBlock[]; channels: number; width: number; classes: number }

/** The layer plan of src/nn's MLP and Wide-ResNet (pre-activation blocks, SkipInit, no batch norm). */
export function modelShape(spec: string): MlpShape | WrnShape {
  const m = /^mlp:(\d+)x(\d+)$/.exec(spec);
  if (m) return { kind: 'mlp', sizes: [784, ...Array<number>(Number(m[2])).fill(Number(m[1])), 10] };
  const w = /^wrn:(\d+)-(\d+)$/.exec(spec);
  if (!w) throw new Error(`unknown peer model '${spec}'`);
  const [depth, k] = [Number(w[1]), Number(w[2])];
  const perStage = (depth - 4) / 6;
  const blocks: WrnBlock[] = [];
  let cin = 16;
  [16 * k, 32 * k, 64 * k].forEach((cout, stage) => {
    for (let b = 0; b < perStage; b++) {
      const stride = b === 0 && stage > 0 ? 2 : 1;
      blocks.push({ cin, cout, stride, shortcut: cin !== cout || stride !== 1 });
      cin = cout;
    }
  });
  return { kind: 'wrn', blocks, channels: 3, width: 64 * k, classes: 10 };
}

export function parseRequest(argv: readonly string[]): PeerRequest {
  const i = argv.indexOf('--request');
  if (i < 0 || !argv[i + 1]) throw new Error('usage: --request JSON');
  return JSON.parse(argv[i + 1]!) as PeerRequest;
}

/** Bounded timing: warm-up calls, then timed calls until maxReps or the time budget. */
export async function measure(step: () => Promise<void>, r: PeerRequest): Promise<Omit<PeerResult, 'note'>> {
  const w0 = performance.now();
  for (let i = 0; i < r.warmup; i++) await step();
  const warmupMs = performance.now() - w0;
  const samples: number[] = [];
  const stop = foreignLoadMeter();
  let spent = 0;
  while (samples.length < r.maxReps && (samples.length === 0 || spent + median(samples) <= r.budgetSeconds * 1000)) {
    const t0 = performance.now();
    await step();
    const dt = performance.now() - t0;
    samples.push(dt);
    spent += dt;
  }
  return { msPerStep: median(samples), bestMsPerStep: Math.min(...samples), reps: samples.length, foreignLoad: stop(), warmupMs };
}

/** Print the one JSON line the parent reads, then exit (worker pools of the peers keep Node alive). */
export function finish(result: PeerResult): never {
  process.stdout.write(`\n@@PEER ${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** Deterministic pseudo-normal numbers (the peers only need plausible data, not sgdlab's Rng stream). */
export function gaussian(n: number, std: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const t = 2 * Math.PI * u();
    a[i] = r * Math.cos(t) * std;
    if (i + 1 < n) a[i + 1] = r * Math.sin(t) * std;
  }
  return a;
}
