// Shared engine-measurement code for bench/engine.ts and bench/run.ts: the ORT MatMul peak, compiled
// training steps (single call and K-step Loop) with analytic FLOP counts, timing helpers and CLI flags.

import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { compile, flatten, placeholder, spec, HostTensor, type CompiledFunction, type HostTree, type Tensor, type Tree } from '../src/graph/index.ts';
import type { GraphOptimization } from '../src/graph/options.ts';
import { topologicalOrder } from '../src/graph/graph-order.ts';
import { buildModel, type Model } from '../src/nn/index.ts';
import { compileTrainingSteps, paramSpecs, trainingStep, type StepKind } from '../src/train/index.ts';
import { Rng } from '../src/util/random.ts';

export const MODEL_SPEC = 'mlp:1024x3';
export const MODEL_NAME = 'mlp-784-1024x3-10';

/** The models of issue 5: JSON name, sgdlab model spec and per-example input shape (10 classes). */
export interface BenchModel { name: 'mlp-784-1024x3-10' | 'mlp-784-4096x3-10' | 'wrn-10-1' | 'wrn-16-4'; spec: string; inputShape: number[] }
export const BENCH_MODELS: Record<BenchModel['name'], BenchModel> = {
  'mlp-784-1024x3-10': { name: 'mlp-784-1024x3-10', spec: 'mlp:1024x3', inputShape: [784] },
  'mlp-784-4096x3-10': { name: 'mlp-784-4096x3-10', spec: 'mlp:4096x3', inputShape: [784] },
  'wrn-10-1': { name: 'wrn-10-1', spec: 'wrn:10-1', inputShape: [3, 32, 32] },
  'wrn-16-4': { name: 'wrn-16-4', spec: 'wrn:16-4', inputShape: [3, 32, 32] },
};

export interface BenchArgs {
  json: boolean;
  quick: boolean;
  /** The trial-level benchmark (bench/trials.ts) instead of the step benchmark. */
  trials: boolean;
  threads: number;
  /** Steps per call of the K-step rows. */
  loopSteps: number;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { json: false, quick: false, trials: false, threads: availableParallelism(), loopSteps: 64 };
  if (argv.includes('--quick')) Object.assign(quietGate, { maxSeconds: 3, budgetSeconds: 15 });
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a}: expected a positive integer, got '${argv[i]}'`);
      return v;
    };
    if (a === '--json') args.json = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--trials') args.trials = true;
    else if (a === '--threads') args.threads = value();
    else if (a === '--steps-per-call') args.loopSteps = value();
    else if (a === '--max-wait') quietGate.maxSeconds = value();
    else throw new Error(`unknown option '${a}' (known: --json, --quick, --trials, --threads N, --steps-per-call K, --max-wait SECONDS)`);
  }
  return args;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

/** Busy CPU seconds of the whole machine so far (all cores, from /proc/stat), or NaN off Linux. */
function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return (user! + nice! + system! + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
  } catch {
    return NaN;
  }
}
const ownCpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Cores used by other processes over a window: call start(), then stop() → average cores. */
export function foreignLoadMeter(): () => number {
  const t0 = performance.now();
  const busy0 = machineBusySeconds();
  const own0 = ownCpuSeconds();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    return Math.max(0, (machineBusySeconds() - busy0 - (ownCpuSeconds() - own0)) / wall);
  };
}

/**
 * This machine is shared: wait (at most maxSeconds) until other processes use less than `below`
 * cores over a 0.5 s window. Returns the last measured foreign load.
 */
export async function waitForQuiet(maxSeconds: number, below = 0.25): Promise<number> {
  const deadline = performance.now() + Math.min(maxSeconds, quietGate.budgetSeconds) * 1000;
  const started = performance.now();
  try {
    return await waitUntil(deadline, below);
  } finally {
    quietGate.budgetSeconds = Math.max(0, quietGate.budgetSeconds - (performance.now() - started) / 1000);
  }
}

async function waitUntil(deadline: number, below: number): Promise<number> {
  let load = 0;
  do {
    const stop = foreignLoadMeter();
    await new Promise((r) => setTimeout(r, 500));
    load = stop();
    if (!(load >= below)) return load;
  } while (performance.now() < deadline);
  return load;
}

/** Seconds waitForQuiet may wait before each timed block, and in all (set by the CLI flags). */
export const quietGate = { maxSeconds: 20, budgetSeconds: 120 };

/**
 * Median wall time in ms of `reps` awaited calls after `warmup` untimed ones; also the fastest call
 * and the cores other processes used meanwhile (this machine is shared).
 */
export async function timeCalls(fn: () => Promise<unknown>, warmup: number, reps: number): Promise<{ median: number; min: number; samples: number[]; foreignLoad: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  await waitForQuiet(quietGate.maxSeconds);
  const stop = foreignLoadMeter();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return { median: median(samples), min: Math.min(...samples), samples, foreignLoad: stop() };
}

export function cpuInfo(): { model: string; cores: number } {
  let model = 'unknown';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1]!.trim();
  } catch {
    // not Linux: keep 'unknown'
  }
  return { model, cores: availableParallelism() };
}

export function randomFloat32(rng: Rng, n: number, std = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}

// ---------------------------------------------------------------------------------------------
// MatMul peak

export const MATMUL_N = 2048;

/** GFLOP/s of one compiled float32 2048×2048 matmul (2·n³ FLOPs; the time includes ORT's copy of the 16 MB output). */
export async function matmulPeak(options: { threads: number; reps: number; optimization?: GraphOptimization }): Promise<{ gflops: number; ms: number; bestGflops: number; foreignLoad: number }> {
  const n = MATMUL_N;
  const program = await compile(({ a, b }: { a: Tensor; b: Tensor }) => a.matmul(b), { a: spec([n, n]), b: spec([n, n]) }, {
    name: 'matmul-peak',
    threads: options.threads,
    ...(options.optimization ? { optimization: options.optimization } : {}),
  });
  const rng = new Rng(1);
  const inputs = { a: new HostTensor(randomFloat32(rng, n * n), [n, n]), b: new HostTensor(randomFloat32(rng, n * n), [n, n]) };
  const t = await timeCalls(() => program.run(inputs), 3, options.reps);
  await program.release();
  return { gflops: (2 * n ** 3) / (t.median * 1e6), ms: t.median, bestGflops: (2 * n ** 3) / (t.min * 1e6), foreignLoad: t.foreignLoad };
}

// ---------------------------------------------------------------------------------------------
// FLOP conventions (matmul FLOPs only; bias adds, ReLU, softmax and the update are not counted)
//
//   F      = batch · model.forwardFlopsPerExample()      forward pass, 2·in·out per layer and example
//            (convolutions: 2·Cout·Cin·k²·Hout·Wout; pooling, gates and additions not counted)
//   F1     = the first layer's share of F (MLP: first Linear; WRN: the 3×3 stem)
//   plain  = 3F − F1   forward, weight gradient of every layer, input gradient of layers 2..L: what the
//                      traced graph computes (autodiff drops the unused input gradient of layer 1)
//   fd     = 2·plain   two full gradients (at w and at w + h∇Ĉ)
//   exact  = 3·plain   gradient (1× plain) plus reverse mode through the whole gradient computation
//                      (≈ 2× its cost) for ∇(λ/4)||∇Ĉ||² = (λ/2)H∇Ĉ.
// tracedMatmulFlops() counts the matmuls really in the traced graph; the engine notes it beside the
// convention so that any difference is visible.

export function analyticFlops(model: Model, batch: number, kind: StepKind): number {
  const F = batch * model.forwardFlopsPerExample();
  const F1 = batch * firstLayerFlops(model);
  const plain = 3 * F - F1;
  return kind === 'plain' ? plain : kind === 'modified-fd' ? 2 * plain : 3 * plain;
}

/** FLOPs per example of the first layer: its input gradient is never computed (the input is data). */
function firstLayerFlops(model: Model): number {
  const inputs = model.inputShape.reduce((a, b) => a * b, 1);
  const m = /^mlp:(\d+)x(\d+)$/.exec(model.name);
  if (m) return 2 * inputs * (Number(m[2]) === 0 ? model.numClasses : Number(m[1]));
  if (/^wrn:/.test(model.name)) return 2 * 16 * 9 * inputs; // 3×3 stem to 16 channels, padding 1
  throw new Error(`analyticFlops: unknown model ${model.name}`);
}

/** 2·M·K·N summed over the matmul nodes the traced step really reaches (before ORT's optimisations). */
export function tracedMatmulFlops(model: Model, batch: number, kind: StepKind): number {
  const params = flatten<HostTensor>(model.init(new Rng(0), 'float32') as Tree<HostTensor>);
  const p = params.unflatten(params.leaves.map((t, i) => placeholder(`p.${params.paths[i]}`, t.shape, 'float32')));
  const step = trainingStep(model, { kind, nStep: 1, weightDecay: 0, dtype: 'float32' });
  const r = step(p as Tree<Tensor>, {
    x: placeholder('x', [batch, ...model.inputShape], 'float32'),
    y: placeholder('y', [batch], 'int32'),
    lr: placeholder('lr', [], 'float32'),
  }, { lambda: placeholder('lambda', [], 'float32') });
  let total = 0;
  for (const t of topologicalOrder([r.out.loss, ...flatten<Tensor>(r.carry).leaves])) {
    if (t.origin.kind === 'op' && t.origin.prim === 'matmul') {
      const a = t.origin.inputs[0]!;
      total += 2 * t.size * a.shape[a.shape.length - 1]!;
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Training steps

export interface StepRow {
  model: string;
  batch: number;
  kind: StepKind;
  stepsPerCall: number;
  threads: number;
  optimization: GraphOptimization | 'auto';
  msPerStep: number;
  msPerCall: number;
  /** Every timed call, ms. */
  callMs: number[];
  /** The fastest call / K, and the cores other processes used during the timed calls. */
  bestMsPerStep: number;
  foreignLoad: number;
  gflops: number;
  fractionOfPeak: number;
  /** Analytic FLOPs per step, and the matmul FLOPs of the traced graph. */
  flopsPerStep: number;
  tracedFlopsPerStep: number;
}

export interface StepBenchOptions {
  batch: number;
  kind: StepKind;
  stepsPerCall: number;
  threads: number;
  peakGflops: number;
  warmup: number;
  reps: number;
  optimization?: GraphOptimization;
  /** Default: the 784-1024x3-10 MLP. */
  model?: BenchModel;
}

/** The compiled K-step program of the training lab for one MLP config, with random pre-stacked batches. */
export async function stepProgram(model: Model, o: { batch: number; kind: StepKind; stepsPerCall: number; threads: number; optimization?: GraphOptimization }): Promise<{ program: CompiledFunction; inputs: HostTree }> {
  const rng = new Rng(7);
  const params = model.init(rng.fork('init'), 'float32');
  const K = o.stepsPerCall;
  const B = o.batch;
  const size = model.inputShape.reduce((a, b) => a * b, 1);
  // As the training loop compiles it (deferred low-rank updates included).
  const program = await compileTrainingSteps(
    model, paramSpecs(params), { kind: o.kind, dtype: 'float32', batch: B, steps: K },
    { threads: o.threads, ...(o.optimization ? { optimization: o.optimization } : {}) },
  );
  const y = new Int32Array(K * B);
  for (let i = 0; i < y.length; i++) y[i] = rng.int(model.numClasses);
  const inputs: HostTree = {
    carry: params,
    perStep: {
      x: new HostTensor(randomFloat32(rng.fork('x'), K * B * size), [K, B, ...model.inputShape]),
      y: new HostTensor(y, [K, B]),
      lr: new HostTensor(new Float32Array(K).fill(2 ** -8), [K]),
    },
    shared: { lambda: new HostTensor(Float32Array.of(2 ** -6), []) },
  };
  return { program, inputs };
}

/** ms/step of one configuration: every call starts from the same parameters (no drift between calls). */
export async function stepBench(o: StepBenchOptions): Promise<StepRow> {
  const bm = o.model ?? BENCH_MODELS[MODEL_NAME];
  const model = buildModel(bm.spec, bm.inputShape, 10);
  const { program, inputs } = await stepProgram(model, o);
  const t = await timeCalls(() => program.run(inputs), o.warmup, o.reps);
  await program.release();
  const msPerStep = t.median / o.stepsPerCall;
  const flops = analyticFlops(model, o.batch, o.kind);
  const gflops = flops / (msPerStep * 1e6);
  return {
    model: bm.name,
    batch: o.batch,
    kind: o.kind,
    stepsPerCall: o.stepsPerCall,
    threads: o.threads,
    optimization: o.optimization ?? 'auto',
    msPerStep,
    msPerCall: t.median,
    callMs: t.samples,
    bestMsPerStep: t.min / o.stepsPerCall,
    foreignLoad: t.foreignLoad,
    gflops,
    fractionOfPeak: gflops / o.peakGflops,
    flopsPerStep: flops,
    // Only MLPs: a WRN's convolutions are not matmul nodes of the traced graph.
    tracedFlopsPerStep: bm.spec.startsWith('mlp:') && model.forwardFlopsPerExample() < 1e7 ? tracedMatmulFlops(model, o.batch, o.kind) : NaN,
  };
}

/** One row from two timed blocks of the same configuration: statistics over all their calls. */
export function mergeStepRows(a: StepRow, b: StepRow): StepRow {
  const callMs = [...a.callMs, ...b.callMs];
  const msPerCall = median(callMs);
  const msPerStep = msPerCall / a.stepsPerCall;
  const gflops = a.flopsPerStep / (msPerStep * 1e6);
  return {
    ...a, callMs, msPerCall, msPerStep, gflops, fractionOfPeak: a.fractionOfPeak * (gflops / a.gflops),
    bestMsPerStep: Math.min(a.bestMsPerStep, b.bestMsPerStep),
    foreignLoad: (a.foreignLoad * a.callMs.length + b.foreignLoad * b.callMs.length) / callMs.length,
  };
}

export interface EngineResult {
  threads: number;
  matmulPeakGflops: number;
  matmulMs: number;
  matmulBestGflops: number;
  matmulForeignLoad: number;
  steps: StepRow[];
}

export const KINDS: readonly StepKind[] = ['plain', 'modified-exact', 'modified-fd'];
export const BATCHES = [16, 128] as const;

/** The engine table: the MatMul peak, then every (batch, kind) as a single call and as a K-step loop. */
export async function runEngine(args: BenchArgs, log: (s: string) => void = () => {}): Promise<EngineResult> {
  const peak = await matmulPeak({ threads: args.threads, reps: args.quick ? 10 : 20 });
  log(`matmul ${MATMUL_N}³: ${peak.ms.toFixed(1)} ms, ${peak.gflops.toFixed(1)} GFLOP/s (${args.threads} threads)`);
  const steps: StepRow[] = [];
  for (const batch of BATCHES) {
    for (const kind of KINDS) {
      for (const K of [1, args.loopSteps]) {
        const single = K === 1;
        const row = await stepBench({
          batch, kind, stepsPerCall: K, threads: args.threads, peakGflops: peak.gflops,
          warmup: single ? 3 : 1,
          reps: args.quick ? (single ? 5 : 3) : single ? 15 : 7,
        });
        log(`${kind} b${batch} K=${K}: ${row.msPerStep.toFixed(2)} ms/step, ${row.gflops.toFixed(1)} GFLOP/s`);
        steps.push(row);
      }
    }
  }
  return { threads: args.threads, matmulPeakGflops: peak.gflops, matmulMs: peak.ms, matmulBestGflops: peak.bestGflops, matmulForeignLoad: peak.foreignLoad, steps };
}

/** The JSON kind names of bench:engine ("modified" is the exact double backprop). */
export const engineKind = (k: StepKind): 'plain' | 'modified' | 'modified-fd' => (k === 'modified-exact' ? 'modified' : k);

export function engineJson(r: EngineResult) {
  return {
    matmulPeakGflops: round(r.matmulPeakGflops, 2),
    steps: r.steps.map((s) => ({
      model: s.model,
      batch: s.batch,
      kind: engineKind(s.kind),
      stepsPerCall: s.stepsPerCall,
      msPerStep: round(s.msPerStep, 4),
      gflops: round(s.gflops, 2),
      fractionOfPeak: round(s.fractionOfPeak, 4),
    })),
  };
}

export const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** A plain-text (and Markdown) table. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, j) => Math.max(...cells.map((r) => r[j]!.length)));
  const line = (r: string[]) => `| ${r.map((c, j) => c.padEnd(widths[j]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

export function engineTable(r: EngineResult): string {
  const byKey = new Map(r.steps.map((s) => [`${s.batch}/${s.kind}/${s.stepsPerCall}`, s]));
  return table(
    ['model', 'batch', 'kind', 'steps/call', 'ms/call', 'ms/step', 'GFLOP/step', 'GFLOP/s', '% of peak', 'vs plain', 'best ms/step', 'best % of best peak', 'other load (cores)'],
    r.steps.map((s) => {
      const plain = byKey.get(`${s.batch}/plain/${s.stepsPerCall}`);
      return [
        s.model, s.batch, s.kind, s.stepsPerCall, s.msPerCall.toFixed(2), s.msPerStep.toFixed(3),
        `${(s.flopsPerStep / 1e9).toFixed(3)} (traced ${(s.tracedFlopsPerStep / 1e9).toFixed(3)})`,
        s.gflops.toFixed(1), (100 * s.fractionOfPeak).toFixed(1), plain ? `${(s.msPerStep / plain.msPerStep).toFixed(2)}×` : '',
        s.bestMsPerStep.toFixed(3), (100 * s.flopsPerStep / (s.bestMsPerStep * 1e6) / r.matmulBestGflops).toFixed(1), s.foreignLoad.toFixed(2),
      ];
    }),
  );
}
