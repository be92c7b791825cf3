// The NCHWc channel block of the runtime's ONNX Runtime CPU kernels, found by running one ReorderInput
// node through the runtime session.ts gives the target's probe (tracing and lowering never run it).

import { HostTensor } from '../../host.ts';
import { GraphLowering, ModelBuilder, valueInfo } from '../../lower.ts';
import type { ProbeRuntime } from '../target.ts';
import { NCHWC_DOMAIN } from './nchwc.ts';

const probed = new WeakMap<ProbeRuntime, Promise<number | null>>();

/**
 * The channel block of ORT's NCHWc kernels on this machine (16 with AVX-512, 8 with AVX2), read off
 * the shape ReorderInput gives a 4-channel tensor; null when this ORT build lacks the operator set.
 * Asked once per runtime (session.ts gives one per execution provider and process).
 */
export function nchwcBlockSize(run: ProbeRuntime): Promise<number | null> {
  let p = probed.get(run);
  if (!p) {
    p = probe(run);
    probed.set(run, p);
  }
  return p;
}

async function probe(run: ProbeRuntime): Promise<number | null> {
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
    const out = await run(bytes, { x: new HostTensor(new Float32Array(4), [1, 4, 1, 1]) });
    const block = out[y]!.shape[1]!;
    return Number.isInteger(block) && block >= 4 ? block : null;
  } catch {
    return null;
  }
}
