// A training run's configuration: one validated object, built from CLI flags or a --config file.
// Rates and λ accept powers of two ("2^-9"), the paper's notation for its grids.

import { SAMPLERS, PREPROCESS_MODES, DATA_SPEC_FORMS, DATA_SPEC_HELP, isDataSpec, type SamplerKind, type Preprocess, type DataSpec } from '../data/index.ts';
import { TARGETS, targetName, type TargetName } from '../graph/targets/index.ts';
import type { RuntimeOptions } from '../graph/options.ts';
import { MODEL_SYNTAX } from '../nn/index.ts';
import { describeValue } from '../util/describe.ts';
import {
  DEFAULT_OPTIMIZER, OPTIMIZERS, OPTIMIZER_OPTIONS, optimizerByName, optimizerSettings, optionHelp,
  type OptimizerChoice, type OptimizerName, type OptimizerOptionKey, type OptimizerSettings,
} from '../optim/index.ts';
import { UserError } from '../util/user-error.ts';

export class ConfigError extends UserError {
  override name = 'ConfigError';
}

/** A data set's name, or a source and its argument ("idx:DIR", "file:PATH.safetensors"): src/data/registry.ts. */
export type DataName = DataSpec;

/** The optimizers' hyperparameters (src/optim/options.ts), each absent unless given or the optimizer reads it. */
type OptimizerKeys = { [K in OptimizerOptionKey]?: OptimizerSettings[K] };

export interface TrainConfig extends OptimizerKeys {
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
  /** The explicit regularizer's term: absent is the paper's squared norm, 'one-norm' Adam's perturbed one-norm. */
  reg?: RegName;
  nStep: number;
  /**
   * The optimizer (src/optim/registry.ts); absent is SGD, whose momentum β and nesterov stay absent when
   * 0 and false, so that configs and sweep ids from before optimizers were a table stay the same. Other
   * optimizers' resolved configs carry every hyperparameter they read, defaults included.
   */
  optimizer?: OptimizerName;
  /** Weight decay as torch.optim.AdamW applies it (w ← w − ε·c·w beside the update) instead of the L2 term; absent is false. */
  decoupledWeightDecay?: boolean;
  sampler: SamplerKind;
  dropLast: boolean;
  epochs?: number;
  steps?: number;
  schedule: Schedule;
  weightDecay: number;
  seed: number;
  dtype: keyof typeof DTYPES;
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
  /** ONNX Runtime execution provider; absent is 'cpu' (absent rather than 'cpu', so configs and sweep ids from before stay the same). */
  executionProvider?: string;
  /** Compilation target; absent: the one declared for the execution provider (ort-cpu on cpu), else 'reference'. */
  target?: TargetName;
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

/** Choices with a line each, as the CLI's help shows them: "name: what it is; …". */
const described = (table: Record<string, { summary: string }>): string => Object.entries(table).map(([name, e]) => `${name}: ${e.summary}`).join('; ');

/**
 * A config key: its validator, and its `sgdlab train` flag (kebab-case of the key): the flag's argument
 * (null: a switch, true when given) and its help.
 */
interface Field {
  parse: Validator;
  arg: string | null;
  help: string;
}
const field = (parse: Validator, arg: string | null, help: string): Field => ({ parse, arg, help });
/** A key whose values are a table's names, each described in the help (between `before` and `after`). */
const choiceOf = (table: Record<string, { summary: string }>, arg: string, before = '', after = ''): Field => ({ parse: oneOf(Object.keys(table)), arg, help: `${before}${described(table)}${after}` });
/** A key whose values are a list's names: the help, then the names. */
const choice = (names: readonly string[], arg: string, help: string): Field => ({ parse: oneOf(names), arg, help: `${help} (${names.join(' | ')})` });

const REG_GRADS = { exact: { summary: 'double backprop (default)' }, fd: { summary: 'finite-difference Hessian-vector product' } };
const SCHEDULES = { constant: { summary: 'the rate throughout (default)' }, paper: { summary: 'constant for half, then halved at every remaining tenth (Sec. 4)' } };
const DTYPES = { float32: { summary: 'default' }, float64: { summary: 'for verification' } };
export type RegGrad = keyof typeof REG_GRADS;
const REGS = {
  'sq-norm': { summary: "the paper's (λ/4)||∇Ĉ_k||² (default)" },
  'one-norm': { summary: "λ·Σ_j √((∂_jĈ_k)² + ε̂), the perturbed one-norm of Adam's modified flow (docs/theory.md §A6; any sign of λ)" },
};
export type RegName = keyof typeof REGS;
export type Schedule = keyof typeof SCHEDULES;

/** The optimizers' hyperparameters as fields: validator by kind, flag argument and help from src/optim/options.ts and the optimizer table. */
function optimizerFields(): Record<OptimizerOptionKey, Field> {
  const byKind: Record<(typeof OPTIMIZER_OPTIONS)[OptimizerOptionKey]['kind'], Validator> = { fraction: momentumCoefficient, 'non-negative': nonNegative, switch: bool };
  return Object.fromEntries((Object.keys(OPTIMIZER_OPTIONS) as OptimizerOptionKey[]).map((key) => [key, field(byKind[OPTIMIZER_OPTIONS[key].kind], OPTIMIZER_OPTIONS[key].arg, optionHelp(key))])) as Record<OptimizerOptionKey, Field>;
}

// Integer ranges: what the loop can represent. Whether a model, batch and data set fit in memory is
// checked as a whole by checkTrainingFits (src/train/preflight.ts), with the limit in its message.
const FIELDS: Record<keyof TrainConfig, Field> = {
  data: {
    parse: (v, key) => {
      if (!isDataSpec(v)) throw new ConfigError(`${key}: ${describeValue(v)} is not one of ${DATA_SPEC_FORMS.join(', ')}`);
      return v;
    },
    arg: '<name>',
    help: `${DATA_SPEC_HELP} (default digits)`,
  },
  dataDir: field(str, '<dir>', 'directory with the Fashion-MNIST or CIFAR-10 files (default: $SGDLAB_DATA/<name>, ./data/<name>, then /usr/share/datasets/fashion-mnist)'),
  preprocess: choice(PREPROCESS_MODES, '<mode>', 'per-image standardization (default), scaling to [0,1], or the raw pixel values'),
  augment: field(bool, '<bool>', 'pad-4 random crop + flip (default: true for cifar10)'),
  model: field(str, '<spec>', `${MODEL_SYNTAX}; default mlp:256x2`),
  batch: field(intIn(1, 1 << 24), '<B>', 'batch size (default 16)'),
  lr: field(positive, '<eps>', `learning rate ε, e.g. 0.03 or 2^-3 (default 2^${Math.log2(DEFAULT_CONFIG.lr)}); with --n-step, the bare rate α`),
  // A number, or "implicit": the λ whose λ·C_reg matches the ||∇C||² weight of the run's own implicit
  // regularizer (docs/theory.md §M7: ε(1+β)/(1−β)² for heavy-ball momentum, ε for plain SGD), set below.
  // Any finite number here: a negative λ is refused below unless the term is the one-norm.
  lambda: field((v, key) => (v === 'implicit' ? v : parseNumber(v, key)), '<λ>',
    'coefficient λ of the explicit regularizer (--reg; default 0); "implicit": the optimizer\'s own implicit term, ε(1+β)/(1−β)² on the squared norm with --momentum β, ε(β₁/(1−β₁) − β₂/(1−β₂)) on the one-norm with adam/rmsprop (docs/theory.md)'),
  regGrad: choiceOf(REG_GRADS, '<how>'),
  reg: choiceOf(REGS, '<term>', 'the explicit regularizer: '),
  nStep: field(intIn(1, 1_000_000), '<n>', 'n updates per batch (n-step SGD, ε = nα; default 1)'),
  optimizer: choiceOf(OPTIMIZERS, '<name>', '', ` (default ${DEFAULT_OPTIMIZER})`),
  ...optimizerFields(),
  decoupledWeightDecay: field(bool, null, 'apply --weight-decay as torch.optim.AdamW does, w ← w − ε·c·w beside the update, instead of the L2 term (c/2)||w||² in the cost'),
  sampler: choiceOf(SAMPLERS, '<kind>'),
  dropLast: field(bool, null, 'allow N % B != 0 by dropping the last partial batch'),
  epochs: field(intIn(1, 1_000_000), '<E>', 'epochs to train (default 10)'),
  steps: field(intIn(0, 1e12), '<K>', 'updates to train instead of epochs (0 with --save writes the initial parameters)'),
  schedule: choiceOf(SCHEDULES, '<s>'),
  weightDecay: field(nonNegative, '<c>', 'L2 coefficient on weights (default 0)'),
  seed: field(intIn(0, SAFE), '<n>', 'random seed (default 0)'),
  dtype: choiceOf(DTYPES, '<d>'),
  init: field(str, '<file>', 'start from these parameters (safetensors)'),
  save: field(str, '<file>', 'write the final parameters (safetensors)'),
  evalEvery: field(intIn(1, 1_000_000), '<E>', 'evaluate every E epochs (default 1; always at the end)'),
  stepsPerCall: field(intIn(0, 1_000_000), '<K>', 'updates per ONNX Runtime call (default: automatic)'),
  exactGamma: field(bool, null, 'also measure Γ exactly from per-example gradients (small models)'),
  trainSize: field(intIn(1, 1 << 30), '<n>', 'training examples: the digits split, the synthetic set, or a seeded class-balanced subset of fashion-mnist/cifar10 (the test set stays whole)'),
  testSize: field(intIn(0, 1 << 30), '<n>', 'synthetic test examples'),
  labelNoise: field(fraction, '<f>', 'synthetic: fraction of training labels replaced at random'),
  dimension: field(intIn(1, 1 << 30), '<d>', 'synthetic: input dimension (default 32; 784 for Fashion-MNIST-shaped data)'),
  classes: field(intIn(1, 1 << 20), '<k>', 'synthetic: number of classes (default 10)'),
  dataSeed: field(intIn(0, SAFE), '<n>', 'seed of the data set itself (synthetic data, digits split, --train-size subset; default 0, fixed across run seeds)'),
  threads: field(intIn(1, 1024), '<n>', 'ONNX Runtime intra-op threads (default: all cores)'),
  executionProvider: field(str, '<name>', 'ONNX Runtime execution provider: cpu (default), cuda, webgpu, … as the installed runtime offers; away from cpu, the reference lowering (docs/gpu.md)'),
  target: choiceOf(TARGETS, '<name>', 'compilation target (default: the one declared for the execution provider, else reference): '),
};

/** The validator of a config key; own properties only, so '__proto__' or 'constructor' is an unknown key. */
export function configField(key: string): Validator | undefined {
  return Object.hasOwn(FIELDS, key) ? FIELDS[key as keyof TrainConfig].parse : undefined;
}

/** A `sgdlab train` flag for a config key, as commander takes it, with its help text. */
export interface ConfigFlag { key: keyof TrainConfig; flag: string; help: string }

/** Every config key's flag, in table order: the CLI registers exactly these. */
export const CONFIG_FLAGS: readonly ConfigFlag[] = (Object.entries(FIELDS) as [keyof TrainConfig, Field][]).map(([key, f]) => ({
  key,
  flag: `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}${f.arg ? ` ${f.arg}` : ''}`,
  help: f.help,
}));

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
  const choice = resolveOptimizer(config, source);
  if (config.decoupledWeightDecay === false) delete config.decoupledWeightDecay;
  if ((config.lambda as unknown) === 'implicit') {
    // The coefficient does not depend on the number of batches m (docs/theory.md §M7, §A6); with n-step SGD the bare rate α governs.
    const implicit = optimizerByName(choice.name).implicitRegularizer(config.lr, choice.settings as OptimizerSettings);
    if ((config.reg ?? 'sq-norm') !== implicit.reg && config.reg !== undefined) {
      throw new ConfigError(`${source}: lambda implicit with optimizer ${choice.name} is the ${implicit.reg} term, not reg ${config.reg}`);
    }
    config.lambda = implicit.lambda;
    config.reg = implicit.reg;
  }
  if (config.reg === 'sq-norm') delete config.reg;
  if (config.lambda < 0 && config.reg !== 'one-norm') throw new ConfigError(`lambda: must be ≥ 0 with the squared-norm term (a negative λ needs reg one-norm), got ${config.lambda}`);
  if (config.target !== undefined && config.executionProvider !== undefined) {
    try {
      targetName({ target: config.target, executionProvider: config.executionProvider });
    } catch (e) {
      throw new ConfigError(`${source}: ${(e as Error).message.replace(/^compile: /, '')}`);
    }
  }
  if (config.epochs !== undefined && config.steps !== undefined) throw new ConfigError(`${source}: give epochs or steps, not both`);
  if (config.epochs === undefined && config.steps === undefined) config.epochs = 10;
  return config;
}

/**
 * Check the optimizer's keys against the table and write its settings into the config: a key the chosen
 * optimizer does not read is an error; SGD's defaults stay absent (see TrainConfig.optimizer), another
 * optimizer's are written out.
 */
function resolveOptimizer(config: TrainConfig, source: string): OptimizerChoice {
  const name = config.optimizer ?? DEFAULT_OPTIMIZER;
  const given = Object.fromEntries(Object.keys(OPTIMIZER_OPTIONS).map((k) => [k, config[k as OptimizerOptionKey]])) as Partial<OptimizerSettings>;
  const { settings, foreign } = optimizerSettings(name, given);
  if (foreign.length > 0) throw new ConfigError(`${source}: ${foreign[0]} is not a setting of optimizer ${name} (its settings: ${Object.keys(optimizerByName(name).defaults).join(', ')})`);
  const problem = optimizerByName(name).invalid?.(settings as OptimizerSettings);
  if (problem !== undefined) throw new ConfigError(`${source}: ${problem}`);
  if (name === DEFAULT_OPTIMIZER) {
    delete config.optimizer;
    for (const [key, value] of Object.entries(optimizerByName(name).defaults)) if (config[key as OptimizerOptionKey] === value) delete config[key as OptimizerOptionKey];
  } else {
    Object.assign(config, settings);
  }
  return { name, settings };
}

/**
 * The explicit regularizer added to each batch cost (Sec. 2.3 and docs/theory.md §A6):
 * - sq-norm: (λ/4)||∇Ĉ||², the paper's term; its gradient (λ/2)·H∇Ĉ;
 * - one-norm: λ·Σ_j √((∂_jĈ)² + ε̂), the perturbed one-norm of Adam's modified flow; its gradient λ·H·u,
 *   u = ∇Ĉ/√(∇Ĉ² + ε̂) (elementwise). λ may be negative here: Adam's own implicit term has λ < 0.
 */
export type Regularizer = { kind: 'sq-norm' } | { kind: 'one-norm'; epsilon: number };

/**
 * The explicit regularizer of a config. The one-norm's ε̂ is the optimizer's, placed as in docs/theory.md
 * §A7: adamEps under the root, adamEps² when the optimizer adds it outside √v (ε̂ inside ↔ ε² outside);
 * 10⁻¹⁶ for optimizers without one (torch's default ε = 10⁻⁸, squared).
 */
export function regularizerOf(c: TrainConfig): Regularizer {
  if (c.reg !== 'one-norm') return { kind: 'sq-norm' };
  return { kind: 'one-norm', epsilon: oneNormEpsilonOf(c) ?? 1e-16 };
}

/**
 * The ε̂ of the perturbed one-norm that a run's metrics measure (one_norm, one_norm_batch): the optimizer's
 * own ε̂, placed as in regularizerOf, for optimizers that have one (adam, rmsprop); 10⁻¹⁶ for others
 * that add the one-norm term; none (not measured) otherwise.
 */
export function oneNormEpsilonOf(c: TrainConfig): number | undefined {
  const { adamEps, adamEpsInsideRoot } = optimizerOf(c).settings;
  if (adamEps !== undefined) return adamEpsInsideRoot ? adamEps : adamEps * adamEps;
  return c.reg === 'one-norm' ? 1e-16 : undefined;
}

/** The optimizer a config names, with its full settings (the table's defaults for what the config leaves out). */
export function optimizerOf(c: TrainConfig): OptimizerChoice {
  const name = c.optimizer ?? DEFAULT_OPTIMIZER;
  const given = Object.fromEntries(Object.keys(OPTIMIZER_OPTIONS).map((k) => [k, c[k as OptimizerOptionKey]])) as Partial<OptimizerSettings>;
  return { name, settings: optimizerSettings(name, given).settings };
}

/** Where a config's programs compile for and run: threads, execution provider and target, as given. */
export const runtimeOf = (c: TrainConfig): RuntimeOptions => ({
  ...(c.threads !== undefined ? { threads: c.threads } : {}),
  ...(c.executionProvider !== undefined ? { executionProvider: c.executionProvider } : {}),
  ...(c.target !== undefined ? { target: c.target } : {}),
});

/** The effective learning rate ε (Sec. 4: n-step SGD with bare rate α has ε = nα). */
export const effectiveLearningRate = (c: TrainConfig): number => c.lr * c.nStep;
