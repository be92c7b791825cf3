// `sweep run` on one machine: K trainer processes, each training one trial at a time straight
// into the shared SQLite store, skipping trials already done and resuming interrupted ones.
//
// Trainers write to the store themselves (WAL mode and a busy timeout let several processes
// write one file; each write is one short transaction) rather than through the coordinator:
// metrics then appear as training goes, and an interrupted trial resumes from the checkpoint its
// own process recorded. Only queue workers on other machines hand results to the coordinator.

import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { RunStore, checkpointDirFor, type RunRecord } from '../store/index.ts';
import { SpecError, type Sweep, type Trial } from './spec.ts';
import { SweepLock } from './lock.ts';
import { Trainer } from './trainer.ts';
import { scoringValue } from './aggregate.ts';
import type { SweepEvent } from './progress.ts';
import { appendResult, exportRun, exportSweepResults, importResults, readResultsFile } from './results-file.ts';

export interface LocalSweepOptions {
  storePath: string;
  /** Trainer processes (default: the machine's cores). */
  workers?: number;
  /** Where trial checkpoints go (default: `checkpoints/<store file name>/` next to the store). */
  checkpointDir?: string;
  onEvent?: (event: SweepEvent) => void;
  /** Aborting (SIGINT) stops the trainers at once; their trials stay 'running' and resume on the next run. */
  signal?: AbortSignal;
  /** Tests: every trial stops after this many epochs of this invocation, as if killed. */
  stopAfterEpochs?: number;
  /**
   * A results file (src/sweep/results-file.ts): its trials are loaded into the store first and count
   * as done; every trial that ends here, and any done in the store but missing from it, is appended.
   */
  resultsFile?: string;
}

export interface SweepRunReport {
  sweepId: string;
  total: number;
  alreadyDone: number;
  /** Trials that had a record but had not ended well (interrupted or failed before): resumed or retried. */
  resumed: number;
  ran: number;
  finished: number;
  diverged: number;
  failed: number;
  stopped: number;
  wallSeconds: number;
}

/** Trials whose record says they are done; the rest are to run (new, interrupted or failed). */
export function planTrials(sweep: Sweep, runs: readonly RunRecord[]): { done: Trial[]; toRun: { trial: Trial; existing?: RunRecord }[] } {
  const byKey = new Map(runs.filter((r) => r.trialKey !== null).map((r) => [r.trialKey!, r]));
  const done: Trial[] = [];
  const toRun: { trial: Trial; existing?: RunRecord }[] = [];
  for (const trial of sweep.trials) {
    const existing = byKey.get(trial.key);
    if (existing && (existing.status === 'finished' || existing.status === 'diverged')) done.push(trial);
    else toRun.push({ trial, ...(existing ? { existing } : {}) });
  }
  return { done, toRun };
}

export function lockPathFor(storePath: string, sweepId: string): string {
  return `${storePath}.${sweepId}.lock`;
}

export function defaultCheckpointDir(storePath: string): string {
  return checkpointDirFor(storePath);
}

export async function runLocalSweep(sweep: Sweep, options: LocalSweepOptions): Promise<SweepRunReport> {
  const { storePath } = options;
  if (storePath === ':memory:' || storePath === '') throw new SpecError('a sweep needs a run store file that its trainer processes can open, not :memory:');
  const emit = options.onEvent ?? (() => undefined);
  const started = Date.now();
  const store = RunStore.open(storePath);
  const lock = await SweepLock.acquire(lockPathFor(storePath, sweep.id), sweep.id);
  const trainers: Trainer[] = [];
  const report: SweepRunReport = { sweepId: sweep.id, total: sweep.trials.length, alreadyDone: 0, resumed: 0, ran: 0, finished: 0, diverged: 0, failed: 0, stopped: 0, wallSeconds: 0 };
  try {
    store.saveSweep({ id: sweep.id, name: sweep.spec.name, spec: sweep.spec });
    const { resultsFile } = options;
    if (resultsFile !== undefined) {
      const imported = importResults(store, sweep, readResultsFile(resultsFile));
      const exported = exportSweepResults(store, sweep, resultsFile);
      if (imported + exported > 0) emit({ type: 'message', text: `${resultsFile}: ${imported} trials loaded, ${exported} done before added` });
    }
    const { done, toRun } = planTrials(sweep, store.listRuns({ sweepId: sweep.id }));
    report.alreadyDone = done.length;
    report.resumed = toRun.filter((t) => t.existing).length;
    const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), toRun.length));
    emit({ type: 'planned', total: sweep.trials.length, alreadyDone: done.length, toRun: toRun.length, resumed: toRun.filter((t) => t.existing).length, workers });
    if (toRun.length === 0) return report;

    const checkpointDir = options.checkpointDir ?? defaultCheckpointDir(storePath);
    // Seed-major order: every grid point's first seed before any point's second, so a sweep stopped
    // part way (sessions end, machines are lent) already holds whole curves with fewer seeds.
    const seedRank = new Map(sweep.spec.seeds.map((seed, i) => [seed, i]));
    const queue = [...toRun].sort((a, b) => seedRank.get(a.trial.seed)! - seedRank.get(b.trial.seed)!);
    const recordChildren = () => lock.setChildren(trainers.map((t) => t.pid).filter((p): p is number => p !== undefined));
    const lane = async (slot: number): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        if (options.signal?.aborted) return;
        let trainer = trainers[slot]!;
        if (!trainer.alive) {
          // The previous trial's process died; its trial is recorded as failed, the next one gets a fresh process.
          trainer = trainers[slot] = new Trainer();
          recordChildren();
        }
        const { trial, existing } = next;
        const trialStarted = Date.now();
        emit({ type: 'trial-started', trial });
        const outcome = await trainer.run(
          {
            storePath,
            checkpointDir,
            sweepId: sweep.id,
            trialKey: trial.key,
            config: trial.config as unknown as Record<string, unknown>,
            ...(existing ? { resumeRunId: existing.id } : {}),
            ...(options.stopAfterEpochs !== undefined ? { stopAfterEpochs: options.stopAfterEpochs } : {}),
          },
          (step, totalSteps) => emit({ type: 'trial-progress', trial, step, totalSteps }),
        );
        if (options.signal?.aborted) return;
        if (outcome.status === 'failed') markFailed(store, sweep.id, trial.key, outcome.error ?? 'unknown error');
        report.ran++;
        report[outcome.status]++;
        const runId = outcome.runId ?? existing?.id;
        const value = runId !== undefined && outcome.status !== 'failed' ? scoringValue(store.getRun(runId), sweep.spec.scoring.metric) : undefined;
        if (resultsFile !== undefined && runId !== undefined && outcome.status !== 'failed' && outcome.status !== 'stopped') {
          appendResult(resultsFile, exportRun(store, sweep, trial, store.getRun(runId), (Date.now() - trialStarted) / 1000));
        }
        emit({
          type: 'trial-ended',
          trial,
          status: outcome.status,
          seconds: (Date.now() - trialStarted) / 1000,
          ...(runId !== undefined ? { runId } : {}),
          ...(outcome.error ? { error: outcome.error } : {}),
          ...(value !== undefined && Number.isFinite(value) ? { value } : {}),
        });
      }
    };
    for (let i = 0; i < workers; i++) trainers.push(new Trainer());
    recordChildren();
    options.signal?.addEventListener('abort', () => void Promise.all(trainers.map((t) => t.stop())), { once: true });
    await Promise.all(trainers.map((_, slot) => lane(slot)));
    return report;
  } finally {
    await Promise.all(trainers.map((t) => t.stop()));
    lock.release();
    store.close();
    report.wallSeconds = (Date.now() - started) / 1000;
  }
}

/** A trial whose process died never recorded its end: record it, so the store says what happened. */
function markFailed(store: RunStore, sweepId: string, trialKey: string, error: string): void {
  const run = store.listRuns({ sweepId }).find((r) => r.trialKey === trialKey);
  if (run && run.status === 'running') store.finishRun(run.id, { status: 'failed', error });
}
