// The NCHWc channel block of this machine's ONNX Runtime, found by running one ReorderInput node.
// Node only (onnxruntime-node): the session module asks it; tracing and lowering never do.

import * as ort from 'onnxruntime-node';
import { GraphLowering, ModelBuilder, valueInfo } from '../../lower.ts';
import { NCHWC_DOMAIN } from './nchwc.ts';

let probed: Promise<number | null> | undefined;

/**
 * The channel block of ORT's NCHWc kernels on this machine (16 with AVX-512, 8 with AVX2), read off
 * the shape ReorderInput gives a 4-channel tensor; null when this ORT build lacks the operator set.
 */
export function nchwcBlockSize(): Promise<number | null> {
  probed ??= probe();
  return probed;
}

async function probe(): Promise<number | null> {
  const model = new ModelBuilder();
  const g = new GraphLowering(model);
  const y = g.node('ReorderInput', ['x'], {}, NCHWC_DOMAIN);
  const bytes = model.encode({
    name: 'nchwc_probe',
    node: g.nodes,
    input: [valueInfo('x', 'float32', [1, 4, 1, 1])],
    output: [{ name: y, type: { tensorType: { elemType: 1 } } }],
  });
  try {
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
    const block = out[y]!.dims[1]!;
    await session.release();
    return Number.isInteger(block) && block >= 4 ? block : null;
  } catch {
    return null;
  }
}
