// Pass of the ort-cpu target over lowered nodes: joins what the per-primitive lowering leaves apart
// around the NCHWc convolutions (nchwc.ts).

import type { NodePass, NodeProto } from '../../../lower.ts';
import { NCHWC_DOMAIN } from '../nchwc.ts';

/** The pass for channel block `block`, as the lowering driver runs it. */
export const nchwcChainsPass = (block: number): NodePass => (nodes, outputs, model) =>
  fuseNchwcChains(nodes, outputs, block, (name) => model.isZeroScalar(name));

/**
 * A pass over one graph's nodes once lowered, joining what the per-primitive lowering leaves apart
 * around the NCHWc convolutions (ORT's own NCHWc optimiser does this for the Convs it converts, not
 * for ours):
 * - Relu(ReorderOutput(Conv(…))) becomes the Conv's fused activation, when nothing else reads the
 *   pre-activation than that Relu and masks Greater(·, 0) (relu(t) > 0 exactly when t > 0), which
 *   then read the activation;
 * - ReorderInput(ReorderOutput(y)) reads y itself, when the channels fill whole blocks (no padding
 *   channels to differ).
 * `nodes` is edited in place; `outputs` are read after them (their values must stay). Returns how
 * outputs were renamed (a removed Relu's output → the reordered activation), for names the caller
 * holds. (WRN-16-4 plain step: 7 ReLUs fused, 8 reorders dropped; docs/performance.md.)
 */
export function fuseNchwcChains(nodes: NodeProto[], outputs: readonly string[], block: number, isZeroScalar: (name: string) => boolean): Map<string, string> {
  const renamed = new Map<string, string>();
  const producer = new Map<string, NodeProto>();
  const readers = new Map<string, NodeProto[]>();
  for (const n of nodes) {
    for (const o of n.output ?? []) producer.set(o, n);
    for (const i of n.input ?? []) {
      const list = readers.get(i);
      if (list) list.push(n);
      else readers.set(i, [n]);
    }
  }
  const removed = new Set<NodeProto>();
  const rename = (from: string, to: string) => {
    for (const r of readers.get(from) ?? []) r.input = r.input!.map((i) => (i === from ? to : i));
    readers.set(to, [...(readers.get(to) ?? []).filter((r) => !removed.has(r)), ...(readers.get(from) ?? [])]);
    readers.delete(from);
    renamed.set(from, to);
  };
  const isNchwc = (n: NodeProto | undefined, op: string) => n?.opType === op && n.domain === NCHWC_DOMAIN;
  for (const relu of nodes) {
    if (relu.opType !== 'Relu' || relu.domain) continue;
    const reordered = relu.input![0]!;
    if (outputs.includes(reordered)) continue;
    const out = producer.get(reordered);
    if (!isNchwc(out, 'ReorderOutput')) continue;
    const conv = producer.get(out!.input![0]!);
    if (!isNchwc(conv, 'Conv') || conv!.attribute!.some((a) => a.name === 'activation')) continue;
    if ((readers.get(conv!.output![0]!) ?? []).length !== 1) continue;
    const others = (readers.get(reordered) ?? []).filter((r) => r !== relu);
    if (!others.every((r) => r.opType === 'Greater' && !r.domain && r.input![0] === reordered && isZeroScalar(r.input![1]!))) continue;
    conv!.attribute!.push({ name: 'activation', type: 3 /* STRING */, s: new TextEncoder().encode('Relu') });
    removed.add(relu);
    rename(relu.output![0]!, reordered);
  }
  for (const reorder of nodes) {
    if (removed.has(reorder) || !isNchwc(reorder, 'ReorderInput')) continue;
    const out = producer.get(reorder.input![0]!);
    if (!isNchwc(out, 'ReorderOutput')) continue;
    const channels = Number(out!.attribute!.find((a) => a.name === 'channels')?.i ?? 0);
    if (channels === 0 || channels % block !== 0) continue;
    removed.add(reorder);
    rename(reorder.output![0]!, out!.input![0]!);
  }
  const kept = nodes.filter((n) => !removed.has(n));
  nodes.splice(0, nodes.length, ...kept);
  // A chain of renames (a → b → c) resolves to its end.
  for (const [from, to] of renamed) {
    let end = to;
    while (renamed.has(end)) end = renamed.get(end)!;
    renamed.set(from, end);
  }
  return renamed;
}
