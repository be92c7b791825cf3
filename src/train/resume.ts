// What a checkpoint's metadata must say before a run resumes from it: it comes from a file, so it
// is validated like user input (a one-line StoreError naming the file), never trusted.

import { StoreError, type MetricValues } from '../store/index.ts';

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
