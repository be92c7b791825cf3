// `sgdlab sweep run|show|list`: run a sweep spec locally or through a BullMQ queue, and print the
// aggregated table. Thin over src/sweep.

import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_RUN_STORE_PATH, RunStore, storeInputs } from '../store/index.ts';
import {
  loadSweepSpec,
  runLocalSweep,
  runQueueSweep,
  summarizeSweep,
  summaryTable,
  parseRedisUrl,
  DEFAULT_QUEUE_NAME,
  SweepProgress,
  SpecError,
  type Sweep,
  type SweepBudget,
  type Trial,
  type SweepEvent,
  type SweepRunReport,
  readResultsFile,
  importResults,
  exportSweepResults,
  sweepFromStoredSpec,
  withBudget,
} from '../sweep/index.ts';
import { ProgressLine } from './format.ts';
import { CommandStopped, UsageError, isUserError } from './errors.ts';
import { DataError, SYSTEM_DATA_DIRS, locateDataDir, type FileDataset } from '../data/index.ts';
import { printable } from '../util/printable.ts';
import { checkTrainingFits } from '../train/preflight.ts';
import { checkOutputPaths } from '../util/output-path.ts';

/** A results file is appended to: it must be writable and must not be the spec or the store. */
function checkResultsTarget(results: string, specPath: string, storePath: string): void {
  checkOutputPaths([{ flag: '--results', path: results, kind: 'file' }], [{ flag: 'spec', path: specPath }, ...storeInputs(storePath)]);
}
import { experimentFromRuns, sweepVerdicts, verdictLine } from '../analysis/index.ts';

/** Trainer processes on this machine: one per trial at a time. */
const MAX_WORKERS = 256;

function positiveInteger(value: string, flag: string, max: number): number {
  const n = /^\s*\d{1,16}\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} ${value.slice(0, 40)}: must be an integer from 1 to ${max}`);
  return n;
}

/** The budget flags as commander hands them over. */
export interface BudgetFlags {
  epochs?: string;
  seeds?: string;
}

/**
 * --epochs and --seeds, on every command that reads a spec file (sweep run|show|import|export, report):
 * a quick pass is a sweep of its own, and the commands that read it back name it with the same flags.
 */
export function addBudgetOptions(command: Command): Command {
  return command
    .option('--epochs <E>', "train every trial E epochs instead of the spec's budget (epochs or steps): a sweep of its own, with its own id, never mixed with the spec's full sweep; show, export and report it with the same flags")
    .option('--seeds <K>', "only the spec's first K seeds (scored as the best min(best, K) of K): like --epochs, a sweep of its own");
}

/** The budget flags checked: positive integers (the spec decides what more --seeds may be). */
export function parseBudget(flags: BudgetFlags): SweepBudget {
  return {
    ...(flags.epochs !== undefined ? { epochs: positiveInteger(flags.epochs, '--epochs', 1_000_000) } : {}),
    ...(flags.seeds !== undefined ? { seeds: positiveInteger(flags.seeds, '--seeds', 100_000) } : {}),
  };
}

/** A spec file's sweep with the budget flags applied (flags checked before the file is read). */
export function loadBudgetedSweep(specPath: string, flags: BudgetFlags): Sweep {
  const budget = parseBudget(flags);
  return withBudget(loadSweepSpec(specPath), budget, specPath);
}

/** A sweep id names one stored sweep, budget and all: budget flags there are a mistake, not ignored. */
export function refuseBudgetForId(id: string, flags: BudgetFlags): void {
  const given = flags.epochs !== undefined ? '--epochs' : flags.seeds !== undefined ? '--seeds' : undefined;
  if (given !== undefined) throw new UsageError(`${given}: ${id} is a sweep id, whose budget is fixed; give the spec file to pick a budget`);
}

/**
 * A trial that runs here must fit this machine and find its data, as `sgdlab train` requires before
 * it starts: a missing data folder is bad input (exit 2), not a sweep of failed trials. Where the
 * data is looked up once per (data set, folder); the files themselves are read by each trial.
 */
function checkTrial(trial: Trial, specPath: string, dataFound: Set<string>): void {
  try {
    checkTrainingFits(trial.config);
    const { data, dataDir } = trial.config;
    const where = `${data}\0${dataDir ?? ''}`;
    if (dataFound.has(where)) return;
    if (dataDir !== undefined && !statSync(dataDir, { throwIfNoEntry: false })?.isDirectory()) throw new DataError(`${data}: directory ${dataDir} does not exist`);
    else if (Object.hasOwn(SYSTEM_DATA_DIRS, data)) locateDataDir(data as FileDataset);
    dataFound.add(where);
  } catch (e) {
    if (!isUserError(e)) throw e;
    throw new SpecError(`${specPath}: trial ${trial.key}: ${e.message}`);
  }
}

/** Progress on stderr: finished trials as lines, and on a TTY a redrawn status line under them. */
function progressPrinter(json: boolean, metric: string): (event: SweepEvent) => void {
  const progress = new SweepProgress();
  const status = new ProgressLine(process.stderr, 1000);
  const tty = process.stderr.isTTY === true;
  return (event) => {
    progress.apply(event);
    if (json) return;
    if (event.type === 'planned') {
      process.stderr.write(`${event.total} trials: ${event.alreadyDone} done before, ${event.toRun} to run (${event.resumed} interrupted or failed before), ${event.workers} worker${event.workers === 1 ? '' : 's'}\n`);
    } else if (event.type === 'trial-ended') {
      const value = event.value === undefined ? '' : ` ${metric}=${/acc/.test(metric) ? `${(100 * event.value).toFixed(1)}%` : Number(event.value.toPrecision(4))}`;
      const what = event.status === 'failed' ? `failed: ${event.error ?? ''}` : `${event.status}${value}`;
      if (tty) status.done();
      process.stderr.write(`${printable(`${event.trial.key}: ${what}`)} (${event.seconds.toFixed(1)}s)${tty ? '' : ` — ${printable(progress.line())}`}\n`);
    } else if (event.type === 'message') {
      if (tty) status.done();
      process.stderr.write(`${printable(event.text)}\n`);
    }
    if (tty && event.type !== 'planned') status.update(printable(progress.line()));
  };
}

function resolveSweepArgument(specOrId: string, store: RunStore, flags: BudgetFlags): { sweepId: string; sweep?: Sweep } {
  if (existsSync(specOrId)) {
    const sweep = loadBudgetedSweep(specOrId, flags);
    return { sweepId: sweep.id, sweep };
  }
  if (store.findSweep(specOrId)) {
    refuseBudgetForId(specOrId, flags);
    return { sweepId: specOrId };
  }
  throw new SpecError(`${specOrId}: no such spec file, and no sweep with this id in ${store.path} (see sgdlab sweep list)`);
}

export function register(program: Command): void {
  const sweep = program.command('sweep');
  addBudgetOptions(sweep
    .command('run <spec>')
    .description('run every trial of a sweep spec (YAML or JSON) not yet done; interrupted trials resume')
    .option('--workers <k>', 'trainer processes on this machine (default: cores; with --queue: 0, only enqueue and collect)')
    .option('--store <path>', `run store (default ${DEFAULT_RUN_STORE_PATH})`)
    .option('--queue [url]', 'redis://HOST:PORT: put the trials on a BullMQ queue for `sgdlab worker`s (--queue alone: the URL in $SGDLAB_QUEUE, which keeps a password out of ps)')
    .option('--queue-name <name>', `BullMQ queue name (default ${DEFAULT_QUEUE_NAME})`)
    .option('--results <file>', 'a results file (JSON lines, meant to be committed): its trials count as done, and each trial that ends is appended')
    .option('--json', 'print the run report and the aggregated summary as JSON'))
    .action(async (specPath: string, opts: BudgetFlags & { workers?: string; store?: string; queue?: string | true; queueName?: string; json?: boolean; results?: string }) => {
      const storePath = opts.store ?? DEFAULT_RUN_STORE_PATH;
      const sweepSpec = loadBudgetedSweep(specPath, opts);
      const queueUrl = opts.queue === true ? process.env.SGDLAB_QUEUE : opts.queue;
      if (opts.queue === true && !queueUrl) throw new UsageError('--queue without a URL needs SGDLAB_QUEUE=redis://HOST:PORT');
      if (queueUrl && opts.results) throw new UsageError('--results works with local workers only; run `sgdlab sweep export` after a --queue sweep');
      if (opts.results) {
        // A bad file, or one that cannot be appended to, is refused before anything runs.
        checkResultsTarget(opts.results, specPath, storePath);
        readResultsFile(opts.results);
      }
      const workers = opts.workers === undefined ? undefined : opts.workers === '0' && queueUrl ? 0 : positiveInteger(opts.workers, '--workers', MAX_WORKERS);
      const target = queueUrl ? parseRedisUrl(queueUrl) : undefined;
      // Trials that run here must fit this machine; queue workers check their own limit (--max-memory).
      if (!target) {
        const dataFound = new Set<string>();
        for (const trial of sweepSpec.trials) checkTrial(trial, specPath, dataFound);
      }
      const onEvent = progressPrinter(opts.json === true, sweepSpec.spec.scoring.metric);
      const abort = new AbortController();
      const interrupt = () => {
        process.stderr.write('\nstopping: running trials stay recorded as running and resume on the next `sgdlab sweep run`\n');
        abort.abort();
      };
      process.once('SIGINT', interrupt);
      let report: SweepRunReport;
      try {
        report = target
          ? await runQueueSweep(sweepSpec, { storePath, queue: target, queueName: opts.queueName ?? DEFAULT_QUEUE_NAME, workers: workers ?? 0, onEvent, signal: abort.signal })
          : await runLocalSweep(sweepSpec, { storePath, ...(workers !== undefined ? { workers } : {}), ...(opts.results ? { resultsFile: opts.results } : {}), onEvent, signal: abort.signal });
      } finally {
        process.off('SIGINT', interrupt);
      }
      // 130 = 128 + SIGINT, the shell's convention for a command stopped by Ctrl-C: not bad input (2).
      if (abort.signal.aborted) throw new CommandStopped(`sweep ${sweepSpec.id}: interrupted; run the same command again to continue`, 130);
      const store = RunStore.open(storePath);
      try {
        const summary = summarizeSweep(store, sweepSpec.id, sweepSpec);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ report, summary })}\n`);
          return;
        }
        process.stdout.write(`${printable(summaryTable(summary), true)}\n`);
        process.stdout.write(`ran ${report.ran} trials in ${report.wallSeconds.toFixed(1)}s (${report.finished} finished, ${report.diverged} diverged, ${report.failed} failed); ${report.alreadyDone} were done before\n`);
      } finally {
        store.close();
      }
    });
  addBudgetOptions(sweep
    .command('show <specOrId>')
    .description('the aggregated table of a sweep: per grid point, mean ± std of the scored runs and how many diverged; then the verdict on each claim the spec declares')
    .option('--store <path>', `run store (default ${DEFAULT_RUN_STORE_PATH})`)
    .option('--json', 'print the SweepSummary as JSON (the input of sgdlab report)'))
    .action((specOrId: string, opts: BudgetFlags & { store?: string; json?: boolean }) => {
      const store = RunStore.open(opts.store ?? DEFAULT_RUN_STORE_PATH, { mustExist: true });
      try {
        const { sweepId, sweep: fromFile } = resolveSweepArgument(specOrId, store, opts);
        const summary = summarizeSweep(store, sweepId, fromFile);
        const sweepSpec = fromFile ?? sweepFromStoredSpec(sweepId, store.findSweep(sweepId)!.spec, `sweep ${sweepId}`);
        // The spec's claims (src/analysis/claims.ts), judged on the runs so far.
        const claims = sweepVerdicts(sweepSpec, (metric) => experimentFromRuns(sweepSpec, store.listRuns({ sweepId }), metric));
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...summary, claims })}\n`);
        else {
          process.stdout.write(`${printable(summaryTable(summary), true)}\n`);
          for (const c of claims) process.stdout.write(`${printable(verdictLine(c))}\n`);
        }
      } finally {
        store.close();
      }
    });
  addBudgetOptions(sweep
    .command('import <spec>')
    .description("load a results file's trials of this sweep into the store (no training): for reports and summaries from committed results")
    .requiredOption('--results <file>', 'the results file (JSON lines)')
    .option('--store <path>', `run store (default ${DEFAULT_RUN_STORE_PATH})`))
    .action((specPath: string, opts: BudgetFlags & { results: string; store?: string }) => {
      const sweepSpec = loadBudgetedSweep(specPath, opts);
      // Importing names a file that must be there: a typo is not "0 trials loaded" and a new store.
      const records = readResultsFile(opts.results, { mustExist: true });
      const store = RunStore.open(opts.store ?? DEFAULT_RUN_STORE_PATH);
      try {
        store.saveSweep({ id: sweepSpec.id, name: sweepSpec.spec.name, spec: sweepSpec.spec });
        const added = importResults(store, sweepSpec, records);
        process.stdout.write(`${printable(sweepSpec.spec.name)}: ${added} of ${sweepSpec.trials.length} trials loaded from ${printable(opts.results)}\n`);
      } finally {
        store.close();
      }
    });
  addBudgetOptions(sweep
    .command('export <spec>')
    .description('append the trials of this sweep that ended in the store (finished or diverged) to a results file, skipping those it holds')
    .requiredOption('--results <file>', 'the results file (JSON lines; created if missing)')
    .option('--store <path>', `run store (default ${DEFAULT_RUN_STORE_PATH})`))
    .action((specPath: string, opts: BudgetFlags & { results: string; store?: string }) => {
      const sweepSpec = loadBudgetedSweep(specPath, opts);
      const storePath = opts.store ?? DEFAULT_RUN_STORE_PATH;
      if (!existsSync(storePath)) throw new UsageError(`--store ${storePath}: no such run store`);
      checkResultsTarget(opts.results, specPath, storePath);
      const store = RunStore.open(storePath, { mustExist: true });
      try {
        const added = exportSweepResults(store, sweepSpec, opts.results);
        process.stdout.write(`${printable(sweepSpec.spec.name)}: ${added} trials appended to ${printable(opts.results)}\n`);
      } finally {
        store.close();
      }
    });
  sweep
    .command('list')
    .description('the sweeps recorded in the store')
    .option('--store <path>', `run store (default ${DEFAULT_RUN_STORE_PATH})`)
    .option('--json', 'print JSON')
    .action((opts: { store?: string; json?: boolean }) => {
      const store = RunStore.open(opts.store ?? DEFAULT_RUN_STORE_PATH, { mustExist: true });
      try {
        const sweeps = store.listSweeps().map((s) => {
          const runs = store.listRuns({ sweepId: s.id });
          return { ...s, runs: runs.length, finished: runs.filter((r) => r.status === 'finished').length, diverged: runs.filter((r) => r.status === 'diverged').length };
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(sweeps)}\n`);
        else for (const s of sweeps) process.stdout.write(`${s.id}  ${printable(s.name)}  ${s.runs} runs (${s.finished} finished, ${s.diverged} diverged)  created ${s.createdAt}\n`);
      } finally {
        store.close();
      }
    });
}
