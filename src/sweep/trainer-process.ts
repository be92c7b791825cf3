// Entry of a trainer child process: trains one trial at a time, as its parent (a local sweep or a
// queue worker) asks over IPC, into the run store the parent names. One ONNX Runtime per process.
//
// Training runs here and not in the parent because session.run blocks the event loop for a whole
// K-step call: the parent must stay free to renew BullMQ job locks and redraw progress. When the
// parent dies (even by SIGKILL) the IPC channel closes and this process exits at its next chance,
// so an orphan never keeps writing to a run that another process is about to resume.

import { resolveConfig, train } from '../train/index.ts';
import { RunStore } from '../store/index.ts';
import type { TrainerCommand, TrainerReply, TrainerRequest } from './trainer.ts';

let store: RunStore | undefined;
/** Resolves the checkpoint the parent is copying (reportCheckpoints), when it says it is done. */
let checkpointSaved: (() => void) | undefined;
let storePath: string | undefined;

function send(message: TrainerReply): void {
  if (process.connected) process.send!(message);
}

function leaveIfOrphaned(): void {
  if (!process.connected) process.exit(1);
}

function openStore(path: string): RunStore {
  if (store && storePath === path) return store;
  store?.close();
  store = RunStore.open(path);
  storePath = path;
  return store;
}

function describe(error: unknown): string {
  const message = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  return message.split('\n')[0]!.slice(0, 500) || 'unknown error';
}

async function runTrial(request: TrainerRequest): Promise<void> {
  const runStore = openStore(request.storePath);
  try {
    // The parent validated the config already; validating again costs nothing and keeps this
    // entry safe to reuse with any parent.
    const config = resolveConfig(request.config, `trial ${request.trialKey}`);
    const result = await train(config, {
      store: runStore,
      sweep: { id: request.sweepId, trialKey: request.trialKey },
      ...(request.resumeRunId !== undefined ? { resumeRunId: request.resumeRunId } : {}),
      ...(request.checkpointDir !== undefined ? { checkpointDir: request.checkpointDir } : {}),
      onProgress: (p) => {
        leaveIfOrphaned();
        send({ type: 'progress', step: p.step, totalSteps: p.totalSteps });
      },
      ...(request.stopAfterEpochs !== undefined ? { stopAfterEpochs: request.stopAfterEpochs } : {}),
      ...(request.reportCheckpoints
        ? {
            onCheckpoint: (c: { path: string; step: number; epoch: number }) =>
              new Promise<void>((resolve) => {
                leaveIfOrphaned();
                checkpointSaved = resolve;
                send({ type: 'checkpoint', path: c.path, step: c.step, epoch: c.epoch });
              }),
          }
        : {}),
    });
    send({ type: 'done', runId: result.runId!, status: result.status === 'stopped' ? 'stopped' : result.status });
  } catch (error) {
    // train() may have created (or reopened) the run before failing: record how it ended, so the
    // sweep moves on and a later `sweep run` retries it.
    const message = describe(error);
    let runId: number | undefined;
    try {
      const run = runStore.listRuns({ sweepId: request.sweepId }).find((r) => r.trialKey === request.trialKey);
      if (run) {
        runId = run.id;
        if (run.status === 'running') runStore.finishRun(run.id, { status: 'failed', error: message });
      }
    } catch {
      // The store itself is the problem; the parent reports the message.
    }
    send({ type: 'done', ...(runId !== undefined ? { runId } : {}), status: 'failed', error: message });
  }
}

let busy = Promise.resolve();
process.on('message', (message: TrainerCommand) => {
  if ('type' in message) {
    const resolve = checkpointSaved;
    checkpointSaved = undefined;
    resolve?.();
    return;
  }
  busy = busy.then(() => runTrial(message));
});
process.on('disconnect', () => process.exit(1));
send({ type: 'ready' });
