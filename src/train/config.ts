// A training run's configuration: one validated object, built from CLI flags or a --config file.
// Rates and λ accept powers of two ("2^-9"), the paper's notation for its grids.

import { SAMPLER_KINDS, PREPROCESS_MODES, DATA_SPEC_FORMS, isDataSpec, type SamplerKind, type Preprocess, type DataSpec } from '../data/index.ts';
import { describeValue } from '../util/describe.ts';
import type { SgdOptions } from '../optim/index.ts';
import { momentumRegularizerCoefficient } from '../theory/momentum.ts';
import { UserError } from '../util/user-error.ts';

export class ConfigError extends UserError {
  override name = 'ConfigError';
}

/** A data set's name, or a source and its argument ("idx:DIR", "file:PATH.safetensors"): src/data/registry.ts. */
export type DataName = DataSpec;
export type RegGrad = 'exact' | 'fd';
export type Schedule = 'constant' | 'paper';

export interface TrainConfig {
  data: DataName;
  dataDir?: string;
  preprocess: Preprocess;
  /** CIFAR-style pad-4 crop + flip; default on for cifar10 (the paper's pipeline), off otherwise. */
  augment: boolean;
  model: string;
  batch: number;
  /** The learning rate ε; with nStep > 1 this is the bare rate α and the effective rate is ε = nα. */
  lr: number;
  /** Coefficient λ of the explicit regularizer (Sec. 2.3); 0 trains on C alone. */
  lambda: number;
  regGrad: RegGrad;
  nStep: number;
  /**
   * Momentum β of torch.optim.SGD's rule (v ← βv + g, w ← w − εv); absent is 0, the paper's plain
   * SGD. Absent rather than 0 by default, so that configs and sweep ids from before stay the same.
   */
  momentum?: number;
  /** Nesterov momentum (needs momentum > 0); absent is false. */
  nesterov?: boolean;
  sampler: SamplerKind;
  dropLast: boolean;
  epochs?: number;
  steps?: number;
  schedule: Schedule;
  weightDecay: number;
  seed: number;
  dtype: 'float32' | 'float64';
  init?: string;
  save?: string;
  /** Evaluate every this many epochs (and always at the end). */
  evalEvery: number;
  /** Updates per ONNX Runtime call (a Loop of this many steps); 0 picks automatically. */
  stepsPerCall: number;
  /** Per-example gradients for the exact Γ at each evaluation (small models only). */
  exactGamma: boolean;
  /** Synthetic data options. */
  trainSize?: number;
  testSize?: number;
  labelNoise?: number;
  /** Synthetic: input dimension and number of classes (e.g. 784 and 10 for Fashion-MNIST-shaped data). */
  dimension?: number;
  classes?: number;
  /** Seed of the data set itself (synthetic data, the digits split); fixed across a sweep's seeds. Default 0. */
  dataSeed?: number;
  threads?: number;
}

export const DEFAULT_CONFIG: TrainConfig = {
  data: 'digits',
  preprocess: 'standardize',
  augment: false,
  model: 'mlp:256x2',
  batch: 16,
  lr: 2 ** -5,
  lambda: 0,
  regGrad: 'exact',
  nStep: 1,
  sampler: 'reshuffle',
  dropLast: false,
  schedule: 'constant',
  weightDecay: 0,
  seed: 0,
  dtype: 'float32',
  evalEvery: 1,
  stepsPerCall: 0,
  exactGamma: false,
};

/** "0.01", "1e-3", "2^-9", "2**-9" → number; anything else is a one-line error naming the option. */
export function parseNumber(value: unknown, option: string): number {
  if (typeof value !== 'number' && typeof value !== 'string') throw new ConfigError(`${option}: ${describeValue(value)} is not a number (e.g. 0.01, 1e-3 or 2^-9)`);
  const s = String(value).trim();
  // A leading sign applies to the power: "-2^-8" is −(2^−8), not (−2)^−8 = +2^−8.
  const pow = /^([+-]?)(\d+(?:\.\d+)?)\s*(?:\^|\*\*)\s*([+-]?\d+(?:\.\d+)?)$/.exec(s);
  const n = typeof value === 'number' ? value : pow ? (pow[1] === '-' ? -1 : 1) * Number(pow[2]) ** Number(pow[3]) : s === '' ? NaN : Number(s);
  if (!Number.isFinite(n)) throw new ConfigError(`${option}: '${s}' is not a number (e.g. 0.01, 1e-3 or 2^-9)`);
  return n;
}

type Validator = (v: unknown, key: string) => unknown;
/** A value as typed (flags and numbers print as given), anything else described without converting it. */
const shown = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v).slice(0, 60) : describeValue(v));
const oneOf = (allowed: readonly string[]): Validator => (v, key) => {
  if (typeof v !== 'string' || !allowed.includes(v)) throw new ConfigError(`${key}: ${describeValue(v)} is not one of ${allowed.join(', ')}`);
  return v;
};
/** An integer in [min, max] (a safe integer, so it survives JSON, SQLite and the Rng exactly). */
const intIn = (min: number, max: number): Validator => (v, key) => {
  const n = parseNumber(v, key);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(`${key}: must be an integer from ${min} to ${max}, got ${shown(v)}`);
  return n;
};
const SAFE = Number.MAX_SAFE_INTEGER;
const positive: Validator = (v, key) => {
  const n = parseNumber(v, key);
  if (!(n > 0)) throw new ConfigError(`${key}: must be positive, got ${shown(v)}`);
  return n;
};
const nonNegative: Validator = (v, key) => {
  const n = parseNumber(v, key);
  if (!(n >= 0)) throw new ConfigError(`${key}: must be ≥ 0, got ${shown(v)}`);
  return n;
};
const bool: Validator = (v, key) => {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new ConfigError(`${key}: must be true or false, got ${shown(v)}`);
};
const str: Validator = (v, key) => {
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${key}: must be a non-empty string`);
  return v;
};
const momentumCoefficient: Validator = (v, key) => {
  const n = parseNumber(v, key);
  if (!(n >= 0 && n < 1)) throw new ConfigError(`${key}: must be in [0, 1), got ${v}`);
  return n;
};
const fraction: Validator = (v, key) => {
  const n = parseNumber(v, key);
  if (!(n >= 0 && n <= 1)) throw new ConfigError(`${key}: must be in [0, 1], got ${shown(v)}`);
  return n;
};

// Integer ranges: what the loop can represent. Whether a model, batch and data set fit in memory is
// checked as a whole by checkTrainingFits (src/train/preflight.ts), with the limit in its message.
const FIELDS: Record<keyof TrainConfig, Validator> = {
  data: (v, key) => {
    if (!isDataSpec(v)) throw new ConfigError(`${key}: ${describeValue(v)} is not one of ${DATA_SPEC_FORMS.join(', ')}`);
    return v;
  },
  dataDir: str,
  preprocess: oneOf(PREPROCESS_MODES),
  augment: bool,
  model: str,
  batch: intIn(1, 1 << 24),
  lr: positive,
  // A number, or "implicit": the λ whose λ·C_reg matches the ||∇C||² weight of the run's own implicit
  // regularizer (docs/theory.md §M7: ε(1+β)/(1−β)² for heavy-ball momentum, ε for plain SGD), set below.
  lambda: (v, key) => (v === 'implicit' ? v : nonNegative(v, key)),
  regGrad: oneOf(['exact', 'fd']),
  nStep: intIn(1, 1_000_000),
  momentum: momentumCoefficient,
  nesterov: bool,
  sampler: oneOf(SAMPLER_KINDS),
  dropLast: bool,
  epochs: intIn(1, 1_000_000),
  steps: intIn(0, 1e12),
  schedule: oneOf(['constant', 'paper']),
  weightDecay: nonNegative,
  seed: intIn(0, SAFE),
  dtype: oneOf(['float32', 'float64']),
  init: str,
  save: str,
  evalEvery: intIn(1, 1_000_000),
  stepsPerCall: intIn(0, 1_000_000),
  exactGamma: bool,
  trainSize: intIn(1, 1 << 30),
  testSize: intIn(0, 1 << 30),
  labelNoise: fraction,
  dimension: intIn(1, 1 << 30),
  classes: intIn(1, 1 << 20),
  dataSeed: intIn(0, SAFE),
  threads: intIn(1, 1024),
};

/** The validator of a config key; own properties only, so '__proto__' or 'constructor' is an unknown key. */
export function configField(key: string): Validator | undefined {
  return Object.hasOwn(FIELDS, key) ? FIELDS[key as keyof TrainConfig] : undefined;
}

/** Every config key, in table order. */
export const CONFIG_FIELD_NAMES: readonly string[] = Object.keys(FIELDS);

/** Validate a partial config (from a file or flags) over the defaults; unknown keys are errors. */
export function resolveConfig(partial: Record<string, unknown>, source = 'config'): TrainConfig {
  const out: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    const validate = configField(key);
    if (!validate) throw new ConfigError(`${source}: unknown key '${key}' (known: ${Object.keys(FIELDS).join(', ')})`);
    out[key] = validate(value, key);
  }
  const config = out as unknown as TrainConfig;
  if (!Object.hasOwn(partial, 'augment') || partial.augment === undefined) config.augment = config.data === 'cifar10';
  // The defaults stay absent (see TrainConfig.momentum).
  if (config.momentum === 0) delete config.momentum;
  if (config.nesterov === false) delete config.nesterov;
  if (config.nesterov && config.momentum === undefined) throw new ConfigError(`${source}: nesterov needs momentum > 0`);
  if ((config.lambda as unknown) === 'implicit') {
    // The coefficient does not depend on the number of batches m (docs/theory.md §M7); with n-step SGD the bare rate α governs.
    config.lambda = momentumRegularizerCoefficient(config.lr, config.momentum ?? 0, 1, config.nesterov ? 'nesterov' : 'heavy-ball');
  }
  if (config.epochs !== undefined && config.steps !== undefined) throw new ConfigError(`${source}: give epochs or steps, not both`);
  if (config.epochs === undefined && config.steps === undefined) config.epochs = 10;
  return config;
}

/** The optimizer a config names: SGD with its momentum (0 and no Nesterov unless given). */
export const optimizerOf = (c: TrainConfig): SgdOptions => ({ momentum: c.momentum ?? 0, nesterov: c.nesterov ?? false });

/** The effective learning rate ε (Sec. 4: n-step SGD with bare rate α has ε = nα). */
export const effectiveLearningRate = (c: TrainConfig): number => c.lr * c.nStep;
