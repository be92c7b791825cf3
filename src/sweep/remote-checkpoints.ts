// A queue trial's checkpoints where every worker can reach them, so that a job taken over after its
// worker died (BullMQ's stalled-job check) resumes from the last checkpoint instead of step 0.
//
// Where: in Redis by default, since every worker already reaches it and the paper's largest run
// (3×4096 MLP with momentum: 2 × 147 MB) fits a Redis value (512 MB); checkpoints above
// REDIS_CHECKPOINT_LIMIT go to a shared directory (`sgdlab worker --checkpoint-dir`) when given.
//
// What: one envelope per job: the checkpoint's safetensors bytes (parameters, optimizer state), what
// the resume path reads from the run store (the metric history up to the checkpoint; step, epoch),
// and the job it belongs to. Samplers draw an epoch's order from (seed, epoch) alone: no sampler state.
// Writes are atomic (temporary key or file, then RENAME), never replace a later step, and hold no
// credentials; what is read back crossed a machine boundary and is validated like user input.

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RunStore, decodeSafetensors, readSafetensors, type MetricRecord, type MetricValues } from '../store/index.ts';
import { effectiveLearningRate, type TrainConfig } from '../train/index.ts';
import { QueueError } from './trial-result.ts';
import type { RedisTarget } from './redis-url.ts';

/** Largest envelope kept in Redis: below its 512 MB value limit (proto-max-bulk-len) with room to spare. */
export const REDIS_CHECKPOINT_LIMIT = 400 * 2 ** 20;
/** Largest value Redis holds; what a reader accepts, whatever limit the writer had. */
const REDIS_VALUE_MAX = 512 * 2 ** 20;

const MAGIC = Buffer.from('SGDLCKP1', 'latin1');
const MAX_META_BYTES = 64 * 2 ** 20;
const MAX_HISTORY = 100_000;
/** jobIdFor's shape: a sweep id, a dot, 24 hex digits. Checked before it names a key or a file. */
const JOB_ID_PATTERN = /^[a-z0-9-]{1,80}\.[0-9a-f]{24}$/;
const NON_FINITE = new Map<string, number>([['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]]);

/** Which job a checkpoint belongs to: a checkpoint of another job, or of another config under the same id, is refused. */
export interface JobIdentity {
  jobId: string;
  trialKey: string;
  /** sha256 of the job's payload (sweep id, trial key, config). */
  jobDigest: string;
}

export interface TrialCheckpoint extends JobIdentity {
  step: number;
  epoch: number;
  /** The run's metric rows up to and including the checkpoint's own evaluation. */
  history: MetricRecord[];
  /** Safetensors bytes: parameters and, under "opt.", the optimizer state. */
  tensors: Uint8Array;
  /** hostname:pid of the worker that wrote it (for logs). */
  writer: string;
}

export function jobDigest(payload: { sweepId: string; trialKey: string; config: Record<string, unknown> }): string {
  return createHash('sha256').update(JSON.stringify({ sweepId: payload.sweepId, trialKey: payload.trialKey, config: payload.config })).digest('hex');
}

function checkJobId(jobId: string): string {
  if (!JOB_ID_PATTERN.test(jobId)) throw new QueueError(`checkpoint: job id '${jobId.slice(0, 100).replace(/[^\x20-\x7e]/g, '?')}' is not a trial job id`);
  return jobId;
}

export function redisCheckpointKey(queueName: string, jobId: string): string {
  return `sgdlab:${queueName}:checkpoint:${checkJobId(jobId)}`;
}

// ---------------------------------------------------------------------------------------------
// The envelope: MAGIC, u32 LE length of the meta JSON, meta JSON, safetensors bytes.

export function encodeTrialCheckpoint(c: TrialCheckpoint): Buffer {
  const meta = {
    jobId: c.jobId,
    trialKey: c.trialKey,
    jobDigest: c.jobDigest,
    step: c.step,
    epoch: c.epoch,
    writer: c.writer,
    tensorsSha256: createHash('sha256').update(c.tensors).digest('hex'),
    history: c.history,
  };
  const json = Buffer.from(JSON.stringify(meta, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.byteLength);
  return Buffer.concat([MAGIC, length, json, c.tensors]);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Decode and check an envelope read from `source`; every problem is one line naming it. */
export function decodeTrialCheckpoint(bytes: Uint8Array, expected: JobIdentity, source: string): TrialCheckpoint {
  const fail = (why: string): never => {
    throw new QueueError(`${source}: ${why}`);
  };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.byteLength < MAGIC.byteLength + 4 || !buffer.subarray(0, MAGIC.byteLength).equals(MAGIC)) fail('not an sgdlab trial checkpoint');
  const metaLength = buffer.readUInt32LE(MAGIC.byteLength);
  const metaStart = MAGIC.byteLength + 4;
  if (metaLength > MAX_META_BYTES || metaStart + metaLength > buffer.byteLength) fail(`meta length ${metaLength} does not fit`);
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(metaStart, metaStart + metaLength)));
  } catch {
    fail('meta is not UTF-8 JSON');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) fail('meta is not an object');
  const m = meta as Record<string, unknown>;
  if (m.jobId !== expected.jobId) fail('belongs to another job');
  if (m.trialKey !== expected.trialKey || m.jobDigest !== expected.jobDigest) fail('belongs to another trial or config under this job id');
  if (!isCount(m.step) || !isCount(m.epoch)) fail('step and epoch must be non-negative integers');
  const step = m.step as number;
  const epoch = m.epoch as number;
  const tensors = buffer.subarray(metaStart + metaLength);
  if (typeof m.tensorsSha256 !== 'string' || createHash('sha256').update(tensors).digest('hex') !== m.tensorsSha256) fail('tensor bytes do not match their checksum');
  const history = decodeHistory(m.history, step, fail);
  // The safetensors bytes themselves: well-formed, and for the same point of training.
  let metadata: Record<string, string>;
  try {
    metadata = decodeSafetensors(tensors, source).metadata;
  } catch (e) {
    return fail(`checkpoint bytes: ${(e as Error).message.replace(`${source}: `, '')}`);
  }
  if (metadata.step !== String(step) || metadata.epoch !== String(epoch)) fail(`the checkpoint's own step/epoch (${metadata.step}/${metadata.epoch}) differ from the envelope's (${step}/${epoch})`);
  const writer = typeof m.writer === 'string' && /^[\w.:-]{1,100}$/.test(m.writer) ? m.writer : 'unknown';
  return { ...expected, step, epoch, history, tensors, writer };
}

function decodeHistory(raw: unknown, step: number, fail: (why: string) => never): MetricRecord[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_HISTORY) fail(`history is not a list of 1 to ${MAX_HISTORY} rows`);
  let lastStep = -1;
  const rows = (raw as unknown[]).map((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) fail(`history[${i}] is not an object`);
    const values: MetricValues = {};
    for (const [name, value] of Object.entries(row as Record<string, unknown>)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) fail(`history[${i}]: '${name.slice(0, 40)}' is not a metric name`);
      const n = typeof value === 'number' ? value : typeof value === 'string' ? NON_FINITE.get(value) : undefined;
      if (n === undefined) fail(`history[${i}]: metric '${name}' is not a number`);
      values[name] = n!;
    }
    const s = values.step;
    if (!isCount(s) || s <= lastStep || s > step) fail(`history[${i}].step must increase and not pass the checkpoint's step ${step}`);
    if (values.epoch === undefined || !Number.isFinite(values.epoch) || values.epoch < 0) fail(`history[${i}].epoch must be a non-negative number`);
    lastStep = s!;
    return values as MetricRecord;
  });
  // The resume path takes the last row as the run's latest evaluation: the checkpoint's own.
  if (lastStep !== step) fail(`history ends at step ${lastStep}, not at the checkpoint's step ${step}`);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Between a worker's throwaway run store and an envelope.

/** The checkpoint a trainer just wrote, with the history train() recorded up to it. */
export function captureCheckpoint(storePath: string, written: { path: string; step: number; epoch: number }, job: JobIdentity, writer: string): TrialCheckpoint {
  const tensors = readFileSync(written.path);
  const store = RunStore.open(storePath);
  try {
    const run = store.listRuns().find((r) => r.trialKey === job.trialKey);
    if (!run) throw new QueueError(`checkpoint of ${job.trialKey}: no run in ${storePath}`);
    const history = store.metrics(run.id).filter((row) => row.step <= written.step);
    return { ...job, step: written.step, epoch: written.epoch, history, tensors, writer };
  } finally {
    store.close();
  }
}

/**
 * Put a checkpoint from another worker into this worker's fresh run store, as train() would have
 * left it at that checkpoint; returns the run id to resume (TrainOptions.resumeRunId).
 */
export function restoreCheckpoint(c: TrialCheckpoint, storePath: string, checkpointDir: string, sweepId: string, config: TrainConfig): number {
  const store = RunStore.open(storePath);
  try {
    const runId = store.createRun({
      config: { ...config, effectiveLr: effectiveLearningRate(config) },
      seed: config.seed,
      name: `${config.model} ${config.data} lr=${config.lr} λ=${config.lambda}`,
      sweepId,
      trialKey: c.trialKey,
    });
    for (const row of c.history) store.appendMetrics(runId, row);
    const path = `${checkpointDir}/run-${runId}.safetensors`;
    mkdirSync(checkpointDir, { recursive: true });
    writeFileSync(path, c.tensors);
    store.setCheckpoint(runId, path);
    return runId;
  } finally {
    store.close();
  }
}

/** sha256 over a checkpoint's tensors (names, dtypes, shapes, bytes), not its metadata (which holds timings). */
export function tensorDigest(path: string): string {
  const { tensors } = readSafetensors(path);
  const hash = createHash('sha256');
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name]!;
    hash.update(`${name}\0${t.dtype}\0${t.shape.join(',')}\0`);
    hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Where envelopes live.

/** Rename the temporary key over the checkpoint unless the checkpoint there is of a later step (a stale worker). */
const RENAME_UNLESS_LATER = `
local current = redis.call('HGET', KEYS[2], 'step')
if current and tonumber(current) > tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('PERSIST', KEYS[2])
return 1
`;

/** A temporary key outlives a writer killed mid-write by at most this long. */
const TEMPORARY_TTL_MS = 10 * 60_000;

export interface RemoteCheckpointOptions {
  redis: RedisTarget;
  queueName: string;
  /** A directory every worker mounts; takes the checkpoints too big for Redis. */
  directory?: string;
  redisLimitBytes?: number;
}

export type CheckpointLocation = 'redis' | 'directory';

export class RemoteCheckpoints {
  private readonly client: Redis;
  private readonly limit: number;

  constructor(private readonly options: RemoteCheckpointOptions) {
    this.client = new Redis({ ...options.redis.connection, maxRetriesPerRequest: 3, lazyConnect: true });
    // Connection trouble shows up as failed commands, which the caller reports; no unhandled 'error' events.
    this.client.on('error', () => undefined);
    this.limit = options.redisLimitBytes ?? REDIS_CHECKPOINT_LIMIT;
  }

  /** Store a checkpoint; returns where it went, or undefined (with the reason) when it fits nowhere. */
  async save(c: TrialCheckpoint): Promise<{ location?: CheckpointLocation; bytes: number; reason?: string }> {
    const envelope = encodeTrialCheckpoint(c);
    if (envelope.byteLength <= this.limit) {
      const key = redisCheckpointKey(this.options.queueName, c.jobId);
      const temporary = `${key}:tmp:${randomBytes(8).toString('hex')}`;
      // A transaction's command errors (e.g. Redis at maxmemory) come back as values, not as a rejection.
      const replies = await this.client.multi().hset(temporary, 'step', String(c.step), 'envelope', envelope).pexpire(temporary, TEMPORARY_TTL_MS).exec();
      const failed = replies === null ? new Error('transaction aborted') : replies.find(([error]) => error)?.[0];
      if (failed) {
        await this.client.del(temporary).catch(() => undefined);
        throw failed;
      }
      await this.client.eval(RENAME_UNLESS_LATER, 2, temporary, key, String(c.step));
      return { location: 'redis', bytes: envelope.byteLength };
    }
    if (this.options.directory) {
      writeEnvelopeFile(this.filePath(c.jobId), envelope, c.step);
      return { location: 'directory', bytes: envelope.byteLength };
    }
    return { bytes: envelope.byteLength, reason: `${mb(envelope.byteLength)} exceeds the ${mb(this.limit)} Redis limit and this worker has no --checkpoint-dir` };
  }

  /**
   * The latest checkpoint of a job (Redis and the shared directory both looked at), or undefined.
   * One that fails validation is skipped, and reported through `onRejected`.
   */
  async load(job: JobIdentity, onRejected: (reason: string) => void): Promise<{ checkpoint: TrialCheckpoint; location: CheckpointLocation } | undefined> {
    const found: { checkpoint: TrialCheckpoint; location: CheckpointLocation }[] = [];
    const key = redisCheckpointKey(this.options.queueName, job.jobId);
    try {
      const size = await this.client.hstrlen(key, 'envelope');
      if (size > REDIS_VALUE_MAX) onRejected(`redis ${key}: ${mb(size)} exceeds the ${mb(REDIS_VALUE_MAX)} a Redis value can hold`);
      else if (size > 0) {
        const bytes = await this.client.hgetBuffer(key, 'envelope');
        if (bytes) found.push({ checkpoint: decodeTrialCheckpoint(bytes, job, `redis ${key}`), location: 'redis' });
      }
    } catch (e) {
      onRejected((e as Error).message);
    }
    if (this.options.directory) {
      const path = this.filePath(job.jobId);
      try {
        if (fileExists(path)) found.push({ checkpoint: decodeTrialCheckpoint(readFileSync(path), job, path), location: 'directory' });
      } catch (e) {
        onRejected((e as Error).message);
      }
    }
    return found.sort((a, b) => b.checkpoint.step - a.checkpoint.step)[0];
  }

  /** Forget a job's checkpoints (its trial ended). */
  async delete(jobId: string): Promise<void> {
    await this.client.del(redisCheckpointKey(this.options.queueName, jobId));
    if (this.options.directory) rmSync(this.filePath(jobId), { force: true });
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private filePath(jobId: string): string {
    return join(this.options.directory!, `${checkJobId(jobId)}.sgdlab-checkpoint`);
  }
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The step recorded in an envelope file, reading only its head; undefined when it has none. */
function stepOfFile(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(MAGIC.byteLength + 4);
    if (readSync(fd, head, 0, head.byteLength, 0) !== head.byteLength || !head.subarray(0, MAGIC.byteLength).equals(MAGIC)) return undefined;
    const length = Math.min(head.readUInt32LE(MAGIC.byteLength), MAX_META_BYTES);
    const meta = Buffer.alloc(length);
    readSync(fd, meta, 0, length, head.byteLength);
    const step = (JSON.parse(meta.toString('utf8')) as { step?: unknown }).step;
    return isCount(step) ? step : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Temporary file in the same directory, flushed, renamed over the old one unless that one is of a later step. */
function writeEnvelopeFile(path: string, envelope: Buffer, step: number): void {
  const existing = stepOfFile(path);
  if (existing !== undefined && existing > step) return;
  mkdirSync(join(path, '..'), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'wx');
    try {
      let written = 0;
      while (written < envelope.byteLength) written += writeSync(fd, envelope, written, envelope.byteLength - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw e;
  }
}
