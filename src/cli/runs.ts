// `sgdlab runs list|show`: read the run store.

import type { Command } from 'commander';
import { DEFAULT_RUN_STORE_PATH, RunStore, type RunRecord } from '../store/index.ts';
import { count, num, pct, table } from './format.ts';
import { UsageError } from './errors.ts';
import { printable } from '../util/printable.ts';
import { describeValue } from '../util/describe.ts';
import { describeProvenance, type RunProvenance } from '../util/provenance.ts';

const cfg = (r: RunRecord) => (typeof r.config === 'object' && r.config !== null ? r.config : {}) as Record<string, unknown>;
// A store is a file: print its values without trusting their type.
const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : describeValue(v));
const numberOr = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/** Runs that `runs list` prints when no --limit or --all is given: a screenful, newest first. */
export const DEFAULT_LIST_LIMIT = 20;

function listLimit(text: string): number {
  const n = /^\s*\d{1,9}\s*$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1)) throw new UsageError(`runs list --limit ${text.slice(0, 40)}: must be a positive integer`);
  return n;
}

/** The optimizer a run's config names: plain SGD, or heavy-ball / Nesterov momentum with its β. */
export function optimizerLabel(c: Record<string, unknown>): string {
  const beta = typeof c.momentum === 'number' && c.momentum > 0 ? ` β=${num(c.momentum)}` : '';
  const name = typeof c.optimizer === 'string' ? c.optimizer : beta === '' ? 'sgd' : c.nesterov === true ? 'nesterov' : 'momentum';
  return `${name}${beta}`;
}

/** The training budget a run's config asked for: epochs, or updates when --steps was given. */
function budgetLabel(c: Record<string, unknown>): string {
  if (typeof c.steps === 'number') return `${c.steps} steps`;
  return text(c.epochs);
}

export function register(program: Command): void {
  const runs = program.command('runs');
  runs
    .command('list')
    .description(`one line per run, newest first: the latest ${DEFAULT_LIST_LIMIT} unless --limit or --all says otherwise`)
    .option('--store <path>', `run store (default ${DEFAULT_RUN_STORE_PATH})`)
    .option('--status <status>', 'only runs with this status (running, finished, diverged, failed)')
    .option('--limit <n>', `at most this many (default ${DEFAULT_LIST_LIMIT}; with --json: all, oldest first)`)
    .option('--all', 'every run')
    .option('--json', 'print JSON')
    .action((opts: { store?: string; status?: string; limit?: string; all?: boolean; json?: boolean }) => {
      if (opts.all && opts.limit !== undefined) throw new UsageError('runs list: --all and --limit exclude each other');
      const limit = opts.limit !== undefined ? listLimit(opts.limit) : opts.all || opts.json ? undefined : DEFAULT_LIST_LIMIT;
      const store = RunStore.open(opts.store ?? DEFAULT_RUN_STORE_PATH, { mustExist: true });
      try {
        // One row more than shown says whether older runs were left out.
        const list = store.listRuns({
          ...(opts.status ? { status: opts.status as RunRecord['status'] } : {}),
          ...(limit !== undefined ? { limit: limit + 1 } : {}),
          newestFirst: limit !== undefined || !opts.json,
        });
        const more = limit !== undefined && list.length > limit;
        if (more) list.pop();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(list)}\n`);
          return;
        }
        process.stdout.write(`${printable(table(
          ['id', 'status', 'model', 'data', 'B', 'ε', 'λ', 'optimizer', 'epochs', 'best test acc', 'final train acc', 'C_reg', 'created'],
          list.map((r) => [r.id, r.status, text(cfg(r).model), text(cfg(r).data), text(cfg(r).batch), num(numberOr(cfg(r).effectiveLr ?? cfg(r).lr)), num(numberOr(cfg(r).lambda)), optimizerLabel(cfg(r)), budgetLabel(cfg(r)), pct(r.best?.test_acc), pct(r.final?.train_acc), num(r.final?.c_reg), r.createdAt]),
        ), true)}\n`);
        if (more) process.stdout.write(`(the newest ${count(limit, 'run')}; --limit N or --all for more)\n`);
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
      const store = RunStore.open(opts.store ?? DEFAULT_RUN_STORE_PATH, { mustExist: true });
      try {
        const run = store.getRun(runId);
        const metrics = store.metrics(runId);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ...run, metrics })}\n`);
          return;
        }
        process.stdout.write(`run ${run.id} (${run.status}${run.divergedAtStep !== null ? ` at step ${run.divergedAtStep}` : ''})  created ${run.createdAt}\n`);
        process.stdout.write(`config ${printable(JSON.stringify(run.config))}\n`);
        process.stdout.write(`${printable(provenanceLines(run.provenance).join('\n'), true)}\n`);
        if (run.checkpointPath) process.stdout.write(`checkpoint ${printable(run.checkpointPath)}\n`);
        if (run.error) process.stdout.write(`error ${printable(run.error)}\n`);
        process.stdout.write(`${printable(table(
          ['epoch', 'step', 'train loss', 'train acc', 'test loss', 'test acc', 'C_reg', '||∇C||²', 'Γ', '||w||'],
          metrics.map((m) => [m.epoch, m.step, num(m.train_loss), pct(m.train_acc), num(m.test_loss), pct(m.test_acc), num(m.c_reg), num(m.grad_norm_sq), num(m.gamma), num(m.weight_norm)]),
        ), true)}\n`);
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
