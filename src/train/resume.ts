// Resuming a run: which run `--resume` may continue and with which config, and what its checkpoint's
// metadata must say. Both come from outside (the store, a file) and are validated like user input.

import { StoreError, type MetricValues, type RunStore } from '../store/index.ts';
import { ConfigError, resolveConfig, type TrainConfig } from './config.ts';

/**
 * The run `--resume [id]` continues and the config it keeps. With an id, every key the user gave
 * (`explicitKeys`, from flags or a --config file) must agree with the run's stored config, or the
 * differing keys are named; without one, `given` picks the newest unfinished run with exactly this
 * config. Finished and diverged runs are results and are never resumed.
 */
export function resumeTarget(store: RunStore, resume: string | true, given: TrainConfig, explicitKeys: readonly string[]): { config: TrainConfig; runId: number } {
  if (resume === true) {
    const key = JSON.stringify(given);
    const matches = (status: 'running' | 'failed') => store.listRuns({ status, newestFirst: true }).find((r) => JSON.stringify(storedConfig(r.config, r.id)) === key);
    const candidate = matches('running') ?? matches('failed');
    if (!candidate) throw new ConfigError('--resume: no unfinished run with this config in the store (give a run id)');
    return { config: given, runId: candidate.id };
  }
  if (!/^\d{1,15}$/.test(resume) || Number(resume) < 1) throw new ConfigError(`--resume ${resume.slice(0, 40)}: not a run id`);
  const runId = Number(resume);
  const run = store.getRun(runId);
  if (run.status === 'finished' || run.status === 'diverged') {
    throw new ConfigError(`--resume ${runId}: run ${runId} is ${run.status}; only an unfinished (running or failed) run can be resumed`);
  }
  const config = resolveConfig(storedConfig(run.config, runId), `run ${runId}`);
  const wanted = given as unknown as Record<string, unknown>;
  const stored = config as unknown as Record<string, unknown>;
  const differing = explicitKeys.filter((k) => JSON.stringify(wanted[k]) !== JSON.stringify(stored[k]));
  if (differing.length > 0) {
    const listed = differing.map((k) => `${k} ${JSON.stringify(wanted[k])} (the run has ${JSON.stringify(stored[k])})`).join(', ');
    throw new ConfigError(`--resume ${runId}: ${listed} differ from the run's config; a resumed run keeps its config, so drop these flags`);
  }
  return { config, runId };
}

/** A run's stored config without the derived effectiveLr the record adds. */
function storedConfig(stored: unknown, runId: number): Record<string, unknown> {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) throw new StoreError(`run ${runId}: the stored config is not an object`);
  const { effectiveLr: _derived, ...config } = stored as Record<string, unknown>;
  return config;
}

export interface CheckpointState {
  epoch: number;
  step: number;
  bestTestAcc: number;
  best: MetricValues;
}

/** The run position a checkpoint records, checked against the run it is meant to continue. */
export function checkpointState(
  metadata: Record<string, string>,
  path: string,
  run: { model: string; stepsPerEpoch: number; totalSteps: number; totalEpochs: number },
): CheckpointState {
  const fail = (why: string): never => {
    throw new StoreError(`${path}: checkpoint metadata ${why}`);
  };
  const field = (key: string): string | undefined => (Object.hasOwn(metadata, key) ? metadata[key] : undefined);
  const integer = (key: string, max: number): number => {
    const text = field(key);
    if (text === undefined || !/^\d{1,16}$/.test(text) || Number(text) > max) fail(`'${key}' is ${text === undefined ? 'missing' : `'${text.slice(0, 40)}'`}, expected an integer from 0 to ${max}`);
    return Number(text);
  };
  const model = field('model');
  if (model !== undefined && model !== run.model) fail(`'model' is '${model.slice(0, 60)}', but the run trains ${run.model}`);
  const epoch = integer('epoch', run.totalEpochs);
  const step = integer('step', run.totalSteps);
  if (step !== Math.min(epoch * run.stepsPerEpoch, run.totalSteps)) fail(`'step' ${step} does not end epoch ${epoch} (${run.stepsPerEpoch} steps per epoch)`);
  const bestText = field('best_test_acc') ?? '-Infinity';
  const bestTestAcc = bestText === '-Infinity' ? -Infinity : Number(bestText);
  if (bestText !== '-Infinity' && !(bestTestAcc >= 0 && bestTestAcc <= 1)) fail(`'best_test_acc' is '${bestText.slice(0, 40)}', expected an accuracy in [0, 1]`);
  let best: unknown;
  try {
    best = JSON.parse(field('best') ?? '{}');
  } catch {
    fail("'best' is not JSON");
  }
  if (typeof best !== 'object' || best === null || Array.isArray(best)) return fail("'best' is not an object of metrics");
  const values: MetricValues = Object.create(null) as MetricValues;
  for (const [name, value] of Object.entries(best)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) fail(`'best' has a metric named '${name.slice(0, 40)}'`);
    if (typeof value !== 'number' && value !== null) fail(`'best' metric '${name}' is not a number`);
    values[name] = value === null ? NaN : value;
  }
  return { epoch, step, bestTestAcc, best: { ...values } };
}
