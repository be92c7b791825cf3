// A traced function lowered to one ONNX model for a target: the model's bytes and how host tensors
// map to its inputs and outputs. No runtime here: session.ts opens the model in ONNX Runtime (Node),
// the browser playground in onnxruntime-web.

import { topologicalOrder } from './graph-order.ts';
import type { HostTensor, HostTree } from './host.ts';
import { GraphLowering, ModelBuilder, valueInfo, type GraphProto } from './lower.ts';
import type { CompileOptions } from './options.ts';
import type { Tensor } from './tensor.ts';
import { targetWithoutRuntime, type Target } from './targets/index.ts';
import { outputLeaves, placeholders, type TensorSpec, type Traced } from './trace.ts';
import type { Aval } from './types.ts';

export interface LoweredProgram {
  name: string;
  /** The target it was lowered for (a session checks that the target runs on its execution provider). */
  target: string;
  model: Uint8Array;
  inputs: { names: string[]; specs: TensorSpec[]; structure: string };
  outputs: { names: string[]; rebuild: (leaves: HostTensor[]) => HostTree };
  /** Whether any tensor of the program is float64 (the session then avoids float32-only fusions). */
  usesFloat64: boolean;
}

export const usesFloat64 = (outputs: readonly Tensor[]): boolean => topologicalOrder(outputs).some((t) => t.dtype === 'float64');

/**
 * Graph outputs get their own Identity nodes (an output may be an input, or appear twice), named
 * after their paths in the output tree so that exported models read well ("logits", "out.loss").
 */
export function nameOutputs(g: GraphLowering, names: string[], leaves: readonly Aval[], paths: readonly string[], taken: readonly string[]) {
  const used = new Set(taken);
  return names.map((n, i) => {
    let wanted = paths[i] || 'output';
    while (used.has(wanted)) wanted = `${wanted}_out`;
    used.add(wanted);
    g.nodes.push({ opType: 'Identity', input: [n], output: [wanted], name: g.model.fresh('output_') });
    return { name: wanted, info: valueInfo(wanted, leaves[i]!.dtype, leaves[i]!.shape), path: paths[i]! };
  });
}

/**
 * Trace `fn` on placeholders with the given specs and lower it for `target` (default: the options'
 * target as it lowers without asking a runtime; compile() passes the one it prepared for its session).
 */
export function lowerFunction<S>(fn: (inputs: Traced<S>) => unknown, specs: S, options: CompileOptions = {}, target: Target = targetWithoutRuntime(options)): LoweredProgram {
  const name = options.name ?? (fn.name || 'function');
  const ins = placeholders(specs, '');
  const out = outputLeaves(fn(ins.tree as Traced<S>), `compile ${name}`);
  const model = new ModelBuilder();
  const g = new GraphLowering(model, target.lowering);
  const bound = new Map(ins.leaves.map((t, i) => [t.id, ins.names[i]!]));
  const outs = nameOutputs(g, g.lower(target.rewrite(out.leaves), bound), out.leaves, out.paths, ins.names);
  const graph: GraphProto = {
    name,
    node: g.nodes,
    input: ins.leaves.map((t, i) => valueInfo(ins.names[i]!, t.dtype, t.shape)),
    output: outs.map((o) => o.info),
  };
  return {
    name,
    target: target.name,
    model: model.encode(graph, `sgdlab: ${name}`),
    inputs: { names: ins.names, specs: ins.specs, structure: ins.structure },
    outputs: { names: outs.map((o) => o.name), rebuild: (leaves) => out.unflatten(leaves) as HostTree },
    usesFloat64: usesFloat64(out.leaves),
  };
}
