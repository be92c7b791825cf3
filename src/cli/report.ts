// `sgdlab report SWEEP…`: the paper's figures from sweeps in the run store, as SVG, PNG and one
// self-contained HTML page. Thin over src/sweep (summaries) and src/report (figures).

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_RUN_STORE_PATH, RunStore } from '../store/index.ts';
import { SpecError, summarizeSweep, sweepFromStoredSpec, type Sweep, type SweepSummary } from '../sweep/index.ts';
import { experimentFromRuns, sweepVerdicts, verdictLine, type ClaimResult } from '../analysis/index.ts';
import type { WrittenReport } from '../report/index.ts';
import { UsageError } from './errors.ts';
import { checkOutputPaths } from '../util/output-path.ts';
import { addBudgetOptions, loadBudgetedSweep, parseBudget, refuseBudgetForId, type BudgetFlags } from './sweep.ts';

export interface ReportCommandOptions extends BudgetFlags {
  out?: string;
  store?: string;
  png?: boolean;
  pngZoom?: string;
  excludeBelow?: string;
  json?: boolean;
  /** false: skip the verdicts (a page builder that judges the claims itself). */
  claims?: boolean;
}

export const DEFAULT_REPORT_DIR = './sgdlab-report';

/** A spec file (its sweep id follows from its contents and the budget flags, as in `sgdlab sweep show`) or a sweep id. */
function resolveSweep(store: RunStore, specOrId: string, budget: BudgetFlags): Sweep {
  if (existsSync(specOrId)) return loadBudgetedSweep(specOrId, budget);
  const stored = store.findSweep(specOrId);
  if (!stored) throw new SpecError(`sweep '${specOrId}': not in the run store ${store.path}`);
  refuseBudgetForId(specOrId, budget);
  return sweepFromStoredSpec(specOrId, stored.spec, `sweep ${specOrId}`);
}

/** The verdicts on every claim the sweeps declare (src/analysis), from their runs in the store. */
export function claimVerdicts(store: RunStore, sweeps: readonly Sweep[]): (ClaimResult & { sweep: string })[] {
  return sweeps.flatMap((sweep) => sweepVerdicts(sweep, (metric) => experimentFromRuns(sweep, store.listRuns({ sweepId: sweep.id }), metric)));
}

export async function reportCommand(sweeps: readonly string[], options: ReportCommandOptions, write: (text: string) => void): Promise<WrittenReport> {
  if (sweeps.length === 0) throw new UsageError('report: name at least one sweep (a spec file or a sweep id; see sgdlab sweep list)');
  const excludeBelow = options.excludeBelow === undefined ? undefined : Number(options.excludeBelow);
  if (excludeBelow !== undefined && !(options.excludeBelow!.trim() !== '' && excludeBelow >= 0 && excludeBelow <= 1)) {
    throw new UsageError(`report: --exclude-below ${options.excludeBelow}: must be a score in [0, 1] (e.g. 0.9 for 90% accuracy)`);
  }
  parseBudget(options);
  // A name that reads as a spec file but is none is a mistyped path, whatever the store holds.
  const missingSpec = sweeps.find((s) => /\.(ya?ml|json)$/i.test(s) && !existsSync(s));
  if (missingSpec !== undefined) throw new UsageError(`report: ${missingSpec}: no such file`);
  const storePath = options.store ?? DEFAULT_RUN_STORE_PATH;
  // Opening a missing path would create an empty store; a report of nothing is a mistake in the path.
  if (!existsSync(storePath)) throw new UsageError(`report: --store ${storePath}: no run store there`);
  const pngZoom = options.pngZoom === undefined ? 2 : Number(options.pngZoom);
  if (!(pngZoom > 0 && pngZoom <= 8)) throw new UsageError(`report: --png-zoom ${options.pngZoom}: must be a number in (0, 8]`);
  // The default folder is created in the working directory; one the user names needs its parent.
  checkOutputPaths([{ flag: '--out', path: options.out ?? DEFAULT_REPORT_DIR, kind: 'directory' }]);
  const store = RunStore.open(storePath, { mustExist: true });
  try {
    const resolved = sweeps.map((s) => resolveSweep(store, s, options));
    // Figures of no runs are empty axes: most often the budget flags of the `sweep run` left off here.
    if (resolved.every((sweep) => store.listRuns({ sweepId: sweep.id }).length === 0)) {
      const names = resolved.map((sweep) => sweep.spec.name).join(', ');
      throw new UsageError(`report: ${names}: no runs in ${store.path}; run it first with sgdlab sweep run (a run with --epochs or --seeds is a sweep of its own: give report the same flags)`);
    }
    const summaries: SweepSummary[] = resolved.map((sweep) => summarizeSweep(store, sweep.id, sweep));
    const claims = options.claims === false ? [] : claimVerdicts(store, resolved);
    const outDir = resolve(options.out ?? DEFAULT_REPORT_DIR);
    const started = performance.now();
    // vega, vega-lite and resvg load only here: every other sgdlab command starts without them.
    const { writeReport } = await import('../report/index.ts');
    const report = await writeReport({ summaries, loadHistory: (runId) => store.metrics(runId), excludeBelow }, outDir, {
      png: options.png,
      pngZoom,
      footer: `sgdlab report ${sweeps.join(' ')}${budgetFlags(options)}${excludeBelow === undefined ? '' : ` --exclude-below ${excludeBelow}`} (store ${storePath}), ${new Date().toISOString()}`,
    });
    const seconds = (performance.now() - started) / 1000;
    if (options.json) {
      write(`${JSON.stringify({ ...report, claims, seconds })}\n`);
    } else {
      for (const c of claims) write(`${c.sweep}: ${verdictLine(c)}\n`);
      for (const w of report.warnings) write(`warning: ${w}\n`);
      for (const f of report.figures) write(`${f.paper.padEnd(16)} ${f.svgPath}${f.pngPath ? ` (+ .png)` : ''}\n`);
      for (const s of report.skipped) write(`${s.paper.padEnd(16)} not drawn: ${s.reason}\n`);
      write(`${report.figures.length} figures in ${seconds.toFixed(1)} s; open ${report.htmlPath}\n`);
    }
    return report;
  } finally {
    store.close();
  }
}

/** The budget flags as given, for the page's footer (the command that drew it). */
const budgetFlags = (flags: BudgetFlags): string => `${flags.epochs !== undefined ? ` --epochs ${flags.epochs}` : ''}${flags.seeds !== undefined ? ` --seeds ${flags.seeds}` : ''}`;

export function register(program: Command): void {
  addBudgetOptions(program
    .command('report')
    .argument('<sweeps...>', 'sweep spec files or sweep ids (sgdlab sweep list); figures pool their grid points')
    .option('--out <dir>', `output folder (default ${DEFAULT_REPORT_DIR})`)
    .option('--store <path>', `run store (default ${DEFAULT_RUN_STORE_PATH})`)
    .option('--no-png', 'write SVG and HTML only')
    .option('--png-zoom <x>', 'PNG pixels per SVG pixel (default 2)')
    .option('--exclude-below <score>', 'leave out grid points scoring below this (in [0, 1], e.g. 0.9: diverged or untrainable points), so the y axis zooms in; captions name them')
    .option('--json', 'print the written files, skipped figures and the verdicts on the specs\' claims as JSON')
    .option('--no-claims', 'draw the figures only: skip the verdicts on the claims the specs declare'))
    .action(async (sweeps: string[], options: ReportCommandOptions) => {
      await reportCommand(sweeps, options, (text) => process.stdout.write(text));
    });
}
