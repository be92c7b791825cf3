// A handle on one trainer child process (trainer-process.ts): start it, give it trials one at a
// time, learn how each ended, and notice when the process dies under a trial.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FinalRunStatus } from '../store/index.ts';

export interface TrainerRequest {
  storePath: string;
  /** Where checkpoints go; none when absent (queue workers train into a throwaway store). */
  checkpointDir?: string;
  sweepId: string;
  trialKey: string;
  config: Record<string, unknown>;
  resumeRunId?: number;
  /** Tests: stop after this many epochs, as if killed. */
  stopAfterEpochs?: number;
  /** Report each checkpoint and wait for 'checkpoint-saved' before training on (queue workers copy it off the machine). */
  reportCheckpoints?: boolean;
}

export interface CheckpointWritten {
  path: string;
  step: number;
  epoch: number;
}

/** What a parent sends its trainer: a trial to train, or the go-ahead after a reported checkpoint. */
export type TrainerCommand = TrainerRequest | { type: 'checkpoint-saved' };

export type TrainerReply =
  | { type: 'ready' }
  | { type: 'progress'; step: number; totalSteps: number }
  | ({ type: 'checkpoint' } & CheckpointWritten)
  | { type: 'done'; runId?: number; status: FinalRunStatus | 'stopped'; error?: string };

export interface TrialOutcome {
  runId?: number;
  status: FinalRunStatus | 'stopped';
  error?: string;
}

/**
 * A child entry of this folder (trainer-process, worker-process) in the form this module runs in:
 * compiled JavaScript under dist/, TypeScript sources under src/.
 */
export const sweepEntry = (name: string): URL => new URL(`./${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** Node options for a child: this process's own, plus the tsx loader when the child is TypeScript. */
export function childExecArgv(entry: URL): string[] {
  const argv = process.execArgv.filter((a) => !a.startsWith('--test') && !a.startsWith('--inspect'));
  if (!entry.pathname.endsWith('.ts')) return argv;
  const hasLoader = argv.some((a, i) => a.includes('tsx') && (a.startsWith('--import') || argv[i - 1] === '--import'));
  return hasLoader ? argv : [...argv, '--import', import.meta.resolve('tsx')];
}

/**
 * A child's environment with glibc's huge-page malloc, as bin/sgdlab sets it for the command (docs/benchmarks.md):
 * glibc reads GLIBC_TUNABLES only at start-up, so a trainer forked by `node bin/sgdlab.js` or by library code would
 * otherwise fault each call's fresh parameter memory in 4 KiB pages. A hugetlb the caller set is kept as it is.
 */
export function withHugePageMalloc(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const tunables = env.GLIBC_TUNABLES ?? '';
  if (/(^|:)glibc\.malloc\.hugetlb=/.test(tunables)) return env;
  return { ...env, GLIBC_TUNABLES: tunables === '' ? 'glibc.malloc.hugetlb=1' : `${tunables}:glibc.malloc.hugetlb=1` };
}

/** Fork an entry of this package with an IPC channel; output goes to this process's stderr. */
export function forkEntry(entry: URL, args: string[] = [], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return fork(fileURLToPath(entry), args, { execArgv: childExecArgv(entry), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: withHugePageMalloc(env) });
}

export class Trainer {
  private child: ChildProcess;
  private pending?: { resolve: (o: TrialOutcome) => void; onProgress?: (step: number, totalSteps: number) => void; onCheckpoint?: (c: CheckpointWritten) => Promise<void> };
  private exited = false;

  constructor() {
    this.child = forkEntry(sweepEntry('trainer-process'));
    this.child.on('message', (message: TrainerReply) => {
      if (message.type === 'progress') this.pending?.onProgress?.(message.step, message.totalSteps);
      else if (message.type === 'checkpoint') void this.checkpointWritten(message);
      else if (message.type === 'done') this.settle({ ...(message.runId !== undefined ? { runId: message.runId } : {}), status: message.status, ...(message.error ? { error: message.error } : {}) });
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.settle({ status: 'failed', error: `trainer process exited (${signal ?? `code ${code}`}) during the trial` });
    });
    // A trainer that cannot be spawned reports through 'exit' as well; nothing to add here.
    this.child.on('error', () => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Train one trial; resolves with how it ended (also when the process dies under it). */
  run(request: TrainerRequest, onProgress?: (step: number, totalSteps: number) => void, onCheckpoint?: (c: CheckpointWritten) => Promise<void>): Promise<TrialOutcome> {
    if (this.pending) throw new Error('trainer is busy');
    if (this.exited) return Promise.resolve({ status: 'failed', error: 'trainer process is not running' });
    return new Promise((resolve) => {
      this.pending = { resolve, ...(onProgress ? { onProgress } : {}), ...(onCheckpoint ? { onCheckpoint } : {}) };
      this.child.send({ ...request, reportCheckpoints: onCheckpoint !== undefined } satisfies TrainerCommand);
    });
  }

  /** The trainer waits while the handler runs (the file must not change under it); it goes on either way. */
  private async checkpointWritten(c: CheckpointWritten): Promise<void> {
    try {
      await this.pending?.onCheckpoint?.({ path: c.path, step: c.step, epoch: c.epoch });
    } finally {
      if (this.child.connected) this.child.send({ type: 'checkpoint-saved' } satisfies TrainerCommand);
    }
  }

  /** Stop the process: close the channel (it exits at its next step) and make sure with a signal. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    this.child.kill(signal);
    await exited;
  }

  private settle(outcome: TrialOutcome): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(outcome);
  }
}
