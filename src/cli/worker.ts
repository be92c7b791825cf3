// `sgdlab worker --queue redis://HOST:PORT`: take sweep trials from a BullMQ queue, train them
// and hand the results back to the coordinator. Thin over src/sweep/queue.ts.

import { accessSync, constants, statSync } from 'node:fs';
import type { Command } from 'commander';
import { runQueueWorker, parseRedisUrl, DEFAULT_QUEUE_NAME, DEFAULT_STALL_SETTINGS, REDIS_CHECKPOINT_LIMIT } from '../sweep/index.ts';
import { UsageError } from './errors.ts';
import { checkExecutionProvider } from '../graph/index.ts';
import { printable } from '../util/printable.ts';
import { parseByteSize } from '../train/preflight.ts';

// Timers take at most 2^31 − 1 ms (longer ones fire at once); trainer processes are one per trial.
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_PROCESSES = 256;

function positiveInteger(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\s*\d{1,16}\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} ${value.slice(0, 40)}: must be an integer from 1 to ${max}`);
  return n;
}

/** The shared checkpoint directory must exist and be writable before any trial counts on it. */
function sharedDirectory(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`--checkpoint-dir ${dir}: not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--checkpoint-dir ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : 'not writable'}`);
  }
  return dir;
}

export function register(program: Command): void {
  program
    .command('worker')
    .option('--queue <url>', 'redis://[user:password@]HOST:PORT[/db] (default: $SGDLAB_QUEUE, which keeps a password out of ps and shell history)')
    .option('--queue-name <name>', `BullMQ queue name (default ${DEFAULT_QUEUE_NAME})`)
    .option('--concurrency <n>', 'trials trained at once, one process and one ORT thread each (default 1)')
    .option('--threads <n>', 'ONNX Runtime threads per trial (default: as the sweep spec says, 1 unless set)')
    .option('--execution-provider <name>', "ONNX Runtime execution provider for every trial here: cpu, cuda, … as this machine's runtime offers (default: as the sweep spec says, cpu unless set; docs/gpu.md)")
    .option('--data-dir <dir>', "this machine's directory with the Fashion-MNIST or CIFAR-10 files")
    .option('--lock-duration <ms>', `how long a job stays ours without a lock renewal (default ${DEFAULT_STALL_SETTINGS.lockDurationMs})`)
    .option('--stalled-interval <ms>', `how often to look for jobs of dead workers (default ${DEFAULT_STALL_SETTINGS.stalledIntervalMs})`)
    .option('--max-stalled <n>', `times a job may lose its worker before it fails (default ${DEFAULT_STALL_SETTINGS.maxStalledCount})`)
    .option('--max-jobs <n>', 'exit after this many trials')
    .option('--max-memory <size>', 'refuse jobs whose model, batch and data need more memory than this, e.g. 8G (default: $SGDLAB_MAX_MEMORY, else 80% of RAM)')
    .option('--checkpoint-dir <dir>', 'a directory all workers share (NFS, …) for trial checkpoints too big for Redis')
    .option('--checkpoint-redis-limit <MB>', `largest trial checkpoint kept in Redis, 0 to 512 (default ${REDIS_CHECKPOINT_LIMIT / 2 ** 20}; Redis values stop at 512)`)
    .action(async (opts: Record<string, string | undefined>) => {
      const url = opts.queue ?? process.env.SGDLAB_QUEUE;
      if (!url) throw new UsageError('worker: give --queue redis://HOST:PORT or set SGDLAB_QUEUE');
      const target = parseRedisUrl(url);
      if (opts.maxMemory !== undefined) {
        if (parseByteSize(opts.maxMemory) === undefined) throw new UsageError(`--max-memory ${opts.maxMemory.slice(0, 40)}: not a size (e.g. 8G, 512M or a number of bytes)`);
        process.env.SGDLAB_MAX_MEMORY = opts.maxMemory; // read by validateTrialJob and inherited by trainer processes
      }
      const lockDurationMs = positiveInteger(opts.lockDuration, '--lock-duration', MAX_TIMER_MS);
      const stalledIntervalMs = positiveInteger(opts.stalledInterval, '--stalled-interval', MAX_TIMER_MS);
      const maxStalledCount = positiveInteger(opts.maxStalled, '--max-stalled', 1000);
      const concurrency = positiveInteger(opts.concurrency, '--concurrency', MAX_PROCESSES);
      const threads = positiveInteger(opts.threads, '--threads', 1024);
      const maxJobs = positiveInteger(opts.maxJobs, '--max-jobs', Number.MAX_SAFE_INTEGER);
      const checkpointDir = sharedDirectory(opts.checkpointDir);
      // A provider this machine cannot open would fail every job it takes: refuse it before connecting.
      if (opts.executionProvider !== undefined) await checkExecutionProvider(opts.executionProvider);
      const redisLimitMb = opts.checkpointRedisLimit === undefined ? undefined : Number(opts.checkpointRedisLimit);
      if (redisLimitMb !== undefined && !(Number.isInteger(redisLimitMb) && redisLimitMb >= 0 && redisLimitMb <= 512)) {
        throw new UsageError(`--checkpoint-redis-limit ${opts.checkpointRedisLimit}: must be a whole number of MB from 0 to 512`);
      }
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const { jobs } = await runQueueWorker({
        queue: target,
        ...(opts.queueName ? { queueName: opts.queueName } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(threads !== undefined ? { threads } : {}),
        ...(opts.executionProvider !== undefined ? { executionProvider: opts.executionProvider } : {}),
        ...(maxJobs !== undefined ? { maxJobs } : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
        ...(checkpointDir !== undefined ? { checkpointDir } : {}),
        ...(redisLimitMb !== undefined ? { redisCheckpointLimitBytes: redisLimitMb * 2 ** 20 } : {}),
        stall: { ...(lockDurationMs !== undefined ? { lockDurationMs } : {}), ...(stalledIntervalMs !== undefined ? { stalledIntervalMs } : {}), ...(maxStalledCount !== undefined ? { maxStalledCount } : {}) },
        signal: abort.signal,
        onLog: (line) => process.stderr.write(`${printable(line)}\n`),
      });
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(`worker: ${jobs} trial${jobs === 1 ? '' : 's'} done\n`);
    });
}
