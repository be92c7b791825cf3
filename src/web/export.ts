// A playground run as files: its record in the schema of `sgdlab runs show --json`, and its
// parameters as safetensors named as `sgdlab train --save` names them, so `--init` continues it.

import { encodeSafetensors, type StoredTensor } from '../store/safetensors.ts';
import type { Evaluation, RunStatus } from './engine.ts';
import type { ParameterTensor } from './protocol.ts';
import { describeRun, type RunSettings, type SharedSettings } from './settings.ts';

/** The run's config in TrainConfig's keys (src/train/config.ts); `data` names the playground's set. */
export function runConfig(shared: SharedSettings, run: RunSettings, data: string) {
  return {
    data, preprocess: data === 'digits' ? 'standardize' : 'none', augment: false, model: `mlp:${shared.width}x${shared.depth}`,
    batch: run.batch, lr: run.lr, lambda: run.lambda, regGrad: run.regGrad, nStep: run.nStep, sampler: shared.sampler,
    dropLast: true, epochs: shared.epochs, schedule: 'constant', weightDecay: 0, seed: shared.seed, dtype: 'float32',
    evalEvery: 1, stepsPerCall: 0, exactGamma: false, effectiveLr: run.lr * run.nStep,
  };
}

/** `{...RunRecord, metrics}` as `sgdlab runs show --json` prints it (src/cli/runs.ts). */
export function runRecord(o: { index: number; shared: SharedSettings; run: RunSettings; data: string; status: RunStatus; history: Evaluation[]; createdAt: string; threads?: number }) {
  const history = o.history;
  const final = history.at(-1)?.metrics ?? null;
  let best: Record<string, number> | null = null;
  for (const h of history) {
    const key = h.metrics.test_acc !== undefined ? 'test_acc' : 'train_acc';
    if (best === null || (h.metrics[key] ?? -Infinity) > (best[key] ?? -Infinity)) best = { ...h.metrics, step: h.step, epoch: h.epoch };
  }
  const status = o.status.state === 'diverged' ? 'diverged' : o.status.state === 'failed' ? 'failed' : o.status.state === 'finished' ? 'finished' : 'running';
  return {
    id: o.index + 1,
    name: `playground ${'ABC'[o.index]}: ${describeRun(o.run)} on ${o.data}`,
    createdAt: o.createdAt,
    updatedAt: new Date().toISOString(),
    config: runConfig(o.shared, o.run, o.data),
    seed: o.shared.seed,
    status,
    error: o.status.error ?? null,
    divergedAtStep: o.status.divergedAtStep ?? null,
    checkpointPath: null,
    final,
    best,
    sweepId: null,
    trialKey: null,
    // What the store records for a run (src/util/provenance.ts), as far as a page can know it.
    provenance: {
      sgdlab: 'playground',
      gitCommit: null,
      gitDirty: null,
      node: null,
      onnxruntime: 'onnxruntime-web',
      cpu: typeof navigator === 'undefined' ? 'unknown' : navigator.userAgent,
      threads: o.threads ?? null,
    },
    metrics: history.map((h) => ({ step: h.step, epoch: h.epoch, ...h.metrics })),
  };
}

/** The parameters as one safetensors file (names "layers.0.weight", …, as saveParams writes them). */
export function parametersFile(tensors: ParameterTensor[], metadata: Record<string, string>): Uint8Array {
  const record: Record<string, StoredTensor> = {};
  for (const t of tensors) record[t.path] = { dtype: 'float32', shape: t.shape, data: t.data };
  const chunks = encodeSafetensors(record, metadata, 'playground export');
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
