// Checks a training config must pass before any data is loaded or any run row exists: the data's
// shape suits the options (augmentation needs images), and model, batch and data fit in memory.

import { freemem, totalmem } from 'node:os';
import { ConfigError, type TrainConfig } from './config.ts';
import { datasetShape, type DataShape, type LoadDatasetOptions } from '../data/index.ts';
import { modelSize } from '../nn/index.ts';

export type { DataShape };

/** The loader's options for a config's data (loadTrainingData in src/train/loop.ts loads with these). */
export function datasetOptionsOf(config: TrainConfig): LoadDatasetOptions {
  return {
    name: config.data,
    ...(config.dataDir ? { dir: config.dataDir } : {}),
    ...(config.trainSize !== undefined ? { trainSize: config.trainSize } : {}),
    ...(config.dataSeed !== undefined ? { seed: config.dataSeed } : {}),
    ...(config.data === 'synthetic'
      ? {
          synthetic: {
            ...(config.testSize !== undefined ? { testSize: config.testSize } : {}),
            ...(config.labelNoise !== undefined ? { labelNoise: config.labelNoise } : {}),
            ...(config.dimension !== undefined ? { dimension: config.dimension } : {}),
            ...(config.classes !== undefined ? { classes: config.classes } : {}),
          },
        }
      : {}),
  };
}

/** What a config's data set looks like, known without loading it (from the data registry). */
export function dataShapeOf(config: TrainConfig): DataShape {
  return datasetShape(datasetOptionsOf(config));
}

/** Parameters and per-example activations of a model spec, by its family's formula (src/nn/registry.ts). */
export { modelSize };

/** The memory limit: SGDLAB_MAX_MEMORY (bytes, or with a K/M/G/T suffix), else 80% of this machine's memory. */
export function memoryLimit(env: NodeJS.ProcessEnv = process.env): { bytes: number; source: string } {
  const raw = env.SGDLAB_MAX_MEMORY;
  if (raw !== undefined && raw !== '') {
    const bytes = parseByteSize(raw);
    if (bytes === undefined) throw new ConfigError(`SGDLAB_MAX_MEMORY: '${raw.slice(0, 40)}' is not a size (e.g. 8G, 512M or a number of bytes)`);
    return { bytes, source: 'SGDLAB_MAX_MEMORY' };
  }
  return { bytes: Math.floor(0.8 * Math.max(totalmem(), freemem())), source: "80% of this machine's memory; set SGDLAB_MAX_MEMORY to change it" };
}

export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? '').toUpperCase()[0];
  const scale = unit === 'K' ? 2 ** 10 : unit === 'M' ? 2 ** 20 : unit === 'G' ? 2 ** 30 : unit === 'T' ? 2 ** 40 : 1;
  const bytes = Math.floor(Number(match[1]) * scale);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toPrecision(3)} ${units[unit]}`;
}

/**
 * A rough upper estimate of the bytes a run holds at once: parameters with their gradients, the
 * ONNX Runtime copies and the K-step carry (×8, ×12 with the regularizer's second backward pass),
 * activations of a batch kept for the backward pass, the data in float32 plus its preprocessed and
 * float64 copies, the stacked batches of one call (≤ 64 MB), and per-example gradients for the exact Γ.
 */
export function estimateTrainingBytes(config: TrainConfig, data: DataShape = dataShapeOf(config)): { total: number; params: number; activations: number; data: number } | undefined {
  const size = modelSize(config.model, data.example, data.classes);
  if (!size) return undefined;
  const bytes = config.dtype === 'float64' ? 8 : 4;
  const modified = config.lambda !== 0;
  const exampleSize = data.example.reduce((a, b) => a * b, 1);
  const params = size.params * bytes * (modified ? 12 : 8) + (config.exactGamma ? config.batch * size.params * bytes : 0);
  const activations = config.batch * size.activations * bytes * (modified ? 3 : 1) * 2;
  const dataBytes = (data.train + data.test) * exampleSize * (8 + (bytes === 8 ? 16 : 0)) + (64 << 20);
  return { total: params + activations + dataBytes, params, activations, data: dataBytes };
}

/**
 * Refuse a config that cannot run, before data is loaded and before a run row exists: augmentation
 * on data that are not images, or a model, batch and data set that need more memory than the limit.
 */
export function checkTrainingFits(config: TrainConfig, env: NodeJS.ProcessEnv = process.env): void {
  const data = dataShapeOf(config);
  if (config.augment && data.example.length !== 3) {
    throw new ConfigError(`augment: random crops and flips need image data [C,H,W]; ${config.data} has examples of shape [${data.example}]`);
  }
  const estimate = estimateTrainingBytes(config, data);
  if (!estimate) return;
  const limit = memoryLimit(env);
  if (estimate.total > limit.bytes) {
    throw new ConfigError(
      `model ${config.model} with batch ${config.batch} on ${data.train + data.test} examples of ${config.data} needs about ${formatBytes(estimate.total)} of memory ` +
        `(parameters ${formatBytes(estimate.params)}, activations ${formatBytes(estimate.activations)}, data ${formatBytes(estimate.data)}); the limit is ${formatBytes(limit.bytes)} (${limit.source})`,
    );
  }
}
