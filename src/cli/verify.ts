// `sgdlab verify [CHECK…]`: run the numerical checks of the backward error analysis (src/theory) on
// analytic models and print each check's table and verdict, or one JSON object with --json.

import type { Command } from 'commander';
import { CHECK_NAMES, MODEL_NAMES, checkLabel, formatResult, isCheckName, isModelName, resultsToJson, runVerify, type CheckResult } from '../theory/index.ts';
import { UsageError } from './errors.ts';
import { checkOutputPaths } from '../util/output-path.ts';

export interface VerifyCommandOptions {
  model?: string;
  json?: boolean;
  seed?: string;
  /** Also write log-log slope plots (SVG, PNG, index.html) to this directory. */
  report?: string;
}

/** Parse the positional checks and flags, run them, write the report; the results come back for tests. */
export async function verifyCommand(checkArgs: readonly string[], options: VerifyCommandOptions, write: (text: string) => void): Promise<CheckResult[]> {
  for (const c of checkArgs) {
    if (!isCheckName(c)) throw new UsageError(`verify: unknown check '${c}' (expected one of ${CHECK_NAMES.join(', ')})`);
  }
  if (options.model !== undefined && !isModelName(options.model)) {
    throw new UsageError(`verify: unknown model '${options.model}' (expected one of ${MODEL_NAMES.join(', ')})`);
  }
  const seed = options.seed === undefined ? 0 : Number(options.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`verify: --seed must be an integer, got '${options.seed}'`);
  if (options.report !== undefined) checkOutputPaths([{ flag: '--report', path: options.report, kind: 'directory' }]);
  const started = performance.now();
  const results = await runVerify({
    checks: checkArgs.filter(isCheckName),
    models: options.model !== undefined && isModelName(options.model) ? [options.model] : undefined,
    seed,
    onResult: options.json ? undefined : (r) => write(`${formatResult(r)}\n\n`),
  });
  if (options.report !== undefined) {
    // Loaded only here: the figure renderer pulls in vega and resvg.
    const { writeTheoryReport } = await import('../report/index.ts');
    const written = await writeTheoryReport(JSON.parse(resultsToJson(results)), options.report);
    if (!options.json) write(`slope plots: ${written.htmlPath}\n`);
  }
  if (options.json) {
    write(`${resultsToJson(results)}\n`);
  } else {
    const passed = results.filter((r) => r.pass).length;
    write(`${passed} of ${results.length} checks passed in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return results;
}

export function register(program: Command): void {
  program
    .command('verify')
    .argument('[checks...]', `checks to run (default all): ${CHECK_NAMES.join(' | ')}`)
    .option('--model <name>', `${MODEL_NAMES.join(' | ')} (default: all three)`)
    .option('--seed <n>', 'seed of the synthetic data and starting point (default 0)')
    .option('--json', 'print one JSON object {"checks": [...]} with the raw ε/error pairs')
    .option('--report <dir>', 'also write log-log slope plots (SVG, PNG, index.html) to DIR')
    .action(async (checks: string[], options: VerifyCommandOptions) => {
      const results = await verifyCommand(checks, options, (text) => process.stdout.write(text));
      const failed = results.filter((r) => !r.pass);
      // A failed check is reported like a user-facing error: one line, non-zero exit status.
      if (failed.length > 0) {
        throw new UsageError(`verify: ${failed.length} of ${results.length} checks failed: ${failed.map((r) => `${checkLabel(r)}/${r.model}`).join(', ')}`);
      }
    });
}
