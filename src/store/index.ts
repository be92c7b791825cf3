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
export { RUN_STORE_SCHEMA_VERSION } from './schema.ts';
export { DEFAULT_RUN_STORE_PATH, RunStore, type RunStoreOptions } from './runs.ts';
export {
  STANDARD_METRICS,
  type FinalRunStatus,
  type MetricRecord,
  type MetricValues,
  type NewRun,
  type RunOutcome,
  type RunQuery,
  type RunRecord,
  type RunStatus,
  type StandardMetric,
  type SweepRecord,
} from './codecs.ts';
export { checkpointDirFor, missingPaths, removeCreatedStore, storeInputs } from './paths.ts';
export { DEFAULT_LEASE_TTL_MS } from './lease.ts';
