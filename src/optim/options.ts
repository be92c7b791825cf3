// The optimizers' hyperparameters as config keys (each one's flag argument, help and kind of value, once),
// and the shape of an optimizer's entry in the table of registry.ts, which says which keys it reads.

import type { GradientTransformation } from './transform.ts';
import type { Tensor } from '../graph/index.ts';

/** The rate ε: a number, or a traced scalar (train() feeds each step's scheduled rate). */
export type LearningRate = Tensor | number;

/** How a key's value is validated (src/train/config.ts maps each kind to its validator). */
export type OptionKind = 'fraction' | 'non-negative' | 'switch';

export interface OptimizerOption {
  kind: OptionKind;
  /** The flag's argument, e.g. '<β₁>' (a switch has none). */
  arg: string | null;
  /** What the value is; the table adds which optimizers read it and their defaults. */
  help: string;
}

/**
 * Every optimizer hyperparameter. Names are config keys (the flags are their kebab-case); `momentum` and
 * `nesterov` keep the names they had before optimizers were a table, so configs and sweep ids stay the same.
 */
export const OPTIMIZER_OPTIONS = {
  momentum: { kind: 'fraction', arg: '<β>', help: "momentum β in [0, 1), torch.optim.SGD's rule v ← βv + g, w ← w − εv" },
  nesterov: { kind: 'switch', arg: null, help: 'Nesterov momentum (update g + βv; needs --momentum > 0)' },
  beta1: { kind: 'fraction', arg: '<β₁>', help: 'decay β₁ in [0, 1) of the moving average of gradients' },
  beta2: { kind: 'fraction', arg: '<β₂>', help: "decay β₂ in [0, 1) of the moving average of squared gradients (RMSProp's α)" },
  adamEps: { kind: 'non-negative', arg: '<ε̂>', help: 'ε added to √v̂ (torch\'s placement), or under the root with --adam-eps-inside-root' },
  adamEpsInsideRoot: { kind: 'switch', arg: null, help: 'divide by √(v̂ + ε̂) instead of √v̂ + ε̂ (the form docs/theory.md part two analyses)' },
} as const satisfies Record<string, OptimizerOption>;

export type OptimizerOptionKey = keyof typeof OPTIMIZER_OPTIONS;
type ValueOf<K extends OptimizerOptionKey> = (typeof OPTIMIZER_OPTIONS)[K]['kind'] extends 'switch' ? boolean : number;
/** Values of the hyperparameters, by key. */
export type OptimizerSettings = { [K in OptimizerOptionKey]: ValueOf<K> };

/**
 * The explicit copy of an optimizer's implicit regularizer (`--lambda implicit`): which term
 * (the paper's squared norm (1/4)||∇Ĉ||², or the perturbed one-norm Σ_j √(ĝ_j² + ε̂)) and its λ.
 */
export interface ImplicitRegularizer {
  reg: 'sq-norm' | 'one-norm';
  lambda: number;
}

export interface OptimizerEntry<K extends OptimizerOptionKey = OptimizerOptionKey> {
  /** One line for `--help`, with the PyTorch optimizer it matches. */
  summary: string;
  /** The hyperparameters it reads, with PyTorch's defaults; a key it does not read is an error in a config. */
  defaults: { readonly [P in K]: OptimizerSettings[P] };
  /** Settings it rejects as a combination, as a message (e.g. Nesterov without momentum); undefined when valid. */
  invalid?(settings: Pick<OptimizerSettings, K>): string | undefined;
  /**
   * The update before the rate is applied, then scaled by the rate: w ← w − (what this returns). Its
   * state (init's trees) is carried through the ONNX Loop and saved in checkpoints as "opt.<name>.<path>".
   */
  transform(lr: LearningRate, settings: Pick<OptimizerSettings, K>): GradientTransformation;
  /** `--lambda implicit` for a run at rate ε with these settings (docs/theory.md §M7, §A6). */
  implicitRegularizer(lr: number, settings: Pick<OptimizerSettings, K>): ImplicitRegularizer;
}

/** Declares an entry with its key set inferred, so that tsc checks `defaults` against the options table. */
export const optimizerEntry = <K extends OptimizerOptionKey>(entry: OptimizerEntry<K>): OptimizerEntry<K> => entry;

