// The training lab: configs, step builders, schedules, metrics, checkpoints and the loop.

export { train, stepKind, loadTrainingData, paramSpecs, compileTrainingSteps, type TrainOptions, type TrainResult, type Progress } from './loop.ts';
export { resolveConfig, parseNumber, effectiveLearningRate, optimizerOf, regularizerOf, DEFAULT_CONFIG, CONFIG_FLAGS, ConfigError, type TrainConfig, type ConfigFlag, type Regularizer } from './config.ts';
export { trainingStep, updateDirection, batchCost, packCarry, unpackCarry, FD_RADIUS, SQUARED_NORM, type StepKind, type StepOptions } from './steps.ts';
export { learningRateAt } from './schedule.ts';
export { Metrics } from './metrics.ts';
export { saveParams, loadParams, OPT_PREFIX } from './checkpoint.ts';
export { BatchStream, type StackedSteps } from './batches.ts';
export { RunRecorder, newRunRecord, type TrainState, type RecorderOptions } from './recorder.ts';
