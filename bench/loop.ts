// The loop benchmark of the training lab: steps/s of train() (data pipeline included) against the bare
// compiled K-step program on pre-stacked batches; plus the diagnostics that bound the engine rows.

import { compile, spec, HostTensor, type HostTree, type Tensor } from '../src/graph/index.ts';
import type { GraphOptimization } from '../src/graph/options.ts';
import { buildModel } from '../src/nn/index.ts';
import { compileTrainingSteps, loadTrainingData, paramSpecs, resolveConfig, train, type TrainConfig } from '../src/train/index.ts';
import { stepsPerCall as loopStepsPerCall } from '../src/train/loop.ts';
import { Rng } from '../src/util/random.ts';
import { MODEL_SPEC, foreignLoadMeter, matmulPeak, median, quietGate, stepBench, timeCalls, waitForQuiet, type StepRow } from './lib.ts';

export interface LoopRow {
  data: string;
  inputShape: number[];
  model: string;
  batch: number;
  trainSize: number;
  stepsPerEpoch: number;
  stepsPerCall: number;
  epochsTimed: number;
  loopStepsPerSec: number;
  loopEpochsPerSec: number;
  bareStepsPerSec: number;
  bareEpochsPerSec: number;
  /** (loop time per step / bare time per step − 1) · 100, medians over calls. */
  overheadPct: number;
  /** The same from total times over the timed windows instead of medians, and from the fastest calls. */
  overheadPctMean: number;
  overheadPctBest: number;
  /** Cores used by other processes while the loop and the bare program ran. */
  foreignLoad: { loop: number; bare: number };
  /** train()'s own stepsPerSec (ONNX Runtime calls only, no data pipeline), for reference. */
  trainReportedStepsPerSec: number;
  /** Whole train() call (mean over rounds): data load, compiles, metrics, final evaluation. */
  wallSeconds: number;
}

/**
 * Rounds of: train() timed from the end of its first epoch (compiles done) to its last update, then
 * the bare program for as many calls. Alternating rounds expose both to the same machine load.
 */
async function loopRow(label: string, partial: Record<string, unknown>, epochs: number, rounds: number, threads: number): Promise<LoopRow> {
  const config: TrainConfig = resolveConfig({ model: MODEL_SPEC, batch: 16, lr: 2 ** -6, epochs, evalEvery: epochs, threads, ...partial });
  const { train: trainSet } = loadTrainingData(config);
  const m = Math.floor(trainSet.n / config.batch);
  const size = trainSet.shape.reduce((a, b) => a * b, 1);
  const K = loopStepsPerCall(config, m, config.batch * size * 4);
  if (m % K !== 0) throw new Error(`loop bench ${label}: ${m} steps per epoch is not a multiple of ${K} steps per call`);

  // The bare program: the training loop's own K-step program, the loop's first K batches pre-stacked.
  const model = buildModel(config.model, trainSet.shape, trainSet.numClasses);
  const params = model.init(new Rng(config.seed).fork('init'), 'float32');
  const program = await compileTrainingSteps(model, paramSpecs(params), { kind: 'plain', dtype: 'float32', batch: config.batch, steps: K }, { threads });
  const n = K * config.batch;
  let carry: HostTree = params;
  const perStep = {
    x: new HostTensor(trainSet.x.slice(0, n * size), [K, config.batch, ...trainSet.shape]),
    y: new HostTensor(trainSet.y.slice(0, n), [K, config.batch]),
    lr: new HostTensor(new Float32Array(K).fill(config.lr), [K]),
  };
  const shared = { lambda: new HostTensor(Float32Array.of(0), []) };

  const loopSamples: number[] = [];
  const bareSamples: number[] = [];
  let loopTime = 0;
  let loopSteps = 0;
  let reported = 0;
  let wallSeconds = 0;
  let loopLoad = 0;
  let bareLoad = 0;
  for (let round = 0; round < rounds; round++) {
    // The loop: one progress event per ONNX Runtime call; the intervals after epoch 1 are full iterations.
    await waitForQuiet(quietGate.maxSeconds);
    const events: { t: number; step: number }[] = [];
    let meter: (() => number) | undefined;
    const t0 = performance.now();
    const result = await train(config, {
      onProgress: (p) => {
        events.push({ t: performance.now(), step: p.step });
        if (p.step === m) meter = foreignLoadMeter();
      },
    });
    wallSeconds += (performance.now() - t0) / 1000;
    const window = events.slice(events.findIndex((e) => e.step === m));
    loopLoad += meter ? meter() / rounds : 0;
    window.slice(1).forEach((e, i) => loopSamples.push((e.t - window[i]!.t) / (e.step - window[i]!.step)));
    loopTime += window.at(-1)!.t - window[0]!.t;
    loopSteps += window.at(-1)!.step - window[0]!.step;
    reported += result.stepsPerSec / rounds;

    // Like the loop: from the initial parameters, one untimed call (the loop's epoch 1), then as many timed calls.
    carry = params;
    const t = await timeCalls(async () => {
      carry = ((await program.run({ carry, perStep, shared })) as { carry: HostTree }).carry;
    }, 1, window.length - 1);
    bareSamples.push(...t.samples.map((x) => x / K));
    bareLoad += t.foreignLoad / rounds;
  }
  await program.release();
  const loopMs = median(loopSamples);
  const bareMs = median(bareSamples);
  const bareMeanMs = bareSamples.reduce((a, b) => a + b, 0) / bareSamples.length;
  const loopBest = Math.min(...loopSamples);
  const bareBest = Math.min(...bareSamples);

  return {
    data: label,
    inputShape: [...trainSet.shape],
    model: config.model,
    batch: config.batch,
    trainSize: trainSet.n,
    stepsPerEpoch: m,
    stepsPerCall: K,
    epochsTimed: loopSteps / m,
    loopStepsPerSec: 1000 / loopMs,
    loopEpochsPerSec: 1000 / loopMs / m,
    bareStepsPerSec: 1000 / bareMs,
    bareEpochsPerSec: 1000 / bareMs / m,
    overheadPct: 100 * (loopMs / bareMs - 1),
    overheadPctMean: 100 * (loopTime / loopSteps / bareMeanMs - 1),
    overheadPctBest: 100 * (loopBest / bareBest - 1),
    foreignLoad: { loop: loopLoad, bare: bareLoad },
    trainReportedStepsPerSec: reported,
    wallSeconds: wallSeconds / rounds,
  };
}

export async function runLoopBench(o: { threads: number; quick: boolean }, log: (s: string) => void = () => {}): Promise<LoopRow[]> {
  const rows: LoopRow[] = [];
  const rounds = o.quick ? 1 : 3;
  const digits = await loopRow('digits', { data: 'digits' }, o.quick ? 4 : 6, rounds, o.threads);
  log(`loop digits: ${digits.loopStepsPerSec.toFixed(1)} steps/s vs bare ${digits.bareStepsPerSec.toFixed(1)} (${digits.overheadPct.toFixed(1)}%)`);
  rows.push(digits);
  // 784-dimensional synthetic data (Gaussian mixture, 10 classes): Fashion-MNIST-shaped, one call per epoch.
  const n = o.quick ? 2400 : 4800;
  const fashion = await loopRow('synthetic-784 (Fashion-MNIST-shaped)', { data: 'synthetic', dimension: 784, classes: 10, trainSize: n, testSize: 160 }, o.quick ? 3 : 4, rounds, o.threads);
  log(`loop fashion-shaped: ${fashion.loopStepsPerSec.toFixed(1)} steps/s vs bare ${fashion.bareStepsPerSec.toFixed(1)} (${fashion.overheadPct.toFixed(1)}%)`);
  rows.push(fashion);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Diagnostics: what bounds the engine rows

export interface Diagnostics {
  /** ms per call of the plain batch-128 step against steps per call, and the fitted per-call cost. */
  stepsPerCall: { stepsPerCall: number; msPerCall: number; msPerStep: number }[];
  perCallFit: { fixedMsPerCall: number; msPerStep: number };
  /** MatMul peak and plain/modified batch-128 rows at 1 and at all threads. */
  threads: { threads: number; matmulGflops: number; plainMsPerStep: number; modifiedMsPerStep: number }[];
  /** Plain and modified batch-128 K-step rows at each graph optimisation level. */
  optimization: { level: GraphOptimization; plainMsPerStep: number; modifiedMsPerStep: number }[];
  /** GFLOP/s of MatMul at the step's own shapes, chained in one graph (no big output copy). */
  shapes: { shape: string; gflops: number }[];
}

/** GFLOP/s of `count` [m,k]·[k,n] matmuls in one graph, each reduced to a scalar (so no output copy). */
async function shapeGflops(m: number, k: number, n: number, threads: number, reps: number): Promise<number> {
  const count = 8;
  // Each product perturbs the smaller operand (so that no pass merges the 8 products), never a large matrix.
  const perturbA = m * k <= k * n;
  const program = await compile(({ a, b }: { a: Tensor; b: Tensor }) => {
    let s: Tensor | undefined;
    for (let i = 0; i < count; i++) {
      const p = (perturbA ? a.add(i).matmul(b) : a.matmul(b.add(i))).sum();
      s = s ? s.add(p) : p;
    }
    return s!;
  }, { a: spec([m, k]), b: spec([k, n]) }, { threads, name: `matmul-${m}x${k}x${n}` });
  const rng = new Rng(5);
  const fill = (len: number) => { const x = new Float32Array(len); for (let i = 0; i < len; i++) x[i] = rng.normal(); return x; };
  const inputs = { a: new HostTensor(fill(m * k), [m, k]), b: new HostTensor(fill(k * n), [k, n]) };
  const t = await timeCalls(() => program.run(inputs), 2, reps);
  await program.release();
  return (count * 2 * m * k * n) / (t.median * 1e6);
}

export async function runDiagnostics(o: { threads: number; quick: boolean; peakGflops: number; loopSteps: number }, log: (s: string) => void = () => {}): Promise<Diagnostics> {
  const reps = o.quick ? 3 : 5;
  const row = (kind: 'plain' | 'modified-exact', K: number, threads: number, optimization?: GraphOptimization): Promise<StepRow> =>
    stepBench({ batch: 128, kind, stepsPerCall: K, threads, peakGflops: o.peakGflops, warmup: 1, reps, ...(optimization ? { optimization } : {}) });

  const spc: Diagnostics['stepsPerCall'] = [];
  for (const K of o.quick ? [1, 4, 16] : [1, 2, 4, 8, 16, 32]) {
    const r = await row('plain', K, o.threads);
    spc.push({ stepsPerCall: K, msPerCall: r.msPerCall, msPerStep: r.msPerStep });
    log(`diag plain b128 K=${K}: ${r.msPerCall.toFixed(1)} ms/call, ${r.msPerStep.toFixed(2)} ms/step`);
  }
  // Least squares msPerCall = fixed + K · perStep.
  const xs = spc.map((r) => r.stepsPerCall);
  const ys = spc.map((r) => r.msPerCall);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const perCallFit = { fixedMsPerCall: my - slope * mx, msPerStep: slope };

  const threads: Diagnostics['threads'] = [];
  for (const t of [...new Set([1, o.threads])]) {
    const mm = await matmulPeak({ threads: t, reps: o.quick ? 5 : 10 });
    const p = await row('plain', o.loopSteps, t);
    const q = await row('modified-exact', o.loopSteps, t);
    threads.push({ threads: t, matmulGflops: mm.gflops, plainMsPerStep: p.msPerStep, modifiedMsPerStep: q.msPerStep });
    log(`diag threads=${t}: matmul ${mm.gflops.toFixed(1)} GFLOP/s, plain ${p.msPerStep.toFixed(2)}, modified ${q.msPerStep.toFixed(2)} ms/step`);
  }

  const optimization: Diagnostics['optimization'] = [];
  for (const level of ['basic', 'extended', 'all'] as const) {
    const p = await row('plain', o.loopSteps, o.threads, level);
    const q = await row('modified-exact', o.loopSteps, o.threads, level);
    optimization.push({ level, plainMsPerStep: p.msPerStep, modifiedMsPerStep: q.msPerStep });
    log(`diag optimization=${level}: plain ${p.msPerStep.toFixed(2)}, modified ${q.msPerStep.toFixed(2)} ms/step`);
  }

  const shapes: Diagnostics['shapes'] = [];
  const r = o.quick ? 3 : 7;
  for (const [m, k, n, what] of [
    [2048, 2048, 2048, 'peak shape'],
    [128, 784, 1024, 'layer-1 forward'],
    [128, 1024, 1024, 'hidden forward / input gradient'],
    [1024, 128, 1024, 'hidden weight gradient (inner dim = batch)'],
    [16, 1024, 1024, 'hidden forward at batch 16'],
    [1024, 16, 1024, 'hidden weight gradient at batch 16'],
    // MLP 784-4096x3-10 at batch 16: MLAS packs the right operand on every call, so a large W costs
    // more on the right (the forward, x·W) than on the left (the input gradient as (W·gᵀ)ᵀ).
    [16, 4096, 4096, '4096 hidden forward at batch 16, W on the right'],
    [4096, 4096, 16, '4096 input gradient at batch 16 as W·gᵀ, W on the left'],
    [4096, 64, 4096, '4096 deferred update, 4 steps of batch 16'],
  ] as const) {
    const g = await shapeGflops(m, k, n, o.threads, r);
    shapes.push({ shape: `${m}×${k}·${k}×${n} (${what})`, gflops: g });
    log(`diag matmul ${m}x${k}x${n}: ${g.toFixed(1)} GFLOP/s`);
  }
  return { stepsPerCall: spc, perCallFit, threads, optimization, shapes };
}
