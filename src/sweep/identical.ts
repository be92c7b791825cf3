// Which trials are the same training: the same code path, seed, data and model with every other setting equal.
// A trial whose whole config (budget in steps, evaluation cadence included) equals another's is not trained again
// (results-file.ts shares its record), and at a constant rate a shorter budget is a prefix of a longer one, since
// the trainer is deterministic; the pages count trainings, not trials, and their compute.

import type { TrainConfig } from '../train/index.ts';

/** Keys that do not change what is trained: the machine's (threads, data folder) and when it is evaluated. */
const NOT_TRAINING = new Set(['threads', 'dataDir', 'evalEvery', 'effectiveLr', 'epochs', 'steps']);

export interface TrainingIdentity {
  /** Everything that decides the trajectory except the budget. */
  key: string;
  /** The budget in steps (batches), or NaN when it cannot be told from the config (epochs without trainSize). */
  steps: number;
  /** A constant rate: a shorter budget then trains exactly the first steps of a longer one. */
  prefixable: boolean;
}

export function trainingIdentity(config: TrainConfig): TrainingIdentity {
  const c = config as unknown as Record<string, unknown>;
  const kept = Object.keys(c).filter((k) => !NOT_TRAINING.has(k) && c[k] !== undefined).sort().map((k) => [k, c[k]]);
  const perEpoch = config.trainSize !== undefined ? config.trainSize / config.batch : NaN;
  const steps = config.steps ?? (config.epochs !== undefined ? config.epochs * perEpoch : NaN);
  const budget = Number.isFinite(steps) ? '' : `epochs=${config.epochs}`;
  return { key: JSON.stringify(kept) + budget, steps, prefixable: config.schedule === 'constant' };
}

/** The same training, evaluated at the same steps: one's recorded result is the other's. */
export function sameTraining(a: TrainConfig, b: TrainConfig): boolean {
  const x = trainingIdentity(a);
  const y = trainingIdentity(b);
  return x.key === y.key && x.steps === y.steps && (a.evalEvery ?? null) === (b.evalEvery ?? null);
}

export interface TrainingCount {
  trials: number;
  /** Distinct trainings: trials with an identical config and budget count once. */
  distinct: number;
  /** Of those, how many are the first steps of a longer one at a constant rate (trained once, inside it). */
  prefixes: number;
  /** Seconds of the trials, and of one trial per distinct training (prefixes inside their longest). */
  seconds: number;
  uniqueSeconds: number;
}

/** How many trainings a set of trials is, and their compute. */
export function countTrainings(trials: readonly { config: TrainConfig; seconds: number }[]): TrainingCount {
  const groups = new Map<string, Map<number, number>>();
  for (const t of trials) {
    const id = trainingIdentity(t.config);
    const group = groups.get(id.key) ?? groups.set(id.key, new Map()).get(id.key)!;
    // One training per budget; a rerun does not add compute (the longest-running record stands for it).
    group.set(id.steps, Math.max(group.get(id.steps) ?? 0, t.seconds));
  }
  let distinct = 0;
  let prefixes = 0;
  let uniqueSeconds = 0;
  for (const [key, budgets] of groups) {
    distinct += budgets.size;
    const prefixable = key.includes('"schedule","constant"') && [...budgets.keys()].every(Number.isFinite);
    if (prefixable && budgets.size > 1) {
      prefixes += budgets.size - 1;
      uniqueSeconds += budgets.get(Math.max(...budgets.keys()))!;
    } else for (const s of budgets.values()) uniqueSeconds += s;
  }
  return { trials: trials.length, distinct, prefixes, seconds: trials.reduce((a, t) => a + t.seconds, 0), uniqueSeconds };
}
