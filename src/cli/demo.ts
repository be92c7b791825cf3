// `sgdlab demo`: the README's first command. Trains the headline comparison on the embedded digits
// set and says which setting generalised best.

import type { Command } from 'commander';
import { DEMO_BASE, runDemo } from '../train/demo.ts';
import { DEFAULT_RUN_STORE_PATH } from '../store/index.ts';
import { openStore } from './train.ts';
import { UsageError } from './errors.ts';
import { resolveConfig } from '../train/index.ts';
import { count, num, pct, table } from './format.ts';

/**
 * The settings ranked by mean best test accuracy, as one line: percentages with the fewest decimals
 * (1 to 3) at which every two neighbours that differ print differently, and "=" with "tie" where they
 * do not differ at all (597 test images: one example is 0.17%, a mean over 3 seeds moves by 0.056%).
 */
export function rankingLine(rows: readonly { label: string; bestTestAcc: { mean: number } }[]): string {
  const ranked = [...rows].sort((a, b) => b.bestTestAcc.mean - a.bestTestAcc.mean);
  const means = ranked.map((r) => 100 * r.bestTestAcc.mean);
  const decimals = [1, 2, 3].find((d) => means.every((m, i) => i === 0 || m === means[i - 1] || m.toFixed(d) !== means[i - 1]!.toFixed(d))) ?? 3;
  return ranked
    .map((r, i) => `${i === 0 ? '' : means[i] === means[i - 1] ? ' = ' : ' > '}${r.label} ${means[i]!.toFixed(decimals)}%${i > 0 && means[i] === means[i - 1] ? ' (tie)' : ''}`)
    .join('');
}

export function register(program: Command): void {
  program
    .command('demo')
    .option('--seeds <n>', 'runs per setting', '3')
    .option('--epochs <E>', 'epochs per run (default 200)')
    .option('--store <path>', `run store (default ${DEFAULT_RUN_STORE_PATH})`)
    .option('--json', 'print JSON')
    .action(async (opts: { seeds: string; epochs?: string; store?: string; json?: boolean }) => {
      const seeds = /^\s*\d{1,3}\s*$/.test(opts.seeds) ? Number(opts.seeds) : NaN;
      if (!(seeds >= 1 && seeds <= 100)) throw new UsageError(`--seeds ${opts.seeds.slice(0, 40)}: must be an integer from 1 to 100`);
      // Validated before the store is opened: a bad --epochs creates nothing.
      resolveConfig({ ...DEMO_BASE, ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}) }, 'demo');
      const store = openStore(opts.store);
      const started = performance.now();
      try {
        if (!opts.json) process.stdout.write(`Training MLP 64-256-256-10 on digits (1200 train / 597 test), batch 16, ${count(Number(opts.epochs ?? DEMO_BASE.epochs), 'epoch')}, ${count(seeds, 'seed')} per setting…\n`);
        const rows = await runDemo({
          seeds,
          ...(opts.epochs ? { epochs: Number(opts.epochs) } : {}),
          store,
          onRun: (label, seed) => {
            if (!opts.json && process.stderr.isTTY) process.stderr.write(`\r\x1b[K  ${label}, seed ${seed}`);
          },
        });
        if (process.stderr.isTTY && !opts.json) process.stderr.write('\r\x1b[K');
        const winner = rows.reduce((a, b) => (b.bestTestAcc.mean > a.bestTestAcc.mean ? b : a));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ rows, best: winner.label, seconds: (performance.now() - started) / 1000 })}\n`);
          return;
        }
        process.stdout.write(`${table(
          ['setting', 'best test acc (mean ± std)', 'final train acc', 'final C_reg', 'runs', 'time'],
          rows.map((r) => [r.label, `${pct(r.bestTestAcc.mean)} ± ${pct(r.bestTestAcc.std)}`, pct(r.finalTrainAcc), num(r.finalCReg, 3), r.runIds.join(','), `${r.seconds.toFixed(0)}s`]),
        )}\n`);
        const [small, regularized, large] = rows as [typeof rows[0], typeof rows[0], typeof rows[0]];
        process.stdout.write(`\nBest generalisation: ${rankingLine(rows)}.\n`);
        process.stdout.write(
          `C_reg = (1/4m)Σ_k||∇Ĉ_k||² at the end: ${num(small.finalCReg, 3)} (small ε), ${num(regularized.finalCReg, 3)} (small ε + λ), ${num(large.finalCReg, 3)} (large ε); ` +
            `the regularizer lowers it ${num(small.finalCReg / regularized.finalCReg, 2)}×, the large rate ${num(small.finalCReg / large.finalCReg, 2)}× (Eq. 1: large ε penalises it implicitly).\n`,
        );
        process.stdout.write(`Total ${((performance.now() - started) / 1000).toFixed(0)}s. Inspect the runs with: npx sgdlab runs list\n`);
      } finally {
        store.close();
      }
    });
}
