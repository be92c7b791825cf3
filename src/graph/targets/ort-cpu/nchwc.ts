// ONNX Runtime's blocked-layout convolution (operator set com.microsoft.nchwc), used directly: ORT's
// own optimiser converts only Convs with constant filters, and a training step's filters are inputs.
// We reorder the filter in the graph and the activations around each convolution (measured faster
// at every WRN layer shape: docs/performance.md).

import type { LowerCtx } from '../../primitives.ts';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/** Whether a convolution from `c` to `o` channels can run on the NCHWc kernel with block `b`. */
export function nchwcFits(b: number, c: number, o: number): boolean {
  return o % b === 0 && (c % b === 0 || c < b);
}

/**
 * Filter [O, C, kh, kw] in the layout the NCHWc kernel reads: OIHWBiBo, [O/b][C/b][kh][kw][bi][bo],
 * when the input is blocked, or OIHWBo, [O/b][C][kh][kw][bo], when C < b (the input stays NCHW).
 * `flipped` gives the input-gradient filter instead: rotated by 180° and with O and C swapped.
 * Forward: a 2-D transpose to [C·k, O], then a Gather of its rows of b floats into block order
 * (a two-transpose form was merged by ORT into one slow element-wise transpose).
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
 * conv(x, w) on the NCHWc kernel of channel block `b`, NCHW in and out: x [N, C, H, W], w [O, C, kh, kw] (or, with
 * `flipped`, the input-gradient filter of w [C, O, kh, kw]). The caller checks nchwcFits.
 */
export function nchwcConv(
  ctx: LowerCtx, b: number, x: string, channels: number, w: string, ws: readonly number[], flipped: boolean,
  attrs: { strides: number[]; pads: number[]; kernel_shape: number[] },
): string {
  const outChannels = flipped ? ws[1]! : ws[0]!;
  const blockedIn = channels < b ? x : ctx.node('ReorderInput', [x], {}, NCHWC_DOMAIN);
  const y = ctx.node('Conv', [blockedIn, reorderedFilter(ctx, w, ws, b, flipped)], attrs, NCHWC_DOMAIN);
  return ctx.node('ReorderOutput', [y], { channels: outChannels }, NCHWC_DOMAIN);
}
