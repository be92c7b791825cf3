// `sgdlab runs list|show`: read the run store.

import type { Command } from 'commander';
import { DEFAULT_RUN_STORE_PATH, type RunRecord } from '../store/index.ts';
import { openStore } from './train.ts';
import { num, pct, table } from './format.ts';
import { UsageError } from './errors.ts';
import { describeProvenance, type RunProvenance } from '../util/provenance.ts';

const cfg = (r: RunRecord) => r.config as Record<string, unknown>;

export function register(program: Command): void {
  const runs = program.command('runs').description('list and inspect recorded runs');
  runs
    .command('list')
    .description('one line per run')
    .option('--store <path>', `run store (default ${DEFAULT_RUN_STORE_PATH})`)
    .option('--status <status>', 'only runs with this status (running, finished, diverged, failed)')
    .option('--limit <n>', 'at most this many, newest first')
    .option('--json', 'print JSON')
    .action((opts: { store?: string; status?: string; limit?: string; json?: boolean }) => {
      const store = openStore(opts.store);
      try {
        const list = store.listRuns({
          ...(opts.status ? { status: opts.status as RunRecord['status'] } : {}),
          ...(opts.limit ? { limit: Number(opts.limit), newestFirst: true } : {}),
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(list)}\n`);
          return;
        }
        process.stdout.write(`${table(
          ['id', 'status', 'model', 'data', 'B', 'ε', 'λ', 'best test acc', 'final train acc', 'C_reg', 'created'],
          list.map((r) => [r.id, r.status, String(cfg(r).model), String(cfg(r).data), String(cfg(r).batch), num(Number(cfg(r).effectiveLr ?? cfg(r).lr)), num(Number(cfg(r).lambda)), pct(r.best?.test_acc), pct(r.final?.train_acc), num(r.final?.c_reg), r.createdAt]),
        )}\n`);
      } finally {
        store.close();
      }
    });
  runs
    .command('show <id>')
    .description('a run: config, status, metrics history')
    .option('--store <path>', `run store (default ${DEFAULT_RUN_STORE_PATH})`)
    .option('--json', 'print JSON')
    .action((id: string, opts: { store?: string; json?: boolean }) => {
      const runId = Number(id);
      if (!Number.isInteger(runId)) throw new UsageError(`runs show ${id}: not a run id`);
      const store = openStore(opts.store);
      try {
        const run = store.getRun(runId);
        const metrics = store.metrics(runId);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ...run, metrics })}\n`);
          return;
        }
        process.stdout.write(`run ${run.id} (${run.status}${run.divergedAtStep !== null ? ` at step ${run.divergedAtStep}` : ''})  created ${run.createdAt}\n`);
        process.stdout.write(`config ${JSON.stringify(run.config)}\n`);
        process.stdout.write(`${provenanceLines(run.provenance).join('\n')}\n`);
        if (run.checkpointPath) process.stdout.write(`checkpoint ${run.checkpointPath}\n`);
        if (run.error) process.stdout.write(`error ${run.error}\n`);
        process.stdout.write(`${table(
          ['epoch', 'step', 'train loss', 'train acc', 'test loss', 'test acc', 'C_reg', '||∇C||²', 'Γ', '||w||'],
          metrics.map((m) => [m.epoch, m.step, num(m.train_loss), pct(m.train_acc), num(m.test_loss), pct(m.test_acc), num(m.c_reg), num(m.grad_norm_sq), num(m.gamma), num(m.weight_norm)]),
        )}\n`);
      } finally {
        store.close();
      }
    });
}

/** A run's provenance as `runs show` prints it: the creating process, then any that resumed it. */
export function provenanceLines(recorded: Record<string, unknown> | null): string[] {
  if (recorded === null) return ['provenance not recorded (a run from before sgdlab recorded it)'];
  const { resumedBy, ...own } = recorded as Record<string, unknown> & { resumedBy?: unknown[] };
  const lines = Object.keys(own).length > 0 ? describeProvenance(own as unknown as RunProvenance).map((l) => `  ${l}`) : ['  not recorded'];
  const out = ['provenance', ...lines];
  for (const p of Array.isArray(resumedBy) ? resumedBy : []) out.push('resumed by', ...describeProvenance(p as RunProvenance).map((l) => `  ${l}`));
  return out;
}
