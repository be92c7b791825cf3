// Optimizers: gradient transformations with state (optax's init/update shape), composed by chain().

export { applyUpdates, zerosLikeHost, type GradientTransformation, type OptState } from './transform.ts';
export { chain } from './chain.ts';
export { momentum, type MomentumOptions } from './momentum.ts';
export { sgd, scaleByLearningRate, hasVelocity, PLAIN_SGD, type SgdOptions, type LearningRate } from './sgd.ts';
export { scaleByAdam, ADAM_DEFAULTS, type AdamOptions } from './adam.ts';
export { OPTIMIZER_OPTIONS, type OptimizerOptionKey, type OptimizerSettings, type OptimizerEntry, type ImplicitRegularizer } from './options.ts';
export {
  OPTIMIZERS, OPTIMIZER_NAMES, DEFAULT_OPTIMIZER, PLAIN_SGD_CHOICE, keepsState, optimizerByName, optimizerSettings, optimizerTransform, optionHelp, optionKeysOf,
  type OptimizerChoice, type OptimizerName,
} from './registry.ts';
