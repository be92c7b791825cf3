// The ort-cpu target's convolution lowerings: NCHWc kernels, the stride-1 input gradient as a Conv,
// and the weight gradient's plan (split or full unfolding, one GEMM per example or per batch). ORT has
// no weight-gradient convolution kernel; a Conv with the cotangent as its filter measured 2–3× slower
// than these GEMMs (docs/performance.md, "Convolutions").

import type { LoweringOverride } from '../../lower.ts';
import type { LowerCtx } from '../../primitives.ts';
import type { ConvGeometry } from '../../primitive-params.ts';
import { convOutputSize, flippedKernel, im2col, unreachedRows } from '../../prims/conv.ts';
import type { Aval, Shape } from '../../types.ts';
import { nchwcConv, nchwcFits } from './nchwc.ts';
import { sumLeadingAxes } from './sum-by-ones.ts';
import { INPUT_GRAD_AS_CONV_MIN_POSITIONS, WEIGHT_GRAD_PER_EXAMPLE_MAX_RATIO } from './tuning.ts';

const spatial = (s: Shape): [number, number] => [s[2]!, s[3]!];

/** float32 convolutions on the NCHWc kernel of channel block `block` where the channels fit. */
export const nchwcConv2d = (block: number): LoweringOverride<'conv2d'> => (ctx, [x, w], p, { inputs: [, wt], out }) => {
  const [o, c] = wt!.shape as number[];
  if (out.dtype !== 'float32' || !nchwcFits(block, c!, o!)) return undefined;
  return nchwcConv(ctx, block, x!, c!, w!, wt!.shape, false, { strides: p.stride, pads: p.padding, kernel_shape: spatial(wt!.shape) });
};

/**
 * At stride 1 the input gradient is itself a convolution with the flipped, channel-swapped kernel:
 * on the NCHWc kernel (`block`, when not null) where the channels fit, else (with `plainConv`) ORT's
 * Conv from INPUT_GRAD_AS_CONV_MIN_POSITIONS output positions up (faster than its ConvTranspose there).
 */
export const inputGradAsConv = (block: number | null, plainConv: boolean): LoweringOverride<'conv2dInputGrad'> => (ctx, [g, w], p, { inputs: [gt, wt], out }) => {
  const [kh, kw] = spatial(wt!.shape);
  const [ho, wo] = spatial(gt!.shape);
  const extra = unreachedRows(p, [ho, wo], [kh, kw]);
  const transposedPads = [kh - 1 - p.padding[0], kw - 1 - p.padding[1], kh - 1 - p.padding[2] + extra[0], kw - 1 - p.padding[3] + extra[1]];
  const asConv = out.dtype === 'float32' && p.stride[0] === 1 && p.stride[1] === 1 && transposedPads.every((v) => v >= 0);
  if (!asConv) return undefined;
  const [o, c] = wt!.shape as number[];
  if (block !== null && nchwcFits(block, o!, c!)) {
    return nchwcConv(ctx, block, g!, o!, w!, wt!.shape, true, { strides: [1, 1], pads: transposedPads, kernel_shape: [kh, kw] });
  }
  if (!plainConv || ho * wo < INPUT_GRAD_AS_CONV_MIN_POSITIONS) return undefined;
  return ctx.node('Conv', [g!, flippedKernel(ctx, w!, kh, kw)], { strides: [1, 1], pads: transposedPads, kernel_shape: [kh, kw] });
};

/**
 * The weight gradient as weightGradPlan says: one GEMM per example summed by a product with ones, or
 * one over the whole batch; float32 unfolds with grouped one-hot Convs (one pass, against Pad + kh·kw
 * Slices + Concat), split between the operands at stride 1 when that writes less.
 */
export const planWeightGrad: LoweringOverride<'conv2dWeightGrad'> = (ctx, [x, g], p, { inputs: [xt, gt], out }) => {
  const [n, c] = xt!.shape as number[];
  const [, o, ho, wo] = gt!.shape as number[];
  const [kh, kw] = p.kernelSize;
  const byConv = out.dtype === 'float32';
  const { split, perExample } = weightGradPlan(xt!.shape, gt!.shape, p, out.dtype);
  if (split) return splitUnfoldWeightGrad(ctx, x!, xt!.shape, g!, gt!.shape, p, [kh, kw], perExample);
  if (perExample) {
    const cols = byConv ? unfoldByConv(ctx, x!, xt!.shape, [kh, kw], p) : im2col(ctx, x!, xt!.shape, [kh, kw], p); // [N, C·kh·kw, Ho·Wo]
    const gT = ctx.node('Transpose', [ctx.node('Reshape', [g!, ctx.int64s([n!, o!, ho! * wo!])])], { perm: [0, 2, 1] });
    const products = ctx.node('MatMul', [cols, gT]); // [N, C·kh·kw, O]
    const summed = sumLeadingAxes(ctx, products, n!, [c! * kh * kw, o!], out.dtype as 'float32' | 'float64'); // Σ over the batch
    return ctx.node('Reshape', [ctx.node('Transpose', [summed], { perm: [1, 0] }), ctx.int64s([o!, c!, kh, kw])]);
  }
  if (!byConv) return undefined; // the reference: one GEMM over the whole batch on the sliced unfolding
  const cols = ctx.node('Reshape', [
    ctx.node('Transpose', [ctx.node('Reshape', [unfoldByConv(ctx, x!, xt!.shape, [kh, kw], p), ctx.int64s([n!, c! * kh * kw, 1, ho! * wo!])])], { perm: [1, 2, 0, 3] }),
    ctx.int64s([c! * kh * kw, n! * ho! * wo!]),
  ]); // [C·kh·kw, N·Ho·Wo]
  const gMat = ctx.node('Reshape', [ctx.node('Transpose', [g!], { perm: [1, 0, 2, 3] }), ctx.int64s([o!, n! * ho! * wo!])]);
  return ctx.node('Reshape', [ctx.node('MatMul', [gMat, ctx.node('Transpose', [cols], { perm: [1, 0] })]), ctx.int64s([o!, c!, kh, kw])]);
};

/**
 * How conv2dWeightGrad lowers for input `xs` and cotangent `gs`: the split unfolding (float32, stride
 * 1, when it writes less than the full one) or the full one; one GEMM per example or one over the
 * whole batch; and that GEMM's shape, [batch, m, k]·[batch, k, n] (batch 1 for the whole batch).
 * Exported so that the bench can time the GEMM alone, the floor of this lowering.
 */
export function weightGradPlan(xs: Shape, gs: Shape, p: ConvGeometry & { kernelSize: [number, number] }, dtype: Aval['dtype']): { split: boolean; perExample: boolean; gemm: { batch: number; m: number; k: number; n: number } } {
  const [n, c, h] = xs as number[];
  const [, o, ho, wo] = gs as number[];
  const [kh, kw] = p.kernelSize;
  const splitWrites = (kw * c! + kh * o!) * h! * wo!;
  const splitFits = p.stride[0] === 1 && p.stride[1] === 1 && Math.max(p.padding[0], p.padding[2]) <= kh - 1;
  const split = dtype === 'float32' && splitFits && splitWrites < kh * kw * c! * ho! * wo!;
  const positions = split ? h! * wo! : ho! * wo!;
  const [m, k, cols] = split ? [kh * o!, positions, kw * c!] : [o!, positions, kh * kw * c!];
  const perExample = m * cols <= WEIGHT_GRAD_PER_EXAMPLE_MAX_RATIO * (m + cols) * k;
  return { split, perExample, gemm: perExample ? { batch: n!, m, k, n: cols } : { batch: 1, m, k: n! * k, n: cols } };
}

/**
 * One-hot grouped-Conv filters: for each of `channels` channels, `taps` filters of shape `kernel`, the
 * t-th picking position pick(t).
 */
function pickFilters(ctx: LowerCtx, channels: number, kernel: [number, number], taps: number, pick: (t: number) => number): string {
  const size = kernel[0] * kernel[1];
  const data = new Float32Array(channels * taps * size);
  for (let ch = 0; ch < channels; ch++) for (let t = 0; t < taps; t++) data[(ch * taps + t) * size + pick(t)] = 1;
  return ctx.constant('float32', [channels * taps, 1, ...kernel], data, `pick ${kernel} ${taps} ${Array.from({ length: taps }, (_, t) => pick(t))}`);
}

/**
 * Stride-1 weight gradient with the kernel split between the two operands: the input unfolded along
 * its width only (kw copies of its H rows) and the cotangent along its height only (kh copies, each
 * shifted by its row tap), so ∂W[o,c,i,j] = Σ_n Σ_(h',w) G[n,o,h'+pt−i,w]·X[n,c,h',w+j−pl] (h' over
 * the input's own rows: a padded row contributes nothing, so none is formed) is a GEMM
 * [kh·O, H·Wo]·[H·Wo, kw·C] per example (summed), or one over the whole batch after moving the batch
 * axis inwards: kw·X + kh·G written (and moved) instead of kh·kw·X.
 */
function splitUnfoldWeightGrad(ctx: LowerCtx, x: string, xs: Shape, g: string, gs: Shape, p: ConvGeometry, [kh, kw]: [number, number], perExample: boolean): string {
  const [n, c, h] = xs as number[];
  const [, o, , wo] = gs as number[];
  const [pt, pl, pb, pr] = p.padding;
  const positions = h! * wo!;
  const widthTaps = ctx.node('Conv', [x, pickFilters(ctx, c!, [1, kw], kw, (j) => j)], { group: c!, kernel_shape: [1, kw], pads: [0, pl, 0, pr] }); // [N, kw·C, H, Wo]
  // Row h' of copy i is the cotangent's row h'+pt−i: tap kh−1−i of a kh×1 window padded by kh−1−pt
  // above and kh−1−pb below (H rows out of Ho = H+pt+pb−kh+1).
  const heightTaps = ctx.node('Conv', [g, pickFilters(ctx, o!, [kh, 1], kh, (i) => kh - 1 - i)], { group: o!, kernel_shape: [kh, 1], pads: [kh - 1 - pt, 0, kh - 1 - pb, 0] }); // [N, kh·O, H, Wo]
  let product: string; // [kh·O, kw·C]
  if (perExample) {
    const flat = (t: string, rows: number) => ctx.node('Reshape', [t, ctx.int64s([n!, rows, positions])]);
    const each = ctx.node('MatMul', [flat(heightTaps, kh * o!), ctx.node('Transpose', [flat(widthTaps, kw * c!)], { perm: [0, 2, 1] })]);
    product = sumLeadingAxes(ctx, each, n!, [kh * o!, kw * c!], 'float32'); // Σ over the batch
  } else {
    const batchInside = (t: string, rows: number) => ctx.node('Reshape', [
      ctx.node('Transpose', [ctx.node('Reshape', [t, ctx.int64s([n!, rows, positions])])], { perm: [1, 0, 2] }),
      ctx.int64s([rows, n! * positions]),
    ]);
    product = ctx.node('MatMul', [batchInside(heightTaps, kh * o!), ctx.node('Transpose', [batchInside(widthTaps, kw * c!)], { perm: [1, 0] })]);
  }
  return ctx.node('Transpose', [ctx.node('Reshape', [product, ctx.int64s([o!, kh, c!, kw])])], { perm: [0, 2, 1, 3] });
}

/**
 * The channels-first unfolding [N, C·kh·kw, Ho·Wo] (float32) in one pass: a grouped Conv, one group
 * per input channel, whose kh·kw filters each pick one tap.
 */
function unfoldByConv(ctx: LowerCtx, x: string, xs: Shape, [kh, kw]: [number, number], p: ConvGeometry): string {
  const [n, c, h, w] = xs as number[];
  const [ho, wo] = convOutputSize('conv2d', [h!, w!], [kh, kw], p);
  const k = kh * kw;
  const unfolded = ctx.node('Conv', [x, pickFilters(ctx, c!, [kh, kw], k, (t) => t)], { group: c!, strides: p.stride, pads: p.padding, kernel_shape: [kh, kw] });
  return ctx.node('Reshape', [unfolded, ctx.int64s([n!, c! * k, ho * wo])]);
}
