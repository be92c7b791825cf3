// A run's record: the one builder of a new run's store entry (train() and the queue coordinator
// use it), and the RunRecorder that keeps a training run's evaluations, best and final metrics,
// checkpoints and ending, in memory and in the store when there is one.

import type { HostTensor, Tree } from '../graph/index.ts';
import type { OptState } from '../optim/index.ts';
import type { MetricValues, NewRun, RunStore } from '../store/index.ts';
import { runProvenance, type RunProvenance } from '../util/provenance.ts';
import { effectiveLearningRate, type TrainConfig } from './config.ts';
import { loadParams, saveParams } from './checkpoint.ts';
import { checkpointState } from './resume.ts';

type HostParams = Tree<HostTensor>;

/** What training carries from step to step: the parameters and the optimizer's state. */
export interface TrainState {
  params: HostParams;
  opt: OptState<HostTensor>;
}

/** A new run's store entry: the config with its effective rate ε = nα, a name, the sweep trial, the provenance. */
export function newRunRecord(config: TrainConfig, o: { sweep?: { id: string; trialKey: string }; provenance?: Record<string, unknown> } = {}): NewRun {
  return {
    config: { ...config, effectiveLr: effectiveLearningRate(config) },
    seed: config.seed,
    name: `${config.model} ${config.data} lr=${config.lr} λ=${config.lambda}`,
    ...(o.sweep ? { sweepId: o.sweep.id, trialKey: o.sweep.trialKey } : {}),
    ...(o.provenance ? { provenance: o.provenance } : {}),
  };
}

export type RunStatus = 'finished' | 'diverged' | 'stopped';

export interface RecorderOptions {
  store?: RunStore;
  /** Continue this run of the store from its last checkpoint. */
  resumeRunId?: number;
  /** Where checkpoints go (one file per run, overwritten at each evaluation); none when absent. */
  checkpointDir?: string;
  sweep?: { id: string; trialKey: string };
}

export class RunRecorder {
  readonly runId?: number;
  best: MetricValues = {};
  final: MetricValues = {};
  readonly history: { epoch: number; step: number; metrics: MetricValues }[] = [];
  divergedAtStep?: number;
  private bestTestAcc = -Infinity;
  private readonly store?: RunStore;
  /** The run's seconds in earlier processes, up to the checkpoint this one resumed from (wall_time of its evaluation). */
  private secondsBefore = 0;
  private readonly startedAt = performance.now();

  constructor(private readonly config: TrainConfig, private readonly options: RecorderOptions) {
    this.store = options.store;
    if (options.resumeRunId !== undefined) this.runId = options.resumeRunId;
    else if (this.store) this.runId = this.store.createRun(newRunRecord(config, { ...(options.sweep ? { sweep: options.sweep } : {}), provenance: { ...this.provenance() } }));
  }

  private provenance(): RunProvenance {
    return runProvenance(this.config.threads, this.config.executionProvider);
  }

  /**
   * Pick a resumed run up where its last checkpoint left it: the state, best and latest metrics
   * from there, later metrics dropped (they are replayed). Returns the state and the epoch to
   * start from; a new run (or one without a checkpoint yet) starts at epoch 0 from `initial`.
   */
  resume(initial: TrainState, position: { stepsPerEpoch: number; totalSteps: number; totalEpochs: number }): { state: TrainState; startEpoch: number } {
    const { store, runId } = this;
    if (this.options.resumeRunId === undefined || !store || runId === undefined) return { state: initial, startEpoch: 0 };
    const run = store.getRun(runId);
    let state = initial;
    let startEpoch = 0;
    if (run.checkpointPath) {
      const loaded = loadParams(run.checkpointPath, initial.params, initial.opt);
      // The metadata crossed a file boundary: checked against the run it is meant to continue.
      const saved = checkpointState(loaded.metadata, run.checkpointPath, { model: this.config.model, ...position });
      state = { params: loaded.params, opt: loaded.opt };
      startEpoch = saved.epoch;
      this.bestTestAcc = saved.bestTestAcc;
      this.best = saved.best;
      store.deleteMetricsAfter(runId, saved.step);
      // The checkpoint's own evaluation is the run's latest: a run resumed at its end keeps it.
      const last = store.metrics(runId).at(-1);
      if (last) {
        const { step: _step, epoch: _epoch, ...values } = last;
        this.final = values;
        // Runs recorded before wall_time existed count from here: their earlier time is not known.
        if (Number.isFinite(values.wall_time)) this.secondsBefore = values.wall_time!;
      }
    } else {
      // No checkpoint yet: the run starts over, so its recorded updates are replayed (steps ≥ 1;
      // the store accepts no negative step, and only a steps-0 run records step 0).
      store.deleteMetricsAfter(runId, 0);
    }
    store.reopenRun(runId);
    store.noteResumedBy(runId, { ...this.provenance() });
    return { state, startEpoch };
  }

  /**
   * Record an evaluation (best by test accuracy, or by train accuracy without a test set), with wall_time: the
   * seconds the run has taken so far in all the processes that trained it (time after a last checkpoint that a
   * killed process lost is not counted), so that a trial resumed across sessions reports its whole compute.
   */
  evaluation(epoch: number, step: number, values: MetricValues): void {
    values.wall_time = this.secondsBefore + (performance.now() - this.startedAt) / 1000;
    if (values.test_acc !== undefined && values.test_acc > this.bestTestAcc) {
      this.bestTestAcc = values.test_acc;
      this.best = { ...values, step, epoch };
    }
    if (values.test_acc === undefined && (this.best.train_acc === undefined || values.train_acc! > this.best.train_acc)) this.best = { ...values, step, epoch };
    values.best_test_acc = Number.isFinite(this.bestTestAcc) ? this.bestTestAcc : NaN;
    this.final = values;
    this.history.push({ epoch, step, metrics: values });
    if (this.store) this.store.appendMetrics(this.runId!, { step, epoch, ...values });
  }

  /** The training loss went NaN or infinite at `step` (during updates or at an evaluation). */
  diverged(step: number, loss?: number): void {
    this.divergedAtStep = step;
    if (loss !== undefined) this.final = { ...this.final, train_loss: loss };
  }

  /** Write the state after an evaluation, so a killed run resumes here; returns the file written, if any. */
  checkpoint(epoch: number, step: number, state: TrainState): string | undefined {
    const { store, runId } = this;
    if (!this.options.checkpointDir || !store || runId === undefined) return undefined;
    const path = `${this.options.checkpointDir}/run-${runId}.safetensors`;
    saveParams(path, state.params, { epoch: String(epoch), step: String(step), best_test_acc: String(this.bestTestAcc), best: JSON.stringify(this.best), model: this.config.model }, state.opt);
    store.setCheckpoint(runId, path);
    return path;
  }

  /** How the run ended, in the store (a stopped run stays 'running', to be resumed), and --save. */
  finish(status: RunStatus, state: TrainState, step: number): void {
    if (status === 'stopped') return;
    if (this.store && this.runId !== undefined) {
      this.store.finishRun(this.runId, { status, final: this.final, best: this.best, ...(this.divergedAtStep !== undefined ? { divergedAtStep: this.divergedAtStep } : {}) });
    }
    if (this.config.save) saveParams(this.config.save, state.params, { model: this.config.model, step: String(step) });
  }
}
