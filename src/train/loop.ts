// The training loop: K-step programs (steps.ts) run over one batch stream (batches.ts), evaluated at
// a cadence (metrics.ts), with the run's record, checkpoints and ending kept by recorder.ts.

import { flatten, spec, HostTensor, TensorSpec, type CompiledFunction, type Tree } from '../graph/index.ts';
import { loadDataset, makeSampler, preprocessSplit, type Dataset } from '../data/index.ts';
import { buildModel, type Model } from '../nn/index.ts';
import { Rng } from '../util/random.ts';
import type { MetricValues } from '../store/index.ts';
import { oneNormEpsilonOf, optimizerOf, regularizerOf, runtimeOf, type TrainConfig } from './config.ts';
import { optimizerTransform } from '../optim/index.ts';
import { learningRateAt } from './schedule.ts';
import { batchCost, compileTrainingSteps, packCarry, stepKind, unpackCarry } from './steps.ts';
// Callers that compile train()'s programs without training (benchmarks, the playground) import them from here too.
export { compileTrainingSteps, stepKind } from './steps.ts';
import { Metrics } from './metrics.ts';
import { loadParams } from './checkpoint.ts';
import { checkTrainingFits, datasetOptionsOf } from './preflight.ts';
import { BatchStream } from './batches.ts';
import { RunRecorder, type RecorderOptions } from './recorder.ts';

type HostParams = Tree<HostTensor>;
type FloatArray = Float32Array | Float64Array;

export interface Progress {
  epoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  testAcc?: number;
  stepsPerSec: number;
}

export interface TrainOptions extends RecorderOptions {
  onProgress?: (p: Progress) => void;
  onEvaluation?: (epoch: number, step: number, metrics: MetricValues) => void;
  /** Called after each checkpoint is written; training waits for it (a queue worker copies the file to Redis). */
  onCheckpoint?: (info: { path: string; step: number; epoch: number }) => void | Promise<void>;
  /** Stop after this many epochs of this call (tests use it to simulate a killed run). */
  stopAfterEpochs?: number;
}

export interface TrainResult {
  runId?: number;
  status: 'finished' | 'diverged' | 'stopped';
  divergedAtStep?: number;
  steps: number;
  epochs: number;
  final: MetricValues;
  best: MetricValues;
  history: { epoch: number; step: number; metrics: MetricValues }[];
  params: HostParams;
  /** Training updates per second, evaluation excluded. */
  stepsPerSec: number;
}

/** The data a config names, preprocessed; every loader error is a one-line DataError. */
export function loadTrainingData(config: TrainConfig): { train: Dataset; test?: Dataset } {
  const split = loadDataset(datasetOptionsOf(config));
  return preprocessSplit(split, config.preprocess);
}

/** Most updates per ONNX Runtime call: one epoch, bounded so the stacked batches stay ≤ 64 MB. */
export function stepsPerCall(config: TrainConfig, m: number, batchBytes: number): number {
  if (config.stepsPerCall > 0) return Math.min(config.stepsPerCall, m);
  return Math.max(1, Math.min(m, Math.floor((64 << 20) / batchBytes)));
}

export function paramSpecs(params: HostParams): Tree<TensorSpec> {
  const flat = flatten<HostTensor>(params);
  return flat.unflatten(flat.leaves.map((t) => spec(t.shape, t.dtype)));
}

/** The K-step programs of a run, compiled on first use for each call length (K, and an epoch's remainder). */
function trainingPrograms(model: Model, config: TrainConfig, carry: Tree<TensorSpec>, batch: number): (steps: number) => Promise<CompiledFunction> {
  const programs = new Map<number, Promise<CompiledFunction>>();
  const o = { kind: stepKind(config), nStep: config.nStep, weightDecay: config.weightDecay, decoupledWeightDecay: config.decoupledWeightDecay ?? false, regularizer: regularizerOf(config), optimizer: optimizerOf(config), dtype: config.dtype, batch };
  return (steps) => {
    let p = programs.get(steps);
    if (!p) {
      p = compileTrainingSteps(model, carry, { ...o, steps }, runtimeOf(config));
      programs.set(steps, p);
    }
    return p;
  };
}

/**
 * Train one run of `config`: the epochs' batches through the K-step programs, evaluations every
 * `evalEvery` epochs (a checkpoint at each when asked), divergence as soon as a loss is not finite.
 */
export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  checkTrainingFits(config);
  const { train: trainSet, test: testSet } = loadTrainingData(config);
  const model: Model = buildModel(config.model, trainSet.shape, trainSet.numClasses);
  const root = new Rng(config.seed);
  const { dtype } = config;
  const optimizer = optimizerOf(config);
  let params = model.init(root.fork('init'), dtype);
  if (config.init) params = loadParams(config.init, params).params;
  const sampler = makeSampler(config.sampler, { n: trainSet.n, batch: config.batch, dropLast: config.dropLast, rng: root.fork('data') });
  const m = sampler.stepsPerEpoch;
  const B = sampler.batch;
  const totalSteps = config.steps ?? config.epochs! * m;
  const totalEpochs = Math.ceil(totalSteps / m);
  const exampleSize = trainSet.shape.reduce((a, b) => a * b, 1);
  const K = stepsPerCall(config, m, B * exampleSize * (dtype === 'float64' ? 8 : 4));
  if (config.augment && trainSet.shape.length !== 3) throw new Error(`--augment needs image data [C,H,W]; ${config.data} has [${trainSet.shape}]`);

  const recorder = new RunRecorder(config, options);
  let { state, startEpoch } = recorder.resume({ params, opt: optimizerTransform(optimizer, config.lr).init(params) }, { stepsPerEpoch: m, totalSteps, totalEpochs });
  const program = trainingPrograms(model, config, paramSpecs(packCarry(state.params, state.opt, optimizer)), B);
  const metrics = await Metrics.create(model, batchCost(model, config.weightDecay), paramSpecs(state.params), trainSet, testSet, {
    batch: B, dtype, exactGamma: config.exactGamma, rng: root.fork('metrics'), oneNormEpsilon: oneNormEpsilonOf(config), ...runtimeOf(config),
  });
  const learningRate = (step: number) => learningRateAt(config.schedule, config.lr, step, totalSteps);
  const batches = new BatchStream(trainSet, sampler, { dtype, stepsPerCall: K, learningRate, ...(config.augment ? { augment: root.fork('augment') } : {}) });
  const lambda = new HostTensor(dtype === 'float64' ? Float64Array.of(config.lambda) : Float32Array.of(config.lambda), []);

  let step = startEpoch * m;
  let trainSeconds = 0;
  let lastTestAcc: number | undefined;
  const stepsPerSec = () => (trainSeconds > 0 ? (step - startEpoch * m) / trainSeconds : 0);

  const finish = (status: TrainResult['status']): TrainResult => {
    recorder.finish(status, state, step);
    const { runId, divergedAtStep, final, best, history } = recorder;
    return { ...(runId !== undefined ? { runId } : {}), status, ...(divergedAtStep !== undefined ? { divergedAtStep } : {}), steps: step, epochs: step / m, final, best, history, params: state.params, stepsPerSec: stepsPerSec() };
  };

  /** Evaluate, record and checkpoint; false when the training loss is no longer finite. */
  const evaluate = async (epoch: number): Promise<boolean> => {
    const values = await metrics.evaluate(state.params);
    values.lr = learningRate(Math.max(0, step - 1));
    values.steps_per_sec = stepsPerSec();
    recorder.evaluation(epoch, step, values);
    lastTestAcc = values.test_acc;
    options.onEvaluation?.(epoch, step, values);
    if (!Number.isFinite(values.train_loss!)) {
      recorder.diverged(step);
      return false;
    }
    const path = recorder.checkpoint(epoch, step, state);
    if (path !== undefined) await options.onCheckpoint?.({ path, step, epoch });
    return true;
  };

  if (step === 0 && totalSteps === 0) {
    await evaluate(0);
    return finish('finished');
  }

  for (let epoch = startEpoch, epochsThisCall = 1; epoch < totalEpochs; epoch++, epochsThisCall++) {
    for (const chunk of batches.epoch(epoch, Math.min(m, totalSteps - epoch * m))) {
      const started = performance.now();
      const r = (await (await program(chunk.steps)).run({
        carry: packCarry(state.params, state.opt, optimizer),
        perStep: { x: chunk.x, y: chunk.y, lr: chunk.lr },
        shared: { lambda },
      })) as { carry: HostParams; out: { loss: HostTensor } };
      trainSeconds += (performance.now() - started) / 1000;
      const losses = r.out.loss.data as FloatArray;
      const bad = losses.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        step += bad;
        recorder.diverged(step, losses[bad]!);
        return finish('diverged');
      }
      state = unpackCarry(r.carry, optimizer);
      step += chunk.steps;
      options.onProgress?.({ epoch, step, totalSteps, loss: losses[chunk.steps - 1]!, ...(lastTestAcc !== undefined ? { testAcc: lastTestAcc } : {}), stepsPerSec: (step - startEpoch * m) / Math.max(trainSeconds, 1e-9) });
    }
    const last = epoch === totalEpochs - 1;
    if (last || (epoch + 1) % config.evalEvery === 0) {
      if (!(await evaluate(epoch + 1))) return finish('diverged');
    }
    if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs && !last) return finish('stopped');
  }
  return finish('finished');
}
