// `sgdlab train`: flags or a --config file → a validated TrainConfig → one run in the store.

import type { Command } from 'commander';
import { resolveConfig, train, optimizerOf, ConfigError, CONFIG_FLAGS, type TrainConfig, type TrainResult } from '../train/index.ts';
import { RunStore, DEFAULT_RUN_STORE_PATH, checkpointDirFor, missingPaths, removeCreatedStore, storeInputs } from '../store/index.ts';
import { resumeTarget } from '../train/resume.ts';
import { checkTrainingFits } from '../train/preflight.ts';
import { checkExecutionProvider } from '../graph/index.ts';
import { DEFAULT_OPTIMIZER } from '../optim/index.ts';
import { ProgressLine, count, duration, num, pct } from './format.ts';
import { dataSpecPath } from '../data/index.ts';
import { UsageError } from './errors.ts';
import { readInputText } from '../util/input-file.ts';
import { checkOutputPaths, type InputPath } from '../util/output-path.ts';

/** Config keys that have a flag (all of them: config.ts's table; commander camel-cases the flags back to keys). */
export const CONFIG_KEYS: readonly string[] = CONFIG_FLAGS.map((f) => f.key);

function readConfigFile(path: string): Record<string, unknown> {
  const text = readInputText(path, 'config', `--config ${path}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`--config ${path}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`--config ${path}: must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

export function configFromOptions(opts: Record<string, unknown>): TrainConfig {
  const fromFile = typeof opts.config === 'string' ? readConfigFile(opts.config) : {};
  const fromFlags: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) if (opts[key] !== undefined) fromFlags[key] = opts[key];
  return resolveConfig({ ...fromFile, ...fromFlags }, typeof opts.config === 'string' ? `--config ${opts.config}` : 'train');
}

/**
 * Refuse a --save that cannot be written, or that would replace one of the run's own inputs (the
 * store and its WAL files, --init, --config, a file of --data-dir, the file or folder --data names): checked before any work.
 */
export function checkSaveTarget(config: TrainConfig, storePath: string, configFile: unknown): void {
  if (config.save === undefined) return;
  const inputs: InputPath[] = [...storeInputs(storePath)];
  if (config.init !== undefined) inputs.push({ flag: '--init', path: config.init });
  if (typeof configFile === 'string') inputs.push({ flag: '--config', path: configFile });
  if (config.dataDir !== undefined) inputs.push({ flag: '--data-dir', path: config.dataDir, directory: true });
  const ownData = dataSpecPath(config.data);
  if (ownData) inputs.push({ flag: '--data', ...ownData });
  // The store's checkpoint folder is sgdlab's: a --save there would replace some run's checkpoint, now or later.
  inputs.push({ flag: '--store', path: checkpointDirFor(storePath), reservedFor: `the checkpoint folder of --store ${storePath}, where sgdlab writes each run's checkpoint` });
  checkOutputPaths([{ flag: '--save', path: config.save, kind: 'file' }], inputs);
}

export function openStore(path: string | undefined): RunStore {
  return RunStore.open(path ?? DEFAULT_RUN_STORE_PATH);
}

/** Config keys the user set by a flag or in the --config file. */
function explicitKeys(opts: Record<string, unknown>): string[] {
  const keys = new Set(CONFIG_KEYS.filter((k) => opts[k] !== undefined));
  if (typeof opts.config === 'string') for (const k of Object.keys(readConfigFile(opts.config))) keys.add(k);
  return [...keys];
}

/** Where a run's parameters went: the store's checkpoint (what `--resume` and `export` read) and `--save`'s file. */
export interface WrittenFiles {
  checkpoint?: string | null;
  saved?: string;
}

export function summaryLines(r: TrainResult, config: TrainConfig, files: WrittenFiles = {}): string {
  return [
    `run ${r.runId ?? '—'}: ${r.status}${r.divergedAtStep !== undefined ? ` at step ${r.divergedAtStep}` : ''} after ${count(r.steps, 'step')} (${count(r.epochs, 'epoch', num(r.epochs, 3))}), ${num(r.stepsPerSec, 3)} steps/s`,
    `  ${config.model} on ${config.data}, B=${config.batch}, ε=${num(config.lr * config.nStep)}${config.nStep > 1 ? ` (n=${config.nStep}, α=${num(config.lr)})` : ''}, λ=${num(config.lambda)}${config.momentum ? `, momentum ${num(config.momentum)}${config.nesterov ? ' (Nesterov)' : ''}` : ''}${optimizerOf(config).name !== DEFAULT_OPTIMIZER ? `, ${optimizerOf(config).name}` : ''}`,
    `  train loss ${num(r.final.train_loss)}  train acc ${pct(r.final.train_acc)}  test acc ${pct(r.final.test_acc)}  best test acc ${pct(r.final.best_test_acc)}`,
    `  C_reg ${num(r.final.c_reg)}  ||∇C||² ${num(r.final.grad_norm_sq)}  Γ ${num(r.final.gamma)}${r.final.gamma_exact !== undefined ? ` (exact ${num(r.final.gamma_exact)})` : ''}  ||w|| ${num(r.final.weight_norm)}${r.final.one_norm !== undefined ? `  N ${num(r.final.one_norm)} (batches ${num(r.final.one_norm_batch)})` : ''}`,
    ...(files.checkpoint ? [`  checkpoint ${files.checkpoint}`] : []),
    ...(files.saved ? [`  parameters saved to ${files.saved}`] : []),
  ].join('\n');
}

export function register(program: Command): void {
  const cmd = program.command('train');
  for (const { flag, help } of CONFIG_FLAGS) cmd.option(flag, help);
  cmd
    .option('--config <file>', 'JSON file of config keys (camelCase, e.g. {"lr": "2^-5", "model": "mlp:512x2"}); flags override it')
    .option('--store <path>', `run store (default ${DEFAULT_RUN_STORE_PATH})`)
    .option('--resume [id]', 'continue a killed run from its last checkpoint (default: the latest unfinished run with this config)')
    .option('--json', 'print one machine-readable summary')
    .action(async (opts: Record<string, unknown>) => {
      // Everything given is validated before the store is opened: a bad flag creates no file and no row.
      const given = configFromOptions(opts);
      if (opts.resume === undefined) checkTrainingFits(given);
      if (given.executionProvider !== undefined) await checkExecutionProvider(given.executionProvider);
      const storePath = (opts.store as string | undefined) ?? DEFAULT_RUN_STORE_PATH;
      checkSaveTarget(given, storePath, opts.config);
      const created = opts.resume === undefined ? missingPaths(storePath) : [];
      const store = RunStore.open(storePath, { mustExist: opts.resume !== undefined });
      let failed = true;
      try {
        let config: TrainConfig = given;
        let resumeRunId: number | undefined;
        if (opts.resume !== undefined) {
          ({ config, runId: resumeRunId } = resumeTarget(store, opts.resume as string | true, given, explicitKeys(opts)));
          checkSaveTarget(config, storePath, opts.config);
        }
        const progress = new ProgressLine();
        const started = Date.now();
        const result = await train(config, {
          store,
          checkpointDir: checkpointDirFor(opts.store as string | undefined ?? DEFAULT_RUN_STORE_PATH),
          ...(resumeRunId !== undefined ? { resumeRunId } : {}),
          onProgress: (p) => {
            if (opts.json) return;
            const eta = ((p.totalSteps - p.step) / Math.max(p.stepsPerSec, 1e-9));
            progress.update(`epoch ${p.epoch + 1}  step ${p.step}/${p.totalSteps}  loss ${num(p.loss)}  test acc ${pct(p.testAcc)}  ${num(p.stepsPerSec, 3)} steps/s  ETA ${duration(eta)}`);
          },
        });
        progress.done();
        const checkpoint = result.runId !== undefined ? store.getRun(result.runId).checkpointPath : null;
        const saved = result.status !== 'stopped' ? config.save : undefined;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ runId: result.runId, status: result.status, checkpoint, saved: saved ?? null, divergedAtStep: result.divergedAtStep ?? null, steps: result.steps, epochs: result.epochs, stepsPerSec: result.stepsPerSec, wallSeconds: (Date.now() - started) / 1000, config, final: result.final, best: result.best })}\n`);
        } else {
          process.stdout.write(`${summaryLines(result, config, { checkpoint, ...(saved ? { saved } : {}) })}\n`);
        }
        failed = false;
      } finally {
        // A store this command created for a run that never started (bad data files) is removed again.
        let discard = false;
        try {
          discard = failed && created.length > 0 && store.listRuns({ limit: 1 }).length === 0;
        } catch {
          // the store itself failed: keep it, and let the first error be the one reported
        }
        store.close();
        if (discard) removeCreatedStore(storePath, created);
      }
    });
}
