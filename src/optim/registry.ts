// The optimizers by name (`--optimizer`): each entry declares its transform, the hyperparameters it reads
// with their defaults, and its implicit regularizer; config keys, flags, help and sweep axes derive from it.

import { OPTIMIZER_OPTIONS, type LearningRate, type OptimizerEntry, type OptimizerOptionKey, type OptimizerSettings } from './options.ts';
import type { GradientTransformation } from './transform.ts';
import { SGD_OPTIMIZER } from './sgd.ts';
import { ADAM_OPTIMIZER } from './adam.ts';
import { RMSPROP_OPTIMIZER } from './rmsprop.ts';

export const OPTIMIZERS = {
  sgd: SGD_OPTIMIZER,
  adam: ADAM_OPTIMIZER,
  rmsprop: RMSPROP_OPTIMIZER,
};

export type OptimizerName = keyof typeof OPTIMIZERS;
export const OPTIMIZER_NAMES = Object.keys(OPTIMIZERS) as OptimizerName[];
export const DEFAULT_OPTIMIZER: OptimizerName = 'sgd';

/** The entry as the generic shape: its keys widened, for code that walks every optimizer. */
export const optimizerByName = (name: OptimizerName): OptimizerEntry => OPTIMIZERS[name] as unknown as OptimizerEntry;

/** The hyperparameter keys an optimizer reads. */
export const optionKeysOf = (name: OptimizerName): OptimizerOptionKey[] => Object.keys(optimizerByName(name).defaults) as OptimizerOptionKey[];

/** Which optimizers read a key, with their defaults: "sgd 0" / "adam 0.999, rmsprop 0.99" for the help. */
export function optionHelp(key: OptimizerOptionKey): string {
  const readers = OPTIMIZER_NAMES.filter((name) => Object.hasOwn(optimizerByName(name).defaults, key));
  const defaults = readers.map((name) => `${name} ${String((optimizerByName(name).defaults as Record<string, unknown>)[key])}`).join(', ');
  return `${OPTIMIZER_OPTIONS[key].help} (--optimizer ${readers.join(' | ')}; default ${defaults})`;
}

/**
 * The full settings of a named optimizer: its defaults overridden by `given` (keys it reads only). A
 * key given that the optimizer does not read comes back in `foreign`, for the caller's one-line error.
 */
export function optimizerSettings(name: OptimizerName, given: Partial<OptimizerSettings>): { settings: Partial<OptimizerSettings>; foreign: OptimizerOptionKey[] } {
  const defaults = optimizerByName(name).defaults as Partial<OptimizerSettings>;
  const settings: Partial<OptimizerSettings> = { ...defaults };
  const foreign: OptimizerOptionKey[] = [];
  for (const [key, value] of Object.entries(given) as [OptimizerOptionKey, number | boolean | undefined][]) {
    if (value === undefined) continue;
    if (!Object.hasOwn(defaults, key)) foreign.push(key);
    else (settings as Record<string, unknown>)[key] = value;
  }
  return { settings, foreign };
}

/** An optimizer as a run uses it: its name and its full settings (optimizerSettings's). */
export interface OptimizerChoice {
  name: OptimizerName;
  settings: Partial<OptimizerSettings>;
}

/** The paper's optimizer: SGD without momentum, which keeps no state. */
export const PLAIN_SGD_CHOICE: OptimizerChoice = { name: 'sgd', settings: { momentum: 0, nesterov: false } };

/** The transform of a choice at rate `lr` (a number, or the traced scheduled rate). */
export function optimizerTransform(choice: OptimizerChoice, lr: LearningRate): GradientTransformation {
  return optimizerByName(choice.name).transform(lr, choice.settings as OptimizerSettings);
}

/**
 * Whether the optimizer keeps state between steps, read off its init: a state with any named part
 * (plain SGD has none; momentum keeps a velocity; Adam two averages and a step count).
 */
export function keepsState(choice: OptimizerChoice): boolean {
  return Object.keys(optimizerTransform(choice, 0).init({})).length > 0;
}
