// The library's public entry: `import { grad, compile, train, … } from 'sgdlab'`. The compiler
// (trace, differentiate, lower to ONNX, run on ONNX Runtime), the models, optimizers, and the training loop.

export {
  grad, valueAndGrad, vjp, jvp, hvp, vdot, compile, compileLoop, jit, spec, TensorSpec, HostTensor, CompiledFunction,
  Tensor, constant, placeholder, flatten, GraphError, printProgram, lowerFunction, lowerLoop,
  type CompileOptions, type LoopStep, type LoopSpecs, type HostTree, type HostOf, type Traced, type Tree,
  type DType, type FloatDType, type Shape, type LoweredProgram, type TargetName, type RuntimeOptions, checkExecutionProvider,
} from './graph/index.ts';
export * as ops from './graph/ops.ts';
export * as nn from './nn/index.ts';
/** Optimizers in optax's shape: `optim.sgd(lr, { momentum, nesterov })`, `optim.chain(…)`, init/update. */
export * as optim from './optim/index.ts';
export { train, compileTrainingSteps, paramSpecs, type TrainOptions, type TrainResult, type Progress } from './train/loop.ts';
export { resolveConfig, DEFAULT_CONFIG, type TrainConfig } from './train/config.ts';
export { trainingStep, type StepKind } from './train/steps.ts';
export { Rng } from './util/random.ts';
