// ONNX Runtime's blocked-layout convolution (operator set com.microsoft.nchwc), used directly.
//
// ORT's own graph optimiser moves a Conv to the NCHWc layout only when its filter is a constant,
// so a training step, whose filters are inputs, gets the plain im2col + GEMM Conv. The NCHWc
// kernel itself reads its filter at run time: we reorder the filter in the graph (OIHW to the
// blocked layouts below) and the activations in and out around each convolution.
//
// Measured, batch 32, 3×3, one session at a time, ms (plain Conv / NCHWc with the input, filter and
// output reorders): 32×32 C=O=64: 11.5 / 8.1; 16×16 C=O=128: 9.3 / 7.2; 8×8 C=O=256: 16.6 / 6.6
// plus the filter reorder (0.65, see reorderedFilter); stride 2, 16×16 128 → 256: 6.4 / 4.0.

import * as ort from 'onnxruntime-node';
import type { LowerCtx, NodeProto } from '../lower.ts';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

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
  const { ModelBuilder, GraphLowering, valueInfo } = await import('../lower.ts');
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

/** Whether a convolution from `c` to `o` channels can run on the NCHWc kernel with block `b`. */
export function nchwcFits(b: number, c: number, o: number): boolean {
  return o % b === 0 && (c % b === 0 || c < b);
}

/**
 * Filter [O, C, kh, kw] in the layout the NCHWc kernel reads: OIHWBiBo, [O/b][C/b][kh][kw][bi][bo],
 * when the input is blocked, or OIHWBo, [O/b][C][kh][kw][bo], when C < b (the input stays NCHW).
 * `flipped` gives the input-gradient filter instead: rotated by 180° and with O and C swapped.
 * Forward: a 2-D transpose to [C·k, O], then a Gather of its rows of b floats into block order
 * (ORT's optimiser merged the two-transpose form into one element-wise transpose: 9.0 ms at
 * 256×256×3×3, against 0.65 ms for this).
 */
function reorderedFilter(ctx: LowerCtx, w: string, [o, c, kh, kw]: readonly number[], b: number, flipped: boolean): string {
  const k = kh! * kw!;
  if (!flipped) {
    const t = ctx.node('Transpose', [ctx.node('Reshape', [w, ctx.int64s([o!, c! * k])])], { perm: [1, 0] }); // rows (c, tap, o/b)
    const ob = o! / b;
    const rows = new BigInt64Array(ob * c! * k);
    let i = 0;
    // Target rows (o/b, c/b, tap, c mod b); with C < b, (o/b, c, tap).
    const [cb, ci] = c! < b ? [c!, 1] : [c! / b, b];
    for (let oBlock = 0; oBlock < ob; oBlock++) {
      for (let cBlock = 0; cBlock < cb; cBlock++) {
        for (let tap = 0; tap < k; tap++) {
          for (let cIn = 0; cIn < ci; cIn++) rows[i++] = BigInt(((cBlock * ci + cIn) * k + tap) * ob + oBlock);
        }
      }
    }
    const index = ctx.constant('int64', [rows.length], rows, `nchwc-filter-rows ${o} ${c} ${k} ${b}`);
    const blocked = ctx.node('Gather', [ctx.node('Reshape', [t, ctx.int64s([c! * k * ob, b])]), index], { axis: 0 });
    return ctx.node('Reshape', [blocked, ctx.int64s([o!, c!, kh!, kw!])]);
  }
  // The filter read as [C, O, kh, kw] with taps reversed: blocks over C (its outputs) and O (its inputs).
  const t = ctx.node('Transpose', [ctx.node('Reshape', [w, ctx.int64s([o! * c!, k])])], { perm: [1, 0] }); // [k, O·C]
  const reversed = ctx.node('Slice', [t, ctx.int64s([-1]), ctx.int64s([-(k + 1)]), ctx.int64s([0]), ctx.int64s([-1])]);
  const blocked = o! < b
    ? ctx.node('Transpose', [ctx.node('Reshape', [reversed, ctx.int64s([k, o!, c! / b, b])])], { perm: [2, 1, 0, 3] })
    : ctx.node('Transpose', [ctx.node('Reshape', [reversed, ctx.int64s([k, o! / b, b, c! / b, b])])], { perm: [3, 1, 0, 2, 4] });
  return ctx.node('Reshape', [blocked, ctx.int64s([c!, o!, kh!, kw!])]);
}

/**
 * conv(x, w) on the NCHWc kernel, NCHW in and out: x [N, C, H, W], w [O, C, kh, kw] (or, with
 * `flipped`, the input-gradient filter of w [C, O, kh, kw]). The caller checks nchwcFits.
 */
export function nchwcConv(
  ctx: LowerCtx, x: string, channels: number, w: string, ws: readonly number[], flipped: boolean,
  attrs: { strides: number[]; pads: number[]; kernel_shape: number[] },
): string {
  const b = ctx.nchwcBlock!;
  const outChannels = flipped ? ws[1]! : ws[0]!;
  const blockedIn = channels < b ? x : ctx.node('ReorderInput', [x], {}, NCHWC_DOMAIN);
  const y = ctx.node('Conv', [blockedIn, reorderedFilter(ctx, w, ws, b, flipped)], attrs, NCHWC_DOMAIN);
  return ctx.node('ReorderOutput', [y], { channels: outChannels }, NCHWC_DOMAIN);
}

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
 * holds. WRN-16-4 plain step: 7 Relus fused and 8 reorders dropped, 332 → 309 ms median (best
 * 299 → 295), one session at a time.
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
