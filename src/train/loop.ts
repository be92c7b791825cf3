// The training loop: data, model, sampler and compiled K-step programs put together; evaluation at
// a cadence, checkpoints at evaluation points, divergence detection, and the record in the store.

import { compileLoop, flatten, spec, HostTensor, TensorSpec, type CompiledFunction, type CompileOptions, type FloatDType, type Tree } from '../graph/index.ts';
import { loadDataset, makeSampler, preprocessSplit, randomCropFlip, type Dataset } from '../data/index.ts';
import { buildModel, type Model } from '../nn/index.ts';
import { Rng } from '../util/random.ts';
import { runProvenance } from '../util/provenance.ts';
import type { MetricValues, RunStore } from '../store/index.ts';
import { effectiveLearningRate, optimizerOf, type TrainConfig } from './config.ts';
import { sgd, type OptState, type SgdOptions } from '../optim/index.ts';
import { learningRateAt } from './schedule.ts';
import { batchCost, packCarry, trainingStep, unpackCarry, type StepKind } from './steps.ts';
import { Metrics } from './metrics.ts';
import { loadParams, saveParams } from './checkpoint.ts';

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

export interface TrainOptions {
  store?: RunStore;
  /** Continue this run of the store from its last checkpoint. */
  resumeRunId?: number;
  /** Where checkpoints go (one file per run, overwritten at each evaluation); none when absent. */
  checkpointDir?: string;
  onProgress?: (p: Progress) => void;
  onEvaluation?: (epoch: number, step: number, metrics: MetricValues) => void;
  /** Stop after this many epochs of this call (tests use it to simulate a killed run). */
  stopAfterEpochs?: number;
  sweep?: { id: string; trialKey: string };
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

export function stepKind(config: TrainConfig): StepKind {
  if (config.lambda === 0) return 'plain';
  return config.regGrad === 'exact' ? 'modified-exact' : 'modified-fd';
}

/** The data a config names, preprocessed; every loader error is a one-line DataError. */
export function loadTrainingData(config: TrainConfig): { train: Dataset; test?: Dataset } {
  const split = loadDataset({
    name: config.data,
    ...(config.dataDir ? { dir: config.dataDir } : {}),
    ...(config.trainSize !== undefined ? { trainSize: config.trainSize } : {}),
    ...(config.dataSeed !== undefined ? { seed: config.dataSeed } : {}),
    ...(config.data === 'synthetic'
      ? {
          synthetic: {
            ...(config.testSize !== undefined ? { testSize: config.testSize } : {}),
            ...(config.labelNoise !== undefined ? { labelNoise: config.labelNoise } : {}),
            ...(config.dimension !== undefined ? { dimension: config.dimension } : {}),
            ...(config.classes !== undefined ? { classes: config.classes } : {}),
          },
        }
      : {}),
  });
  return preprocessSplit(split, config.preprocess);
}

/**
 * The K-step program train() runs (the benchmarks compile through here too): `steps` updates of
 * `kind` per call on stacked batches {x, y, lr}, with deferred low-rank weight updates
 * (src/graph/defer.ts), since plain small-batch steps are bound by passes over the weights. Same
 * arithmetic up to rounding; the chunking into calls is fixed per epoch, so a resumed run still
 * repeats an uninterrupted one bit for bit. `carry` specifies the Loop's carry (packCarry: the
 * parameters for plain SGD, { params, opt } with momentum, whose updates are not deferred).
 */
export function compileTrainingSteps(
  model: Model,
  carry: Tree<TensorSpec>,
  o: { kind: StepKind; nStep?: number; weightDecay?: number; optimizer?: SgdOptions; dtype: FloatDType; batch: number; steps: number },
  options: CompileOptions = {},
): Promise<CompiledFunction> {
  const { dtype, batch } = o;
  return compileLoop(
    trainingStep(model, { kind: o.kind, nStep: o.nStep ?? 1, weightDecay: o.weightDecay ?? 0, dtype, ...(o.optimizer ? { optimizer: o.optimizer } : {}) }),
    { carry, perStep: { x: spec([batch, ...model.inputShape], dtype), y: spec([batch], 'int32'), lr: spec([], dtype) }, shared: { lambda: spec([], dtype) } },
    o.steps,
    { name: `${o.kind}-step`, deferUpdates: true, ...options },
  );
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

export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const { store } = options;
  const data = loadTrainingData(config);
  const { train: trainSet, test: testSet } = data;
  const model: Model = buildModel(config.model, trainSet.shape, trainSet.numClasses);
  const root = new Rng(config.seed);
  const dtype = config.dtype;
  let params = model.init(root.fork('init'), dtype);
  if (config.init) params = loadParams(config.init, params).params;
  const optimizer = optimizerOf(config);
  let opt: OptState<HostTensor> = sgd(config.lr, optimizer).init(params);

  const sampler = makeSampler(config.sampler, { n: trainSet.n, batch: config.batch, dropLast: config.dropLast, rng: root.fork('data') });
  const m = sampler.stepsPerEpoch;
  const B = sampler.batch;
  const totalSteps = config.steps ?? config.epochs! * m;
  const totalEpochs = Math.ceil(totalSteps / m);
  const exampleSize = trainSet.shape.reduce((a, b) => a * b, 1);
  const bytes = dtype === 'float64' ? 8 : 4;
  const K = stepsPerCall(config, m, B * exampleSize * bytes);

  // Start or resume the record.
  let runId = options.resumeRunId;
  let startEpoch = 0;
  let bestTestAcc = -Infinity;
  let best: MetricValues = {};
  const history: TrainResult['history'] = [];
  let resumedFinal: MetricValues = {};
  if (runId !== undefined && store) {
    const run = store.getRun(runId);
    if (run.checkpointPath) {
      const loaded = loadParams(run.checkpointPath, params, opt);
      ({ params, opt } = loaded);
      startEpoch = Number(loaded.metadata.epoch);
      bestTestAcc = Number(loaded.metadata.best_test_acc ?? -Infinity);
      best = JSON.parse(loaded.metadata.best ?? '{}') as MetricValues;
      store.deleteMetricsAfter(runId, Number(loaded.metadata.step));
      // The checkpoint's own evaluation is the run's latest: a run resumed at its end keeps it.
      const last = store.metrics(runId).at(-1);
      if (last) {
        const { step: _step, epoch: _epoch, ...values } = last;
        resumedFinal = values;
      }
    } else {
      // No checkpoint yet: the run starts over, so its recorded updates are replayed (steps ≥ 1;
      // the store accepts no negative step, and only a steps-0 run records step 0).
      store.deleteMetricsAfter(runId, 0);
    }
    store.reopenRun(runId);
    store.noteResumedBy(runId, { ...runProvenance(config.threads) });
  } else if (store) {
    runId = store.createRun({
      config: { ...config, effectiveLr: effectiveLearningRate(config) },
      seed: config.seed,
      name: `${config.model} ${config.data} lr=${config.lr} λ=${config.lambda}`,
      ...(options.sweep ? { sweepId: options.sweep.id, trialKey: options.sweep.trialKey } : {}),
      provenance: { ...runProvenance(config.threads) },
    });
  }

  const specs = paramSpecs(params);
  const carrySpecs = paramSpecs(packCarry(params, opt, optimizer));
  const programs = new Map<number, Promise<CompiledFunction>>();
  const kind = stepKind(config);
  const program = (steps: number) => {
    let p = programs.get(steps);
    if (!p) {
      p = compileTrainingSteps(
        model, carrySpecs, { kind, nStep: config.nStep, weightDecay: config.weightDecay, optimizer, dtype, batch: B, steps },
        config.threads ? { threads: config.threads } : {},
      );
      programs.set(steps, p);
    }
    return p;
  };
  const metrics = await Metrics.create(model, batchCost(model, config.weightDecay), specs, trainSet, testSet, {
    batch: B, dtype, exactGamma: config.exactGamma, rng: root.fork('metrics'), ...(config.threads ? { threads: config.threads } : {}),
  });

  const trainX: FloatArray = dtype === 'float64' ? Float64Array.from(trainSet.x) : trainSet.x;
  const stackedX: FloatArray = dtype === 'float64' ? new Float64Array(K * B * exampleSize) : new Float32Array(K * B * exampleSize);
  const stackedY = new Int32Array(K * B);
  const stackedLr: FloatArray = dtype === 'float64' ? new Float64Array(K) : new Float32Array(K);
  const augmentBuffer: FloatArray | undefined = config.augment ? (dtype === 'float64' ? new Float64Array(K * B * exampleSize) : new Float32Array(K * B * exampleSize)) : undefined;
  const lambda = new HostTensor(dtype === 'float64' ? Float64Array.of(config.lambda) : Float32Array.of(config.lambda), []);
  const imageShape = trainSet.shape.length === 3 ? { channels: trainSet.shape[0]!, height: trainSet.shape[1]!, width: trainSet.shape[2]! } : undefined;
  if (config.augment && !imageShape) throw new Error(`--augment needs image data [C,H,W]; ${config.data} has [${trainSet.shape}]`);

  let step = startEpoch * m;
  let trainSeconds = 0;
  let lastLoss = NaN;
  let lastTestAcc: number | undefined;
  let final: MetricValues = resumedFinal;
  let divergedAtStep: number | undefined;
  let epochsThisCall = 0;

  const finish = (status: TrainResult['status']): TrainResult => {
    const stepsPerSec = trainSeconds > 0 ? (step - startEpoch * m) / trainSeconds : 0;
    if (store && runId !== undefined && status !== 'stopped') {
      store.finishRun(runId, { status, final, best, ...(divergedAtStep !== undefined ? { divergedAtStep } : {}) });
    }
    if (config.save && status !== 'stopped') saveParams(config.save, params, { model: config.model, step: String(step) });
    return { ...(runId !== undefined ? { runId } : {}), status, ...(divergedAtStep !== undefined ? { divergedAtStep } : {}), steps: step, epochs: step / m, final, best, history, params, stepsPerSec };
  };

  const evaluate = async (epoch: number): Promise<boolean> => {
    const values = await metrics.evaluate(params);
    values.lr = learningRateAt(config.schedule, config.lr, Math.max(0, step - 1), totalSteps);
    values.steps_per_sec = trainSeconds > 0 ? (step - startEpoch * m) / trainSeconds : 0;
    if (values.test_acc !== undefined && values.test_acc > bestTestAcc) {
      bestTestAcc = values.test_acc;
      best = { ...values, step, epoch };
    }
    if (values.test_acc === undefined && (best.train_acc === undefined || values.train_acc! > best.train_acc)) best = { ...values, step, epoch };
    values.best_test_acc = Number.isFinite(bestTestAcc) ? bestTestAcc : NaN;
    final = values;
    history.push({ epoch, step, metrics: values });
    lastTestAcc = values.test_acc;
    store?.appendMetrics(runId!, { step, epoch, ...values });
    options.onEvaluation?.(epoch, step, values);
    if (!Number.isFinite(values.train_loss!)) {
      divergedAtStep = step;
      return false;
    }
    if (options.checkpointDir && store && runId !== undefined) {
      const path = `${options.checkpointDir}/run-${runId}.safetensors`;
      saveParams(path, params, { epoch: String(epoch), step: String(step), best_test_acc: String(bestTestAcc), best: JSON.stringify(best), model: config.model }, opt);
      store.setCheckpoint(runId, path);
    }
    return true;
  };

  if (step === 0 && totalSteps === 0) {
    await evaluate(0);
    return finish('finished');
  }

  for (let epoch = startEpoch; epoch < totalEpochs; epoch++) {
    const order = sampler.epochOrder(epoch);
    const augmentRng = root.fork('augment').fork(epoch);
    const stepsThisEpoch = Math.min(m, totalSteps - epoch * m);
    for (let s = 0; s < stepsThisEpoch; ) {
      const k = Math.min(K, stepsThisEpoch - s);
      for (let j = 0; j < k; j++) {
        const indices = order.subarray((s + j) * B, (s + j + 1) * B);
        for (let b = 0; b < B; b++) {
          const i = indices[b]!;
          stackedX.set(trainX.subarray(i * exampleSize, (i + 1) * exampleSize), (j * B + b) * exampleSize);
          stackedY[j * B + b] = trainSet.y[i]!;
        }
        stackedLr[j] = learningRateAt(config.schedule, config.lr, step + j, totalSteps);
      }
      let xs = stackedX;
      if (augmentBuffer && imageShape) {
        randomCropFlip(stackedX, augmentBuffer, k * B, imageShape, augmentRng);
        xs = augmentBuffer;
      }
      const started = performance.now();
      const r = (await (await program(k)).run({
        carry: packCarry(params, opt, optimizer),
        perStep: {
          x: new HostTensor(xs.subarray(0, k * B * exampleSize), [k, B, ...trainSet.shape]),
          y: new HostTensor(stackedY.subarray(0, k * B), [k, B]),
          lr: new HostTensor(stackedLr.subarray(0, k), [k]),
        },
        shared: { lambda },
      })) as { carry: HostParams; out: { loss: HostTensor } };
      trainSeconds += (performance.now() - started) / 1000;
      const losses = r.out.loss.data as FloatArray;
      const bad = losses.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        divergedAtStep = step + bad;
        step += bad;
        final = { ...final, train_loss: losses[bad]! };
        return finish('diverged');
      }
      ({ params, opt } = unpackCarry(r.carry, optimizer));
      lastLoss = losses[k - 1]!;
      step += k;
      s += k;
      options.onProgress?.({ epoch, step, totalSteps, loss: lastLoss, ...(lastTestAcc !== undefined ? { testAcc: lastTestAcc } : {}), stepsPerSec: (step - startEpoch * m) / Math.max(trainSeconds, 1e-9) });
    }
    const last = epoch === totalEpochs - 1;
    if (last || (epoch + 1) % config.evalEvery === 0) {
      if (!(await evaluate(epoch + 1))) return finish('diverged');
    }
    epochsThisCall++;
    if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs && !last) return finish('stopped');
  }
  return finish('finished');
}
