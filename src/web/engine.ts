// One playground run: the same model, initialisation, sampler, step programs and metrics as
// `sgdlab train` (src/train), driven one K-step call at a time so the page can show every call.
// It runs wherever the compiler's runtime runs: onnxruntime-web in the page's worker, onnxruntime-node in tests.

import { compile, flatten, spec, HostTensor, TensorSpec, type CompiledFunction, type Tensor, type Tree } from '../graph/index.ts';
import { buildModel, type Model } from '../nn/index.ts';
import { makeSampler, type BatchSampler } from '../data/samplers.ts';
import type { Dataset } from '../data/dataset.ts';
import { batchCost, compileTrainingSteps, stepKind } from '../train/steps.ts';
import { Metrics } from '../train/metrics.ts';
import { Rng } from '../util/random.ts';
import { GRID, type SharedSettings, type RunSettings } from './settings.ts';

type HostParams = Tree<HostTensor>;
export type MetricValues = Record<string, number>;

/** Most updates per runtime call: a whole epoch when it is short, so the page still updates often. */
export const MAX_STEPS_PER_CALL = 128;

export interface RunStatus {
  state: 'idle' | 'compiling' | 'running' | 'finished' | 'diverged' | 'stopped' | 'failed';
  steps: number;
  epoch: number;
  totalSteps: number;
  /** Batch costs Ĉ_k of the steps of the last call, in order. */
  losses: number[];
  stepsPerSecond: number;
  divergedAtStep?: number;
  error?: string;
}

export interface Evaluation {
  step: number;
  epoch: number;
  metrics: MetricValues;
}

export const modelSpec = (shared: SharedSettings): string => `mlp:${shared.width}x${shared.depth}`;

export interface EngineOptions {
  /** Compile options of the runtime (the worker passes none; tests may pin threads). */
  threads?: number;
}

export class PlaygroundEngine {
  private params: HostParams;
  private steps = 0;
  private trainSeconds = 0;
  private diverged = false;
  private readonly programs = new Map<number, Promise<CompiledFunction>>();
  private gridProgram?: Promise<CompiledFunction>;
  private readonly stackedX: Float32Array;
  private readonly stackedY: Int32Array;
  private readonly stackedLr: Float32Array;
  private readonly lambda: HostTensor;
  readonly totalSteps: number;
  readonly stepsPerCall: number;

  private constructor(
    readonly shared: SharedSettings,
    readonly run: RunSettings,
    private readonly train: Dataset,
    readonly model: Model,
    readonly sampler: BatchSampler,
    private readonly metrics: Metrics,
    private readonly paramSpecs: Tree<TensorSpec>,
    initial: HostParams,
    private readonly options: EngineOptions,
  ) {
    this.params = initial;
    const m = sampler.stepsPerEpoch;
    this.totalSteps = shared.epochs * m;
    this.stepsPerCall = Math.min(m, MAX_STEPS_PER_CALL);
    const size = train.shape.reduce((a, b) => a * b, 1);
    this.stackedX = new Float32Array(this.stepsPerCall * sampler.batch * size);
    this.stackedY = new Int32Array(this.stepsPerCall * sampler.batch);
    this.stackedLr = new Float32Array(this.stepsPerCall).fill(run.lr);
    this.lambda = new HostTensor(Float32Array.of(run.lambda), []);
  }

  /**
   * As train() sets a run up: parameters from Rng(seed).fork('init'), batches from fork('data'),
   * the metrics' batch partition from fork('metrics'). The last partial batch is dropped
   * (m = ⌊N/B⌋), so any B up to N works.
   */
  static async create(shared: SharedSettings, run: RunSettings, data: { train: Dataset; test?: Dataset }, options: EngineOptions = {}): Promise<PlaygroundEngine> {
    const model = buildModel(`mlp:${shared.width}x${shared.depth}`, data.train.shape, data.train.numClasses);
    const root = new Rng(shared.seed);
    const initial = model.init(root.fork('init'), 'float32');
    const sampler = makeSampler(shared.sampler, { n: data.train.n, batch: Math.min(run.batch, data.train.n), dropLast: true, rng: root.fork('data') });
    const flat = flatten<HostTensor>(initial);
    const paramSpecs = flat.unflatten(flat.leaves.map((t) => spec(t.shape, t.dtype))) as Tree<TensorSpec>;
    const metrics = await Metrics.create(model, batchCost(model, 0), paramSpecs, data.train, data.test, {
      batch: sampler.batch, dtype: 'float32', exactGamma: false, rng: root.fork('metrics'), ...(options.threads ? { threads: options.threads } : {}),
    });
    return new PlaygroundEngine(shared, run, data.train, model, sampler, metrics, paramSpecs, initial, options);
  }

  get done(): boolean {
    return this.diverged || this.steps >= this.totalSteps;
  }

  get parameters(): HostParams {
    return this.params;
  }

  private compileOptions() {
    return { 'ort-cpu': { overrides: { nchwc: false } }, ...(this.options.threads ? { threads: this.options.threads } : {}) };
  }

  /** The K-step program of train() itself (src/train/steps.ts compileTrainingSteps) for k steps per call. */
  private program(k: number): Promise<CompiledFunction> {
    let p = this.programs.get(k);
    if (!p) {
      p = compileTrainingSteps(
        this.model,
        this.paramSpecs,
        { kind: stepKind(this.run), nStep: this.run.nStep, weightDecay: 0, dtype: 'float32', batch: this.sampler.batch, steps: k },
        this.compileOptions(),
      );
      this.programs.set(k, p);
    }
    return p;
  }

  /** Compile the programs of the first call ahead of it (the page shows "compiling" meanwhile). */
  async prepare(): Promise<void> {
    await this.program(Math.min(this.stepsPerCall, this.totalSteps));
  }

  /**
   * The next call: up to K steps, never across an epoch boundary (so every epoch starts a call, as in
   * train()). Returns the batch costs of its steps; NaN or ±∞ marks the run diverged.
   */
  async advance(): Promise<{ losses: Float32Array; divergedAtStep?: number }> {
    if (this.done) return { losses: new Float32Array(0) };
    const m = this.sampler.stepsPerEpoch;
    const B = this.sampler.batch;
    const epoch = Math.floor(this.steps / m);
    const s = this.steps - epoch * m;
    const k = Math.min(this.stepsPerCall, m - s);
    const order = this.sampler.epochOrder(epoch);
    const size = this.train.shape.reduce((a, b) => a * b, 1);
    for (let j = 0; j < k; j++) {
      for (let b = 0; b < B; b++) {
        const i = order[(s + j) * B + b]!;
        this.stackedX.set(this.train.x.subarray(i * size, (i + 1) * size), (j * B + b) * size);
        this.stackedY[j * B + b] = this.train.y[i]!;
      }
    }
    const program = await this.program(k);
    const started = performance.now();
    const r = (await program.run({
      carry: this.params,
      perStep: {
        x: new HostTensor(this.stackedX.subarray(0, k * B * size), [k, B, ...this.model.inputShape]),
        y: new HostTensor(this.stackedY.subarray(0, k * B), [k, B]),
        lr: new HostTensor(this.stackedLr.subarray(0, k), [k]),
      },
      shared: { lambda: this.lambda },
    })) as { carry: HostParams; out: { loss: HostTensor } };
    this.trainSeconds += (performance.now() - started) / 1000;
    const losses = r.out.loss.data as Float32Array;
    const bad = losses.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      this.diverged = true;
      this.steps += bad;
      return { losses: losses.slice(0, bad + 1), divergedAtStep: this.steps };
    }
    this.params = r.carry;
    this.steps += k;
    return { losses };
  }

  /** Training updates per second so far, evaluation and compilation excluded (as train() counts). */
  get stepsPerSecond(): number {
    return this.trainSeconds > 0 ? this.steps / this.trainSeconds : 0;
  }

  get step(): number {
    return this.steps;
  }

  get epoch(): number {
    return this.steps / this.sampler.stepsPerEpoch;
  }

  /** The paper's quantities now: C and accuracy on train and test, C_reg, ||∇C||², Γ (src/train/metrics.ts). */
  async evaluate(): Promise<Evaluation> {
    const metrics = await this.metrics.evaluate(this.params);
    metrics.lr = this.run.lr;
    metrics.steps_per_sec = this.stepsPerSecond;
    return { step: this.steps, epoch: this.epoch, metrics };
  }

  /**
   * 2-D data: the predicted class on a GRID × GRID lattice over [min, max]² (row-major from the top
   * left corner, y decreasing downwards as on screen).
   */
  async decisionGrid(plane: { min: number; max: number }): Promise<Uint8Array> {
    const points = new Float32Array(GRID * GRID * 2);
    const step = (plane.max - plane.min) / (GRID - 1);
    for (let r = 0; r < GRID; r++) {
      for (let c = 0; c < GRID; c++) {
        points[2 * (r * GRID + c)] = plane.min + c * step;
        points[2 * (r * GRID + c) + 1] = plane.max - r * step;
      }
    }
    this.gridProgram ??= compile(
      ({ params, x }: { params: Tree<Tensor>; x: Tensor }) => ({ logits: this.model.apply(params, x) }),
      { params: this.paramSpecs, x: spec([GRID * GRID, 2]) },
      { name: 'decision-grid', ...this.compileOptions() },
    );
    const r = (await (await this.gridProgram).run({ params: this.params, x: new HostTensor(points, [GRID * GRID, 2]) })) as { logits: HostTensor };
    const logits = r.logits.data as Float32Array;
    const classes = this.model.numClasses;
    const out = new Uint8Array(GRID * GRID);
    for (let i = 0; i < GRID * GRID; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
      out[i] = best;
    }
    return out;
  }
}
