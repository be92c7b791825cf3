// Messages between the page and its workers (one worker per run, one for the theory view).

import type { Dataset } from '../data/dataset.ts';
import type { CheckName, CheckResult, ModelName } from '../theory/index.ts';
import type { Evaluation, RunStatus } from './engine.ts';
import type { Runtime, RunSettings, SharedSettings } from './settings.ts';

export interface StartMessage {
  type: 'start';
  shared: SharedSettings;
  run: RunSettings;
  data: { train: Dataset; test?: Dataset; plane?: { min: number; max: number } };
  runtime: Runtime;
  threads: number;
  /** Where onnxruntime-web's .wasm and loader are served (the page's origin). */
  wasmBase: string;
}

export type ToWorker =
  | StartMessage
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'parameters' }
  | { type: 'theory'; check: CheckName; model: ModelName; epsilonCount: number; wasmBase: string };

export interface ParameterTensor {
  path: string;
  shape: number[];
  data: Float32Array;
}

export type FromWorker =
  | { type: 'status'; status: RunStatus }
  | { type: 'evaluation'; evaluation: Evaluation }
  | { type: 'grid'; grid: Uint8Array; step: number }
  | { type: 'parameters'; tensors: ParameterTensor[]; step: number }
  | { type: 'runtime'; threads: number; crossOriginIsolated: boolean }
  | { type: 'theory'; result: CheckResult; seconds: number }
  | { type: 'error'; message: string };
