// `sgdlab export CHECKPOINT --model … --out model.onnx`: a checkpoint as an ONNX inference graph.

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { exportInferenceModel } from '../train/export.ts';
import { loadTrainingData, resolveConfig } from '../train/index.ts';
import { UsageError } from './errors.ts';
import { formatBytes, memoryLimit, modelSize } from '../train/preflight.ts';
import { checkOutputPaths } from '../util/output-path.ts';
import { dataSpecPath, isDataSpec } from '../data/index.ts';

/** A decimal integer in [min, max]; anything else (2^60, -3, 1e3, '') is a one-line UsageError. */
function boundedInteger(text: string, flag: string, min: number, max: number): number {
  const n = /^\s*-?\d{1,16}\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag}: '${text.slice(0, 40)}' is not an integer from ${min} to ${max}`);
  return n;
}

/** The exported graph holds the parameters and one batch of activations: refuse what cannot fit. */
function checkExportFits(model: string, inputShape: number[], classes: number, batch: number): void {
  const size = modelSize(model, inputShape, classes);
  if (!size) return;
  const bytes = 4 * (3 * size.params + batch * (size.activations + inputShape.reduce((a, b) => a * b, 1)));
  const limit = memoryLimit();
  if (bytes > limit.bytes) throw new UsageError(`export: model ${model} with batch ${batch} needs about ${formatBytes(bytes)} of memory; the limit is ${formatBytes(limit.bytes)} (${limit.source})`);
}

export function register(program: Command): void {
  program
    .command('export <checkpoint>')
    .requiredOption('--model <spec>', 'the model the checkpoint was trained as, e.g. mlp:256x2')
    .requiredOption('--out <file>', 'the .onnx file to write')
    .option('--data <name>', 'data set the model was trained on, for its input shape and classes (a name, idx:DIR or file:PATH.safetensors, as in train)', 'digits')
    .option('--data-dir <dir>', 'directory of that data set (fashion-mnist, cifar10)')
    .option('--input-shape <dims>', 'per-example input shape instead of --data, e.g. 3,32,32')
    .option('--classes <n>', 'number of classes, with --input-shape', '10')
    .option('--batch <n>', 'batch size of the exported graph (static)', '1')
    .action(async (checkpoint: string, opts: { model: string; out: string; data: string; dataDir?: string; inputShape?: string; classes: string; batch: string }) => {
      checkOutputPaths([{ flag: '--out', path: opts.out, kind: 'file' }], [
        { flag: 'checkpoint', path: checkpoint },
        ...(opts.dataDir ? [{ flag: '--data-dir', path: opts.dataDir, directory: true }] : []),
        ...(isDataSpec(opts.data) && dataSpecPath(opts.data) ? [{ flag: '--data', ...dataSpecPath(opts.data)! }] : []),
      ]);
      let inputShape: number[];
      let numClasses: number;
      if (opts.inputShape) {
        inputShape = opts.inputShape.split(',').map((d) => boundedInteger(d, `--input-shape ${opts.inputShape}`, 1, 1 << 20));
        if (inputShape.length > 8) throw new UsageError(`--input-shape ${opts.inputShape}: at most 8 dimensions`);
        numClasses = boundedInteger(opts.classes, '--classes', 1, 1 << 20);
      } else {
        const { train } = loadTrainingData(resolveConfig({ data: opts.data, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) }, 'export'));
        inputShape = train.shape;
        numClasses = train.numClasses;
      }
      const batch = boundedInteger(opts.batch, '--batch', 1, 1 << 20);
      checkExportFits(opts.model, inputShape, numClasses, batch);
      const bytes = await exportInferenceModel(checkpoint, { modelSpec: opts.model, inputShape, numClasses, batch });
      writeFileSync(opts.out, bytes);
      process.stdout.write(`wrote ${opts.out} (${(bytes.length / 1024).toFixed(0)} KiB): input "input" float32[${[batch, ...inputShape]}], output "logits" float32[${batch},${numClasses}], opset 17\n`);
    });
}
