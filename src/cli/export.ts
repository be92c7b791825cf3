// `sgdlab export CHECKPOINT --model … --out model.onnx`: a checkpoint as an ONNX inference graph.

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { exportInferenceModel } from '../train/export.ts';
import { loadTrainingData, resolveConfig } from '../train/index.ts';
import { UsageError } from './errors.ts';

export function register(program: Command): void {
  program
    .command('export <checkpoint>')
    .description('write a trained network as a plain ONNX inference graph (input "input", output "logits")')
    .requiredOption('--model <spec>', 'the model the checkpoint was trained as, e.g. mlp:256x2')
    .requiredOption('--out <file>', 'the .onnx file to write')
    .option('--data <name>', 'data set the model was trained on, for its input shape and classes', 'digits')
    .option('--data-dir <dir>', 'directory of that data set (fashion-mnist, cifar10)')
    .option('--input-shape <dims>', 'per-example input shape instead of --data, e.g. 3,32,32')
    .option('--classes <n>', 'number of classes, with --input-shape', '10')
    .option('--batch <n>', 'batch size of the exported graph (static)', '1')
    .action(async (checkpoint: string, opts: { model: string; out: string; data: string; dataDir?: string; inputShape?: string; classes: string; batch: string }) => {
      let inputShape: number[];
      let numClasses: number;
      if (opts.inputShape) {
        inputShape = opts.inputShape.split(',').map(Number);
        numClasses = Number(opts.classes);
        if (inputShape.some((d) => !Number.isInteger(d) || d < 1)) throw new UsageError(`--input-shape ${opts.inputShape}: expected positive integers like 3,32,32`);
      } else {
        const { train } = loadTrainingData(resolveConfig({ data: opts.data, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) }, 'export'));
        inputShape = train.shape;
        numClasses = train.numClasses;
      }
      const batch = Number(opts.batch);
      if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch ${opts.batch}: must be a positive integer`);
      const bytes = await exportInferenceModel(checkpoint, { modelSpec: opts.model, inputShape, numClasses, batch });
      writeFileSync(opts.out, bytes);
      process.stdout.write(`wrote ${opts.out} (${(bytes.length / 1024).toFixed(0)} KiB): input "input" float32[${[batch, ...inputShape]}], output "logits" float32[${batch},${numClasses}], opset 17\n`);
    });
}
