// Checks a training config must pass before any data is loaded or any run row exists: the data's
// shape suits the options (augmentation needs images), and model, batch and data fit in memory.

import { freemem, totalmem } from 'node:os';
import { ConfigError, type TrainConfig } from './config.ts';

/** What a config's data set looks like, known without loading it. */
export interface DataShape {
  example: number[];
  classes: number;
  train: number;
  test: number;
}

const KNOWN_DATA: Record<'digits' | 'fashion-mnist' | 'cifar10', DataShape> = {
  digits: { example: [1, 8, 8], classes: 10, train: 1200, test: 597 },
  'fashion-mnist': { example: [1, 28, 28], classes: 10, train: 60_000, test: 10_000 },
  cifar10: { example: [3, 32, 32], classes: 10, train: 50_000, test: 10_000 },
};

export function dataShapeOf(config: TrainConfig): DataShape {
  if (config.data === 'synthetic') {
    return { example: [config.dimension ?? 32], classes: config.classes ?? 10, train: config.trainSize ?? 1024, test: config.testSize ?? 1024 };
  }
  const known = KNOWN_DATA[config.data];
  if (config.data === 'digits' && config.trainSize !== undefined) return { ...known, train: config.trainSize, test: Math.max(0, 1797 - config.trainSize) };
  return config.trainSize !== undefined ? { ...known, train: Math.min(known.train, config.trainSize) } : known;
}

/** Parameters and per-example activations of a model spec, by formula (nothing is allocated). */
export function modelSize(spec: string, example: readonly number[], classes: number): { params: number; activations: number } | undefined {
  const inputs = example.reduce((a, b) => a * b, 1);
  const m = /^mlp:(\d+)x(\d+)$/.exec(spec);
  if (m) {
    const [width, depth] = [Number(m[1]), Number(m[2])];
    const sizes = [inputs, ...Array<number>(Math.min(depth, 1e6)).fill(width), classes];
    let params = 0;
    for (let i = 1; i < sizes.length; i++) params += (sizes[i - 1]! + 1) * sizes[i]!;
    return { params, activations: sizes.reduce((a, b) => a + 2 * b, 0) };
  }
  const w = /^wrn:(\d+)-(\d+)$/.exec(spec);
  if (w && example.length === 3) {
    const [depth, k] = [Number(w[1]), Number(w[2])];
    const perStage = Math.max(1, Math.floor((depth - 4) / 6));
    const [c, h, wd] = example as [number, number, number];
    let params = 16 * c * 9;
    // Every conv output is kept for the backward pass, with its ReLU and the im2col buffer (9×).
    let activations = 16 * h * wd * 11;
    let cin = 16;
    let [hh, ww] = [h, wd];
    [16 * k, 32 * k, 64 * k].forEach((cout, stage) => {
      for (let b = 0; b < perStage; b++) {
        if (b === 0 && stage > 0) [hh, ww] = [Math.ceil(hh / 2), Math.ceil(ww / 2)];
        params += cout * cin * 9 + cout * cout * 9 + 1 + (cin !== cout ? cout * cin : 0);
        activations += 2 * cout * hh * ww * 11;
        cin = cout;
      }
    });
    return { params: params + (64 * k + 1) * classes, activations };
  }
  return undefined; // buildModel names what is wrong with the spec
}

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
