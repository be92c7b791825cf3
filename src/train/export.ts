// A trained network as a plain ONNX inference graph: parameters baked in as initializers, one input
// "input" [batch, ...example shape] and one output "logits". Opset 17, float32, loads in any runtime.

import { compile, constant, flatten, spec, type HostTensor, type Tensor, type Tree } from '../graph/index.ts';
import { buildModel } from '../nn/index.ts';
import { Rng } from '../util/random.ts';
import { loadParams } from './checkpoint.ts';

export interface ExportOptions {
  modelSpec: string;
  inputShape: number[];
  numClasses: number;
  batch: number;
}

export async function exportInferenceModel(checkpoint: string, options: ExportOptions): Promise<Uint8Array> {
  const model = buildModel(options.modelSpec, options.inputShape, options.numClasses);
  // The template fixes names and shapes; its values are replaced by the checkpoint's.
  const { params } = loadParams(checkpoint, model.init(new Rng(0), 'float32'));
  const flat = flatten<HostTensor>(params);
  const program = await compile(
    ({ input }: { input: Tensor }) => {
      const baked = flat.unflatten(flat.leaves.map((t) => constant(t.data as Float32Array, t.shape, 'float32'))) as Tree<Tensor>;
      return { logits: model.apply(baked, input) };
    },
    { input: spec([options.batch, ...options.inputShape], 'float32') },
    { name: `${options.modelSpec} inference` },
  );
  const bytes = program.model;
  await program.release();
  return bytes;
}
