// The training lab: configs, step builders, schedules, metrics, checkpoints and the loop.

export { train, stepKind, loadTrainingData, paramSpecs, compileTrainingSteps, type TrainOptions, type TrainResult, type Progress } from './loop.ts';
export { resolveConfig, parseNumber, effectiveLearningRate, DEFAULT_CONFIG, ConfigError, type TrainConfig } from './config.ts';
export { trainingStep, updateDirection, batchCost, FD_RADIUS, type StepKind } from './steps.ts';
export { learningRateAt } from './schedule.ts';
export { Metrics } from './metrics.ts';
export { saveParams, loadParams } from './checkpoint.ts';
