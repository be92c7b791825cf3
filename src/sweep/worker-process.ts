// Entry of a queue worker started by a coordinator (`sweep run --queue --workers K`): the same
// worker as `sgdlab worker`, configured through the environment so no password shows in ps.

import { runQueueWorker, type StallSettings } from './queue.ts';
import type { RedisTarget } from './redis-url.ts';

const target = JSON.parse(process.env.SGDLAB_WORKER_CONNECTION ?? 'null') as RedisTarget | null;
const settings = JSON.parse(process.env.SGDLAB_WORKER_SETTINGS ?? '{}') as { queueName?: string; stall?: Partial<StallSettings> };
if (!target) throw new Error('worker-process: SGDLAB_WORKER_CONNECTION is not set');
delete process.env.SGDLAB_WORKER_CONNECTION;

const abort = new AbortController();
process.once('SIGTERM', () => abort.abort());
process.once('SIGINT', () => abort.abort());
await runQueueWorker({ queue: target, ...(settings.queueName ? { queueName: settings.queueName } : {}), ...(settings.stall ? { stall: settings.stall } : {}), signal: abort.signal, onLog: (line) => process.stderr.write(`worker ${process.pid}: ${line}\n`) });
process.exit(0);
