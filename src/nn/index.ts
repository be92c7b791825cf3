// Models, losses and the parsing of model specs such as "mlp:4096x3" and "wrn:16-4".

export { mlp } from './mlp.ts';
export { wideResNet } from './wrn.ts';
export { crossEntropy, correctCount, l2Penalty, isDecayed } from './loss.ts';
export { normalTensor, zerosTensor, type Model, type Params } from './model.ts';

export { buildModel, modelSize, ModelSpecError, MODELS, MODEL_SYNTAX, type ModelFamily, type ModelFamilyName, type ModelSize } from './registry.ts';
