// Optimizers: gradient transformations with state (optax's init/update shape), composed by chain().

export { applyUpdates, zerosLikeHost, type GradientTransformation, type OptState } from './transform.ts';
export { chain } from './chain.ts';
export { momentum, type MomentumOptions } from './momentum.ts';
export { sgd, scaleByLearningRate, hasVelocity, PLAIN_SGD, type SgdOptions, type LearningRate } from './sgd.ts';
