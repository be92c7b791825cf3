// Public API of the store: the SQLite run store and safetensors checkpoint files.
// Other modules import from here, never from the files behind it.

export { StoreError } from './errors.ts';
export {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  writeSafetensors,
  type SafetensorsContents,
  type StoredTensor,
  type TensorData,
  type TensorDType,
} from './safetensors.ts';
export {
  DEFAULT_RUN_STORE_PATH,
  RUN_STORE_SCHEMA_VERSION,
  RunStore,
  STANDARD_METRICS,
  migrate,
  type FinalRunStatus,
  type MetricRecord,
  type MetricValues,
  type NewRun,
  type RunOutcome,
  type RunQuery,
  type RunRecord,
  type RunStatus,
  type RunStoreOptions,
  type StandardMetric,
  type SweepRecord,
} from './runs.ts';
export { checkpointDirFor, missingPaths, removeCreatedStore } from './paths.ts';
export { DEFAULT_LEASE_TTL_MS } from './lease.ts';
