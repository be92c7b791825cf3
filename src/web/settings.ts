// The playground's settings: what the page shares across its runs and what each of up to three runs
// sets for itself, validated from name-keyed tables and kept in the URL so that a link reproduces a run.

import { parseNumber } from '../train/config.ts';
import { SAMPLER_KINDS, type SamplerKind } from '../data/samplers.ts';
import type { CheckName } from '../theory/checks.ts';
import type { ModelName } from '../theory/models.ts';
import { UserError } from '../util/user-error.ts';

export const DATA_KINDS = ['digits', 'moons', 'circles', 'xor', 'spirals', 'csv'] as const;
export type DataKind = (typeof DATA_KINDS)[number];

export const RUNTIMES = ['wasm', 'webgpu'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** What every run of the page shares: the data, the model, the batch order and the length. */
export interface SharedSettings {
  data: DataKind;
  width: number;
  depth: number;
  sampler: SamplerKind;
  seed: number;
  epochs: number;
  /** onnxruntime-web threads per run (needs cross-origin isolation above 1). */
  threads: number;
  runtime: Runtime;
}

/** What each run sets for itself: the update rule. */
export interface RunSettings {
  enabled: boolean;
  /** ε; with nStep > 1 the bare rate α (ε = nα), as in `sgdlab train --lr`. */
  lr: number;
  lambda: number;
  batch: number;
  nStep: number;
  regGrad: 'exact' | 'fd';
}

export interface PlaygroundSettings {
  shared: SharedSettings;
  runs: RunSettings[];
}

/** The decision-boundary grid of the 2-D sets: GRID × GRID points. */
export const GRID = 64;

/**
 * The theory view's choices: the checks with an ε grid and fitted slopes, and `sgdlab verify`'s
 * models (src/theory/models.ts MODEL_NAMES, listed here so the page does not load the compiler;
 * test/web/settings.test.ts keeps the two equal).
 */
export const THEORY_CHECKS: readonly CheckName[] = ['gd', 'sgd-epoch', 'reversal'];
export const THEORY_MODELS: readonly ModelName[] = ['linear', 'logistic', 'mlp'];

export const RUN_COUNT = 3;
export const RUN_LETTERS = ['a', 'b', 'c'] as const;

export const DEFAULT_SHARED: SharedSettings = { data: 'digits', width: 256, depth: 2, sampler: 'reshuffle', seed: 0, epochs: 20, threads: 1, runtime: 'wasm' };

/**
 * The paper's comparison at laptop scale, as `sgdlab demo` runs it (src/train/demo.ts): a small rate,
 * the same small rate plus the explicit regularizer, and a large rate.
 */
export const DEFAULT_RUNS: RunSettings[] = [
  { enabled: true, lr: 2 ** -8, lambda: 0, batch: 16, nStep: 1, regGrad: 'exact' },
  { enabled: true, lr: 2 ** -8, lambda: 1, batch: 16, nStep: 1, regGrad: 'exact' },
  { enabled: true, lr: 2 ** -3, lambda: 0, batch: 16, nStep: 1, regGrad: 'exact' },
];

export class SettingsError extends UserError {
  override name = 'SettingsError';
}

type Validator<T> = (value: string, label: string) => T;

const number = (label: string, value: string): number => {
  try {
    return parseNumber(value, label);
  } catch (e) {
    throw new SettingsError((e as Error).message);
  }
};
const oneOf = <T extends string>(allowed: readonly T[]): Validator<T> => (v, label) => {
  if (!(allowed as readonly string[]).includes(v)) throw new SettingsError(`${label}: '${v}' is not one of ${allowed.join(', ')}`);
  return v as T;
};
const intIn = (min: number, max: number): Validator<number> => (v, label) => {
  const n = number(label, v);
  if (!Number.isInteger(n) || n < min || n > max) throw new SettingsError(`${label}: must be an integer in ${min}..${max}, got ${v}`);
  return n;
};
const positiveAtMost = (max: number): Validator<number> => (v, label) => {
  const n = number(label, v);
  if (!(n > 0 && n <= max)) throw new SettingsError(`${label}: must be in (0, ${max}], got ${v}`);
  return n;
};
const nonNegativeAtMost = (max: number): Validator<number> => (v, label) => {
  const n = number(label, v);
  if (!(n >= 0 && n <= max)) throw new SettingsError(`${label}: must be in [0, ${max}], got ${v}`);
  return n;
};
const bool: Validator<boolean> = (v, label) => {
  if (v !== 'true' && v !== 'false' && v !== '1' && v !== '0') throw new SettingsError(`${label}: must be true or false, got ${v}`);
  return v === 'true' || v === '1';
};

/** Validation of each shared setting, with the bounds a browser tab can afford. */
export const SHARED_FIELDS: { [K in keyof SharedSettings]: Validator<SharedSettings[K]> } = {
  data: oneOf(DATA_KINDS),
  width: intIn(1, 2048),
  depth: intIn(0, 6),
  sampler: oneOf(SAMPLER_KINDS),
  seed: intIn(0, 2 ** 31 - 1),
  epochs: intIn(1, 2000),
  threads: intIn(1, 16),
  runtime: oneOf(RUNTIMES),
};

export const RUN_FIELDS: { [K in keyof RunSettings]: Validator<RunSettings[K]> } = {
  enabled: bool,
  lr: positiveAtMost(16),
  lambda: nonNegativeAtMost(1024),
  batch: intIn(1, 4096),
  nStep: intIn(1, 16),
  regGrad: oneOf(['exact', 'fd'] as const),
};

/** Human names of the settings, for labels and error lines. */
export const LABELS: Record<keyof SharedSettings | keyof RunSettings, string> = {
  data: 'data', width: 'width', depth: 'depth (hidden layers)', sampler: 'sampler', seed: 'seed', epochs: 'epochs', threads: 'threads per run', runtime: 'runtime',
  enabled: 'run', lr: 'ε (learning rate)', lambda: 'λ (explicit regularizer)', batch: 'B (batch size)', nStep: 'n-step', regGrad: 'regularizer gradient',
};

/** A number as the URL and the inputs show it: powers of two as "2^k", the paper's notation for its grids. */
export function formatSetting(value: number): string {
  const k = Math.log2(value);
  if (value > 0 && Number.isInteger(k) && Math.abs(k) <= 30 && Math.abs(k) >= 1) return `2^${k}`;
  return String(value);
}

function encode(value: unknown): string {
  return typeof value === 'number' ? formatSetting(value) : String(value);
}

/** Settings as URL query parameters; only values that differ from the defaults are written. */
export function settingsToQuery(s: PlaygroundSettings): string {
  const q = new URLSearchParams();
  for (const key of Object.keys(SHARED_FIELDS) as (keyof SharedSettings)[]) {
    if (s.shared[key] !== DEFAULT_SHARED[key]) q.set(key, encode(s.shared[key]));
  }
  s.runs.forEach((run, i) => {
    for (const key of Object.keys(RUN_FIELDS) as (keyof RunSettings)[]) {
      if (run[key] !== DEFAULT_RUNS[i]![key]) q.set(`${RUN_LETTERS[i]}.${key}`, encode(run[key]));
    }
  });
  return q.toString();
}

/**
 * Settings from a URL query: defaults for what is absent; every bad value is reported as one line
 * naming the parameter, and unknown parameters are errors too (a typo must not pass silently).
 */
export function settingsFromQuery(query: string): { settings: PlaygroundSettings; errors: string[] } {
  const shared: SharedSettings = { ...DEFAULT_SHARED };
  const runs = DEFAULT_RUNS.map((r) => ({ ...r }));
  const errors: string[] = [];
  for (const [key, value] of new URLSearchParams(query)) {
    try {
      const dot = /^([abc])\.(\w+)$/.exec(key);
      if (dot) {
        const field = dot[2] as keyof RunSettings;
        const validate = RUN_FIELDS[field] as Validator<unknown> | undefined;
        if (!Object.hasOwn(RUN_FIELDS, field) || !validate) throw new SettingsError(`unknown setting '${key}'`);
        (runs[RUN_LETTERS.indexOf(dot[1] as 'a')]! as unknown as Record<string, unknown>)[field] = validate(value, `${key}`);
      } else {
        const field = key as keyof SharedSettings;
        const validate = SHARED_FIELDS[field] as Validator<unknown> | undefined;
        if (!Object.hasOwn(SHARED_FIELDS, field) || !validate) throw new SettingsError(`unknown setting '${key}'`);
        (shared as unknown as Record<string, unknown>)[field] = validate(value, key);
      }
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      errors.push(`URL: ${e.message}`);
    }
  }
  return { settings: { shared, runs }, errors };
}

/** A short name of a run for legends: its rule and rates. */
export function describeRun(run: RunSettings): string {
  const parts = [`ε=${formatSetting(run.lr * run.nStep)}`];
  if (run.lambda > 0) parts.push(`λ=${formatSetting(run.lambda)}${run.regGrad === 'fd' ? ' (fd)' : ''}`);
  parts.push(`B=${run.batch}`);
  if (run.nStep > 1) parts.push(`n=${run.nStep}`);
  return parts.join(' ');
}
