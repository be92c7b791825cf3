// Sweeps across machines on BullMQ/Redis: the coordinator enqueues one job per trial (job id from
// the trial key, so enqueuing twice is a no-op), workers train a job into a throwaway store and
// return the run's record, and the coordinator writes each trial key into ITS store exactly once.
//
// A worker killed mid-trial stops renewing its job lock; BullMQ's stalled-job check (run by the
// other workers every stalledInterval) moves the job back to waiting and another worker trains it
// from the job's last checkpoint, which workers keep in Redis or a shared directory
// (remote-checkpoints.ts), so at most one checkpoint interval is trained again. The coordinator
// records a trial only from a completed job's return value, and never a trial key that is already
// recorded, so no trial is counted twice.
//
// Everything that crosses Redis is data and is validated like user input: job payloads go through
// resolveConfig, results through validateTrialResult; nothing is evaluated. A Redis URL's
// credentials are used only to connect: messages, logs and records name the server as redisDisplay.

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue, Worker, type ConnectionOptions } from 'bullmq';
import { RunStore, type RunRecord } from '../store/index.ts';
import { resolveConfig, type TrainConfig } from '../train/index.ts';
import { checkTrainingFits } from '../train/preflight.ts';
import { dataSpecPath, isDataSpec } from '../data/index.ts';
import type { Sweep, Trial } from './spec.ts';
import { SweepLock } from './lock.ts';
import { lockPathFor, planTrials, type SweepRunReport } from './local.ts';
import { Trainer, forkEntry, sweepEntry } from './trainer.ts';
import { scoringValue } from './aggregate.ts';
import type { SweepEvent } from './progress.ts';
import type { ChildProcess } from 'node:child_process';
import { QueueError, encodeResult, recordTrialResult, trialSeconds, validateTrialResult, type TrialResult } from './trial-result.ts';
import { RemoteCheckpoints, captureCheckpoint, jobDigest, redisCheckpointKey, restoreCheckpoint, tensorDigest, type JobIdentity } from './remote-checkpoints.ts';

export { QueueError, encodeResult, recordTrialResult, validateTrialResult, type TrialResult } from './trial-result.ts';

export const DEFAULT_QUEUE_NAME = 'sgdlab-trials';

/** Stalled-job handling: how long a job's lock lives without renewal, and how often workers look for expired ones. */
export interface StallSettings {
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Times a job may stall (its worker died) before it fails for good. */
  maxStalledCount: number;
}

export const DEFAULT_STALL_SETTINGS: StallSettings = { lockDurationMs: 60_000, stalledIntervalMs: 30_000, maxStalledCount: 3 };

import { parseRedisUrl, type RedisTarget } from './redis-url.ts';

/** BullMQ forbids ':' in job ids; a hash of the trial key keeps ids short and safe. */
export function jobIdFor(sweepId: string, trialKey: string): string {
  return `${sweepId}.${createHash('sha256').update(trialKey).digest('hex').slice(0, 24)}`;
}

// ---------------------------------------------------------------------------------------------
// What crosses the queue.

export interface TrialJob {
  sweepId: string;
  trialKey: string;
  config: Record<string, unknown>;
}

const ID_PATTERN = /^[a-z0-9-]{1,80}$/;

/** Keys a job may not carry: files on the worker's machine, which the coordinator has no business naming. */
const JOB_FORBIDDEN_KEYS = ['save', 'init', 'dataDir'];

/** What a worker's own machine decides for every job: its data folder and the execution provider it trains on. */
export interface WorkerMachine {
  dataDir?: string;
  executionProvider?: string;
}

/**
 * A job payload from Redis, checked like user input; returns the training config to run, with this
 * machine's data folder and execution provider in place of the job's (a job whose target cannot run
 * on the worker's provider is refused here, in one line, like any other bad config).
 */
export function validateTrialJob(raw: unknown, machine: WorkerMachine = {}): { job: TrialJob; config: TrainConfig } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new QueueError('job: payload is not an object');
  const { sweepId, trialKey, config, ...rest } = raw as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new QueueError(`job: unknown field '${Object.keys(rest)[0]}'`);
  if (typeof sweepId !== 'string' || !ID_PATTERN.test(sweepId)) throw new QueueError('job: sweepId is not a sweep id');
  if (typeof trialKey !== 'string' || trialKey.length === 0 || trialKey.length > 500 || /[\n\r]/.test(trialKey)) throw new QueueError('job: trialKey is not a trial key');
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new QueueError('job: config is not an object');
  for (const key of JOB_FORBIDDEN_KEYS) if (Object.hasOwn(config, key)) throw new QueueError(`job: config key '${key}' names a file and is not accepted from a queue`);
  const data = (config as Record<string, unknown>).data;
  if (isDataSpec(data) && dataSpecPath(data)) throw new QueueError(`job: data '${data.slice(0, 80)}' names a file and is not accepted from a queue (run sweeps on your own data with --workers)`);
  const { dataDir, executionProvider } = machine;
  const resolved = resolveConfig({ ...(config as Record<string, unknown>), ...(dataDir ? { dataDir } : {}), ...(executionProvider ? { executionProvider } : {}) }, `job ${trialKey}`);
  // Worker-side limits: this machine's memory (SGDLAB_MAX_MEMORY, or `sgdlab worker --max-memory`).
  checkTrainingFits(resolved);
  return { job: { sweepId, trialKey, config: config as Record<string, unknown> }, config: resolved };
}


// ---------------------------------------------------------------------------------------------
// The coordinator.

export interface QueueSweepOptions {
  storePath: string;
  queue: RedisTarget;
  queueName?: string;
  /** `sgdlab worker` processes to start on this machine as well (default 0: only enqueue and collect). */
  workers?: number;
  stall?: Partial<StallSettings>;
  onEvent?: (event: SweepEvent) => void;
  signal?: AbortSignal;
  pollMs?: number;
  /** Give up with an error after this long without any trial completing (default: wait forever). */
  idleTimeoutMs?: number;
}

function connectionOptions(target: RedisTarget, forWorker: boolean): ConnectionOptions {
  // Workers block on Redis and must retry forever (BullMQ requires maxRetriesPerRequest null there).
  return { ...target.connection, ...(forWorker ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 3 }), lazyConnect: false } as ConnectionOptions;
}

/** Messages of connection errors name the server by its display form only. */
function connectionFailure(target: RedisTarget, error: unknown): QueueError {
  const code = (error as { code?: string }).code;
  return new QueueError(`queue ${target.display}: cannot reach Redis${code ? ` (${code})` : ''}`);
}

/**
 * The coordinator fails fast when Redis cannot be reached (ioredis would retry forever); workers
 * instead keep retrying, so they can be started before the server.
 */
async function readyOrFail(queue: Queue, target: RedisTarget, timeoutMs = 10_000): Promise<void> {
  let onError: (e: unknown) => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    onError = (e) => reject(connectionFailure(target, e));
    queue.once('error', onError);
    timer = setTimeout(() => reject(connectionFailure(target, Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }))), timeoutMs);
  });
  try {
    await Promise.race([queue.waitUntilReady(), failed]);
  } finally {
    queue.off('error', onError);
    clearTimeout(timer);
  }
}

export async function runQueueSweep(sweep: Sweep, options: QueueSweepOptions): Promise<SweepRunReport> {
  const { storePath, queue: target } = options;
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const emit = options.onEvent ?? (() => undefined);
  const started = Date.now();
  const store = RunStore.open(storePath);
  const lock = await SweepLock.acquire(lockPathFor(storePath, sweep.id), sweep.id);
  const queue = new Queue(queueName, { connection: connectionOptions(target, false) });
  let connectionError: unknown;
  queue.on('error', (e) => (connectionError ??= e));
  const workers: ChildProcess[] = [];
  const report: SweepRunReport = { sweepId: sweep.id, total: sweep.trials.length, alreadyDone: 0, resumed: 0, ran: 0, finished: 0, diverged: 0, failed: 0, stopped: 0, wallSeconds: 0 };
  try {
    await readyOrFail(queue, target);
    store.saveSweep({ id: sweep.id, name: sweep.spec.name, spec: sweep.spec });
    const { done, toRun } = planTrials(sweep, store.listRuns({ sweepId: sweep.id }));
    report.alreadyDone = done.length;
    report.resumed = toRun.filter((t) => t.existing).length;
    emit({ type: 'planned', total: sweep.trials.length, alreadyDone: done.length, toRun: toRun.length, resumed: toRun.filter((t) => t.existing).length, workers: Math.max(1, options.workers ?? 0) });
    const pending = new Map<string, Trial>();
    for (const { trial } of toRun) {
      const jobId = jobIdFor(sweep.id, trial.key);
      pending.set(jobId, trial);
      const existing = await Job.fromId(queue, jobId);
      if (existing && (await existing.getState()) === 'failed') {
        // A previous coordinator gave up on it; this run tries again.
        await existing.remove();
      }
      const payload: TrialJob = { sweepId: sweep.id, trialKey: trial.key, config: trial.config as unknown as Record<string, unknown> };
      // attempts: a worker that throws (its trainer process died) gives the job back this many times.
      await queue.add('trial', payload, { jobId, attempts: 3, removeOnComplete: false, removeOnFail: false });
    }
    for (let i = 0; i < (options.workers ?? 0); i++) {
      workers.push(startWorkerProcess(target, queueName, options.stall));
    }
    if (workers.length > 0) lock.setChildren(workers.map((w) => w.pid).filter((p): p is number => p !== undefined));

    const announced = new Set<string>();
    let lastCompletion = Date.now();
    while (pending.size > 0 && !options.signal?.aborted) {
      if (connectionError) throw connectionFailure(target, connectionError);
      for (const [jobId, trial] of [...pending]) {
        const job = await Job.fromId(queue, jobId);
        if (!job) {
          // Removed by someone else: enqueue again (the id makes this idempotent).
          await queue.add('trial', { sweepId: sweep.id, trialKey: trial.key, config: trial.config }, { jobId, attempts: 3, removeOnComplete: false, removeOnFail: false });
          continue;
        }
        const state = await job.getState();
        if (state === 'active' && !announced.has(jobId)) {
          announced.add(jobId);
          emit({ type: 'trial-started', trial });
        }
        if (state !== 'completed' && state !== 'failed') continue;
        let result: TrialResult;
        if (state === 'completed') {
          try {
            result = validateTrialResult(job.returnvalue, trial.key);
          } catch (e) {
            result = { trialKey: trial.key, status: 'failed', error: (e as Error).message, final: null, best: null, history: [], seconds: 0, worker: 'unknown' };
          }
        } else {
          result = { trialKey: trial.key, status: 'failed', error: `queue job failed: ${(job.failedReason ?? 'unknown reason').split('\n')[0]!.slice(0, 300)}`, final: null, best: null, history: [], seconds: 0, worker: 'unknown' };
        }
        const recorded = recordTrialResult(store, sweep.id, trial, result);
        pending.delete(jobId);
        await job.remove().catch(() => undefined);
        // Workers delete a completed job's checkpoint; this also covers jobs that failed for good.
        await (await queue.backend.client).del(redisCheckpointKey(queueName, jobId)).catch(() => undefined);
        lastCompletion = Date.now();
        if (!recorded) continue;
        report.ran++;
        report[result.status]++;
        const run = store.listRuns({ sweepId: sweep.id }).find((r: RunRecord) => r.trialKey === trial.key);
        const value = run && result.status !== 'failed' ? scoringValue(run, sweep.spec.scoring.metric) : undefined;
        if (!announced.has(jobId)) emit({ type: 'trial-started', trial });
        emit({
          type: 'trial-ended',
          trial,
          status: result.status,
          seconds: result.seconds,
          ...(run ? { runId: run.id } : {}),
          ...(result.error ? { error: result.error } : {}),
          ...(value !== undefined && Number.isFinite(value) ? { value } : {}),
        });
      }
      if (options.idleTimeoutMs !== undefined && Date.now() - lastCompletion > options.idleTimeoutMs) {
        throw new QueueError(`sweep ${sweep.id}: no trial completed for ${Math.round(options.idleTimeoutMs / 1000)}s; are workers running on ${queueName} at ${target.display}?`);
      }
      if (pending.size > 0) await sleep(options.pollMs ?? 500, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
    }
    return report;
  } finally {
    await Promise.all(workers.map(stopProcess));
    await queue.close().catch(() => undefined);
    lock.release();
    store.close();
    report.wallSeconds = (Date.now() - started) / 1000;
  }
}

function startWorkerProcess(target: RedisTarget, queueName: string, stall: Partial<StallSettings> | undefined): ChildProcess {
  // The URL with its credentials goes through the environment, never the command line (ps shows that).
  const env = { ...process.env, SGDLAB_WORKER_CONNECTION: JSON.stringify(target), SGDLAB_WORKER_SETTINGS: JSON.stringify({ queueName, stall: stall ?? {} }) };
  return forkEntry(sweepEntry('worker-process'), [], env);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

// ---------------------------------------------------------------------------------------------
// The worker.

export interface QueueWorkerOptions {
  queue: RedisTarget;
  queueName?: string;
  /** Trials trained at once (one trainer process each). */
  concurrency?: number;
  stall?: Partial<StallSettings>;
  /** Overrides the data directory of every job (the worker's copy of Fashion-MNIST/CIFAR-10). */
  dataDir?: string;
  /** ONNX Runtime threads per trial, overriding the job's. */
  threads?: number;
  /** The ONNX Runtime execution provider every trial trains on here (cuda on a GPU machine), overriding the job's. */
  executionProvider?: string;
  /** Exit after this many jobs (tests, batch schedulers). */
  maxJobs?: number;
  /**
   * A directory every worker mounts, for trial checkpoints too big for Redis (above
   * REDIS_CHECKPOINT_LIMIT); smaller ones go to Redis, which every worker reaches anyway.
   */
  checkpointDir?: string;
  /** Largest checkpoint kept in Redis, in bytes (default REDIS_CHECKPOINT_LIMIT). */
  redisCheckpointLimitBytes?: number;
  onLog?: (line: string) => void;
  signal?: AbortSignal;
}

/** Take trials from the queue until stopped; resolves when the worker has closed. */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<{ jobs: number }> {
  const stall = { ...DEFAULT_STALL_SETTINGS, ...options.stall };
  const log = options.onLog ?? (() => undefined);
  const concurrency = options.concurrency ?? 1;
  const idle: Trainer[] = [];
  const all: Trainer[] = [];
  let jobs = 0;
  const name = `${hostname()}:${process.pid}`;
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const checkpoints = new RemoteCheckpoints({
    redis: options.queue,
    queueName,
    ...(options.checkpointDir !== undefined ? { directory: options.checkpointDir } : {}),
    ...(options.redisCheckpointLimitBytes !== undefined ? { redisLimitBytes: options.redisCheckpointLimitBytes } : {}),
  });
  let finishedAll: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (finishedAll = resolve));

  const processor = async (job: Job): Promise<string> => {
    const { job: payload, config } = validateTrialJob(job.data, { dataDir: options.dataDir, executionProvider: options.executionProvider });
    if (options.threads !== undefined) config.threads = options.threads;
    let trainer = idle.pop();
    if (!trainer || !trainer.alive) {
      trainer = new Trainer();
      all.push(trainer);
    }
    const dir = mkdtempSync(join(tmpdir(), 'sgdlab-worker-'));
    let storePath = join(dir, 'runs.sqlite');
    const checkpointDir = join(dir, 'checkpoints');
    const identity: JobIdentity = { jobId: String(job.id), trialKey: payload.trialKey, jobDigest: jobDigest(payload) };
    const started = Date.now();
    log(`trial ${payload.trialKey} of sweep ${payload.sweepId} started (job ${job.id})`);
    try {
      // A job that another worker began (it died, or its trainer did) goes on from its last checkpoint.
      let resumeRunId: number | undefined;
      let firstStep = 1;
      const saved = await checkpoints.load(identity, (reason) => log(`trial ${payload.trialKey}: ignoring a checkpoint: ${reason}`));
      if (saved) {
        const { checkpoint, location } = saved;
        try {
          resumeRunId = restoreCheckpoint(checkpoint, storePath, checkpointDir, payload.sweepId, config);
          firstStep = checkpoint.step + 1;
          log(`trial ${payload.trialKey} resumes from the checkpoint at step ${checkpoint.step} (epoch ${checkpoint.epoch}) in ${location}, written by ${checkpoint.writer}`);
        } catch (e) {
          // Its history did not fit a run store: start over in a store that holds none of it.
          log(`trial ${payload.trialKey}: ignoring the checkpoint in ${location}: ${(e as Error).message.split('\n')[0]}`);
          storePath = join(dir, 'runs-from-scratch.sqlite');
        }
      }
      let unsaved = false;
      const onCheckpoint = async (written: { path: string; step: number; epoch: number }) => {
        try {
          const where = await checkpoints.save(captureCheckpoint(storePath, written, identity, name));
          if (where.location) log(`trial ${payload.trialKey} checkpoint at step ${written.step} (epoch ${written.epoch}) saved to ${where.location} (${(where.bytes / 2 ** 20).toFixed(1)} MB)`);
          else if (!unsaved) log(`trial ${payload.trialKey}: checkpoints stay on this machine: ${where.reason}`);
          unsaved ||= where.location === undefined;
        } catch (e) {
          log(`trial ${payload.trialKey}: checkpoint at step ${written.step} not saved: ${(e as Error).message.split('\n')[0]}`);
        }
      };
      let lastReport = 0;
      const request = { storePath, checkpointDir, sweepId: payload.sweepId, trialKey: payload.trialKey, config: config as unknown as Record<string, unknown>, ...(resumeRunId !== undefined ? { resumeRunId } : {}) };
      const outcome = await trainer.run(request, (step, totalSteps) => {
        if (Date.now() - lastReport < 1000) return;
        lastReport = Date.now();
        void job.updateProgress({ step, totalSteps }).catch(() => undefined);
      }, onCheckpoint);
      if (!trainer.alive) throw new Error(outcome.error ?? 'trainer process died');
      const store = RunStore.open(storePath);
      let result: TrialResult;
      let trained = '';
      try {
        const run = outcome.runId !== undefined ? store.getRun(outcome.runId) : undefined;
        const history = run ? store.metrics(run.id) : [];
        const status = run && run.status !== 'running' ? run.status : 'failed';
        result = {
          trialKey: payload.trialKey,
          status,
          ...(status === 'diverged' ? { divergedAtStep: run!.divergedAtStep ?? 0 } : {}),
          ...(status === 'failed' ? { error: run?.error ?? outcome.error ?? 'training failed' } : {}),
          final: run?.final ?? null,
          best: run?.best ?? null,
          history,
          seconds: trialSeconds(history, (Date.now() - started) / 1000),
          worker: name,
          provenance: run?.provenance ?? null,
        };
        // Which steps this worker trained, and a fingerprint of the final parameters and optimizer
        // state, so that a resumed trial can be checked against an uninterrupted run.
        const lastStep = result.history.at(-1)?.step;
        const digest = status === 'finished' && run?.checkpointPath ? `; tensors sha256 ${tensorDigest(run.checkpointPath)}` : '';
        if (lastStep !== undefined) trained = ` (steps ${firstStep}..${lastStep} trained here${digest})`;
      } finally {
        store.close();
      }
      idle.push(trainer);
      log(`trial ${payload.trialKey} ${result.status} in ${result.seconds.toFixed(1)}s${trained}`);
      return encodeResult(result);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      jobs++;
      if (options.maxJobs !== undefined && jobs >= options.maxJobs) finishedAll();
    }
  };

  const worker = new Worker(queueName, processor, {
    connection: connectionOptions(options.queue, true),
    concurrency,
    lockDuration: stall.lockDurationMs,
    stalledInterval: stall.stalledIntervalMs,
    maxStalledCount: stall.maxStalledCount,
    autorun: false,
  });
  let connectionError: unknown;
  worker.on('error', (e) => {
    if (!connectionError) log(`queue ${options.queue.display}: ${(e as { code?: string }).code ?? 'error'}; retrying`);
    connectionError = e;
  });
  // Only the worker holding the job's lock sees it complete: a stale worker never deletes a live checkpoint.
  worker.on('completed', (job) => void checkpoints.delete(String(job.id)).catch((e: Error) => log(`job ${job.id}: checkpoint not deleted: ${e.message}`)));
  worker.on('failed', (job, e) => log(`job ${job?.id ?? '?'} failed: ${e.message.split('\n')[0]}`));
  try {
    await worker.waitUntilReady();
  } catch (e) {
    throw connectionFailure(options.queue, e);
  }
  log(`worker ${name} takes trials from ${queueName} at ${options.queue.display} (lock ${stall.lockDurationMs} ms, stalled check every ${stall.stalledIntervalMs} ms)`);
  options.signal?.addEventListener('abort', () => finishedAll(), { once: true });
  void worker.run();
  await allDone;
  // Close without waiting for a running trial: its lock expires and another worker takes it.
  await worker.close(options.signal?.aborted === true);
  await Promise.all(all.map((t) => t.stop()));
  await checkpoints.close();
  return { jobs };
}
