// Sweeps: specs, the local trainer pool, distributed workers on BullMQ/Redis, and aggregation.
// Other modules import from here, never from the files behind it.

export { SpecError, loadSweepSpec, sweepClaims, buildSweep, withBudget, gridPoints, trialKey, pointKey, trialConfig, sweepId, sweepFromStoredSpec, formatAxisValue, DERIVED_AXES, type Sweep, type SweepBudget, type SweepSpec, type Trial, type Axis, type Dimension, type Scoring, type AxisValue } from './spec.ts';
export { summarizeSweep, scorePoint, scoringValue, meanStd } from './aggregate.ts';
export type { SweepSummary, PointSummary, GridPoint, MetricSummary } from './summary.ts';
export { runLocalSweep, planTrials, lockPathFor, defaultCheckpointDir, type LocalSweepOptions, type SweepRunReport } from './local.ts';
export { runQueueSweep, runQueueWorker, jobIdFor, validateTrialJob, validateTrialResult, recordTrialResult, encodeResult, DEFAULT_QUEUE_NAME, DEFAULT_STALL_SETTINGS, QueueError, type StallSettings, type TrialJob, type TrialResult } from './queue.ts';
export { parseRedisUrl, type RedisTarget } from './redis-url.ts';
export { RemoteCheckpoints, REDIS_CHECKPOINT_LIMIT, encodeTrialCheckpoint, decodeTrialCheckpoint, jobDigest, redisCheckpointKey, tensorDigest, type TrialCheckpoint, type JobIdentity } from './remote-checkpoints.ts';
export { SweepProgress, formatSeconds, type SweepEvent } from './progress.ts';
export { summaryTable } from './table.ts';
export { readResultsFile, recordOf, importResults, exportSweepResults, exportRun, appendResult, sameTrialConfig, RESULTS_FORMAT, type ExportedTrial } from './results-file.ts';
export { trainingIdentity, sameTraining, countTrainings, type TrainingIdentity, type TrainingCount } from './identical.ts';
