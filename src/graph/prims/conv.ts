// 2-D convolution (NCHW input, OIHW weights) and its two adjoints. The three are closed under
// differentiation, so derivatives of any order stay in this family:
//   <w, WG(x, g)> = <conv(x, w), g>   and   <y, IG(g, w)> = <conv(y, w), g>.
// float32 lowers to ONNX Conv/ConvTranspose; float64 (no ORT kernels) lowers to im2col + MatMul.

import type { ConvGeometry, RuleTable } from '../primitives.ts';
import { bind, type Tensor } from '../tensor.ts';
import type { LowerCtx } from '../lower.ts';
import { GraphError, fmtShape, type Aval, type Shape } from '../types.ts';
import { nchwcConv, nchwcFits } from './nchwc.ts';
import { sumLeadingAxes } from './reduce.ts';

export type ConvPrimitive = 'conv2d' | 'conv2dInputGrad' | 'conv2dWeightGrad';

/** Output spatial size of a convolution, or an error naming the shapes. */
export function convOutputSize(prim: string, [h, w]: [number, number], [kh, kw]: [number, number], g: ConvGeometry): [number, number] {
  const [sh, sw] = g.stride;
  const [pt, pl, pb, pr] = g.padding;
  const ho = Math.floor((h + pt + pb - kh) / sh) + 1;
  const wo = Math.floor((w + pl + pr - kw) / sw) + 1;
  if (ho < 1 || wo < 1) throw new GraphError(`${prim}: kernel ${kh}x${kw} larger than padded input ${h}x${w}`);
  return [ho, wo];
}

function checkGeometry(prim: string, g: ConvGeometry): void {
  if (g.stride.some((s) => !Number.isInteger(s) || s < 1) || g.padding.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new GraphError(`${prim}: bad stride [${g.stride}] or padding [${g.padding}]`);
  }
}

function rank4(prim: string, what: string, a: Aval): readonly number[] {
  if (a.shape.length !== 4) throw new GraphError(`${prim}: ${what} must be rank 4, got ${fmtShape(a.shape)}`);
  return a.shape;
}

function sameFloat(prim: string, a: Aval, b: Aval): void {
  if (a.dtype !== b.dtype) throw new GraphError(`${prim}: dtype mismatch ${a.dtype} vs ${b.dtype}`);
  if (a.dtype !== 'float32' && a.dtype !== 'float64') throw new GraphError(`${prim}: needs float tensors, got ${a.dtype}`);
}

const geometry = (p: ConvGeometry): ConvGeometry => ({ stride: p.stride, padding: p.padding });

export const conv2d = (x: Tensor, w: Tensor, g: ConvGeometry): Tensor => bind('conv2d', [x, w], geometry(g));
const inputGrad = (g: Tensor, w: Tensor, p: ConvGeometry, inputSize: [number, number]): Tensor =>
  bind('conv2dInputGrad', [g, w], { ...geometry(p), inputSize });
const weightGrad = (x: Tensor, g: Tensor, p: ConvGeometry, kernelSize: [number, number]): Tensor =>
  bind('conv2dWeightGrad', [x, g], { ...geometry(p), kernelSize });

const spatial = (s: Shape): [number, number] => [s[2]!, s[3]!];

export const convRules: RuleTable<ConvPrimitive> = {
  conv2d: {
    abstractEval: ([x, w], p) => {
      const [n, c] = rank4('conv2d', 'input', x!);
      const [o, ci, kh, kw] = rank4('conv2d', 'weight', w!);
      sameFloat('conv2d', x!, w!);
      checkGeometry('conv2d', p);
      if (c !== ci) throw new GraphError(`conv2d: input ${fmtShape(x!.shape)} has ${c} channels, weight ${fmtShape(w!.shape)} expects ${ci}`);
      const [ho, wo] = convOutputSize('conv2d', spatial(x!.shape), [kh!, kw!], p);
      return { dtype: x!.dtype, shape: [n!, o!, ho, wo] };
    },
    vjp: (g, [x, w], p) => [inputGrad(g, w!, p, spatial(x!.shape)), weightGrad(x!, g, p, spatial(w!.shape))],
    lower: (ctx, [x, w], p, { inputs: [xt, wt], out }) => {
      if (out.dtype === 'float32') {
        const attrs = { strides: p.stride, pads: p.padding, kernel_shape: spatial(wt!.shape) };
        const [o, c] = wt!.shape as number[];
        if (ctx.nchwcBlock && nchwcFits(ctx.nchwcBlock, c!, o!)) return nchwcConv(ctx, x!, c!, w!, wt!.shape, false, attrs);
        return ctx.node('Conv', [x!, w!], attrs);
      }
      return im2colConv(ctx, x!, xt!.shape, w!, wt!.shape, p);
    },
  },
  conv2dInputGrad: {
    abstractEval: ([g, w], p) => {
      const [n, o, ho, wo] = rank4('conv2dInputGrad', 'cotangent', g!);
      const [ow, c, kh, kw] = rank4('conv2dInputGrad', 'weight', w!);
      sameFloat('conv2dInputGrad', g!, w!);
      checkGeometry('conv2dInputGrad', p);
      const expect = convOutputSize('conv2dInputGrad', p.inputSize, [kh!, kw!], p);
      if (o !== ow || expect[0] !== ho || expect[1] !== wo) {
        throw new GraphError(`conv2dInputGrad: cotangent ${fmtShape(g!.shape)} does not fit weight ${fmtShape(w!.shape)} and input size ${p.inputSize.join('x')}`);
      }
      return { dtype: g!.dtype, shape: [n!, c!, ...p.inputSize] };
    },
    vjp: (ct, [g, w], p) => [conv2d(ct, w!, p), weightGrad(ct, g!, p, spatial(w!.shape))],
    lower: (ctx, [g, w], p, { inputs: [gt, wt], out }) => {
      const [kh, kw] = spatial(wt!.shape);
      const [ho, wo] = spatial(gt!.shape);
      // Rows/columns of the input that the strided kernel never reached come back as output_padding.
      const extra: [number, number] = [
        p.inputSize[0] - (p.stride[0] * (ho - 1) + kh - p.padding[0] - p.padding[2]),
        p.inputSize[1] - (p.stride[1] * (wo - 1) + kw - p.padding[1] - p.padding[3]),
      ];
      const transposedPads = [kh - 1 - p.padding[0], kw - 1 - p.padding[1], kh - 1 - p.padding[2] + extra[0], kw - 1 - p.padding[3] + extra[1]];
      // At stride 1 the adjoint is itself a convolution with the flipped, channel-swapped kernel,
      // and ORT's Conv beats its ConvTranspose (GEMM + col2im) from 16×16 up: 0.55–0.68× the time
      // at WRN-16-4's 32×32 and 16×16 shapes; at 8×8 they are level, so ConvTranspose stays there.
      // Where the channels fit, the NCHWc kernel (nchwc.ts) takes it at every size.
      const asConv = out.dtype === 'float32' && p.stride[0] === 1 && p.stride[1] === 1 && transposedPads.every((v) => v >= 0);
      const [o, c] = wt!.shape as number[];
      if (asConv && ctx.nchwcBlock && nchwcFits(ctx.nchwcBlock, o!, c!)) {
        return nchwcConv(ctx, g!, o!, w!, wt!.shape, true, { strides: [1, 1], pads: transposedPads, kernel_shape: [kh, kw] });
      }
      if (asConv && ho * wo >= 256) {
        return ctx.node('Conv', [g!, flippedKernel(ctx, w!, kh, kw)], { strides: [1, 1], pads: transposedPads, kernel_shape: [kh, kw] });
      }
      if (out.dtype === 'float32') {
        return ctx.node('ConvTranspose', [g!, w!], {
          strides: p.stride, pads: p.padding, kernel_shape: [kh, kw], output_padding: extra,
        });
      }
      return im2colInputGrad(ctx, g!, gt!.shape, w!, wt!.shape, p, extra);
    },
  },
  conv2dWeightGrad: {
    abstractEval: ([x, g], p) => {
      const [n, c] = rank4('conv2dWeightGrad', 'input', x!);
      const [ng, o, ho, wo] = rank4('conv2dWeightGrad', 'cotangent', g!);
      sameFloat('conv2dWeightGrad', x!, g!);
      checkGeometry('conv2dWeightGrad', p);
      const expect = convOutputSize('conv2dWeightGrad', spatial(x!.shape), p.kernelSize, p);
      if (n !== ng || expect[0] !== ho || expect[1] !== wo) {
        throw new GraphError(`conv2dWeightGrad: cotangent ${fmtShape(g!.shape)} does not fit input ${fmtShape(x!.shape)} and kernel ${p.kernelSize.join('x')}`);
      }
      return { dtype: x!.dtype, shape: [o!, c!, ...p.kernelSize] };
    },
    vjp: (ct, [x, g], p) => [inputGrad(g!, ct, p, spatial(x!.shape)), conv2d(x!, ct, p)],
    // GEMMs against the unfolded input (ORT has no weight-gradient convolution kernel; a Conv with
    // the cotangent as its filter, plain or NCHWc, measured 2–3× slower). One GEMM per example,
    // summed over the batch by a product with ones (weightGradPlan), rather than one over the whole
    // batch, whose operands must first move the batch axis inwards. Per example / whole batch,
    // batch 32, ms: 3×3 32×32 C=O=64 14.4 / 18.7, 16×16 C=O=128 12.5 / 15.3, 8×8 C=O=256
    // 14.1 / 15.3, stride 2 16×16 128 → 256 7.4 / 8.5, 1×1 stride 2 1.0 / 1.1–1.3; 1.4–2.7× at
    // WRN-10-1's layers (while the sum was a ReduceSum, 4.1 ms for [32,384,384], the whole batch won
    // at 16×16 and 8×8). float32 unfolds with grouped one-hot Convs (one pass, against Pad + kh·kw
    // Slices + Concat: 20.1 → 15.9 ms at 32×32 C=O=64, 3.2 → 2.5 at C=O=16); at stride 1 the GEMM
    // takes the kernel's rows from the cotangent and its columns from the input when that writes
    // less (splitUnfoldWeightGrad: 16.9 → 15.5 and 2.7 → 2.2 ms). Winograd F(3×3, 2×2) was tried:
    // its point-major transposes cost more than the 2.25× fewer GEMM FLOPs save.
    lower: (ctx, [x, g], p, { inputs: [xt, gt], out }) => {
      const [n, c, h, w] = xt!.shape as number[];
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
      const cols = byConv
        ? ctx.node('Reshape', [
          ctx.node('Transpose', [ctx.node('Reshape', [unfoldByConv(ctx, x!, xt!.shape, [kh, kw], p), ctx.int64s([n!, c! * kh * kw, 1, ho! * wo!])])], { perm: [1, 2, 0, 3] }),
          ctx.int64s([c! * kh * kw, n! * ho! * wo!]),
        ])
        : im2col(ctx, ctx.node('Transpose', [x!], { perm: [1, 0, 2, 3] }), [c!, n!, h!, w!], [kh, kw], p, 'taps-first'); // [C·kh·kw, N·Ho·Wo]
      const gMat = ctx.node('Reshape', [ctx.node('Transpose', [g!], { perm: [1, 0, 2, 3] }), ctx.int64s([o!, n! * ho! * wo!])]);
      return ctx.node('Reshape', [ctx.node('MatMul', [gMat, ctx.node('Transpose', [cols], { perm: [1, 0] })]), ctx.int64s([o!, c!, kh, kw])]);
    },
  },
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
  // Per example unless the N products [m, cols] would outweigh the operands 8 to 1 (the largest
  // WRN-16-4 layer is at 6; a 640-channel 8×8 layer would be at 15).
  const perExample = m * cols <= 8 * (m + cols) * k;
  return { split, perExample, gemm: perExample ? { batch: n!, m, k, n: cols } : { batch: 1, m, k: n! * k, n: cols } };
}

/**
 * Unfold the padded input [N, C, H, W] with one strided Slice per kernel tap: [N, C·kh·kw, Ho·Wo], or
 * with 'taps-first' [N·kh·kw, C·Ho·Wo] (the weight gradient passes Xᵀ = [C, N, H, W] and gets
 * [C·kh·kw, N·Ho·Wo]).
 */
function im2col(ctx: LowerCtx, x: string, xs: Shape, [kh, kw]: [number, number], p: ConvGeometry, layout: 'channels-first' | 'taps-first' = 'channels-first'): string {
  const [n, c, h, w] = xs as number[];
  const [ho, wo] = convOutputSize('conv2d', [h!, w!], [kh, kw], p);
  const [sh, sw] = p.stride;
  const [pt, pl, pb, pr] = p.padding;
  const padded = pt + pl + pb + pr > 0 ? ctx.node('Pad', [x, ctx.int64s([0, 0, pt, pl, 0, 0, pb, pr])]) : x;
  const axis = layout === 'taps-first' ? 1 : 2;
  const taps: string[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const tap = ctx.node('Slice', [
        padded, ctx.int64s([i, j]), ctx.int64s([i + sh * (ho - 1) + 1, j + sw * (wo - 1) + 1]), ctx.int64s([2, 3]), ctx.int64s([sh, sw]),
      ]);
      taps.push(ctx.node('Unsqueeze', [tap, ctx.int64s([axis])]));
    }
  }
  // [N, C, kh·kw, Ho, Wo] or [N, kh·kw, C, Ho, Wo]
  const stacked = taps.length === 1 ? taps[0]! : ctx.node('Concat', taps, { axis });
  return layout === 'taps-first'
    ? ctx.node('Reshape', [stacked, ctx.int64s([n! * kh * kw, c! * ho * wo])])
    : ctx.node('Reshape', [stacked, ctx.int64s([n!, c! * kh * kw, ho * wo])]);
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
 * axis inwards: kw·X + kh·G written (and moved) instead of kh·kw·X. Summing over the input's rows
 * rather than the padded ones saves (pt+pb)/H of the GEMM (25% at 8×8): WRN-16-4 plain 333 → 311 ms.
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

function im2colConv(ctx: LowerCtx, x: string, xs: Shape, w: string, ws: Shape, p: ConvGeometry): string {
  const [n, , h, wd] = xs as number[];
  const [o, c, kh, kw] = ws as number[];
  const [ho, wo] = convOutputSize('conv2d', [h!, wd!], [kh!, kw!], p);
  const cols = im2col(ctx, x, xs, [kh!, kw!], p);
  const wMat = ctx.node('Reshape', [w, ctx.int64s([o!, c! * kh! * kw!])]);
  return ctx.node('Reshape', [ctx.node('MatMul', [wMat, cols]), ctx.int64s([n!, o!, ho, wo])]);
}

/**
 * The transposed convolution as a stride-1 convolution: dilate the cotangent by the stride, pad by
 * kernel−1−padding (plus the unreached rows), and convolve with the flipped, channel-swapped kernel.
 */
function im2colInputGrad(ctx: LowerCtx, g: string, gs: Shape, w: string, ws: Shape, p: ConvGeometry, extra: [number, number]): string {
  const [n, o, ho, wo] = gs as number[];
  const [, c, kh, kw] = ws as number[];
  const [sh, sw] = p.stride;
  let dilated = g;
  let [dh, dw] = [ho!, wo!];
  if (sh > 1 || sw > 1) {
    const spread = ctx.node('Reshape', [g, ctx.int64s([n!, o!, ho!, 1, wo!, 1])]);
    const zeros = ctx.node('Pad', [spread, ctx.int64s([0, 0, 0, 0, 0, 0, 0, 0, 0, sh - 1, 0, sw - 1])]);
    const flat = ctx.node('Reshape', [zeros, ctx.int64s([n!, o!, ho! * sh, wo! * sw])]);
    [dh, dw] = [(ho! - 1) * sh + 1, (wo! - 1) * sw + 1];
    dilated = ctx.node('Slice', [flat, ctx.int64s([0, 0]), ctx.int64s([dh, dw]), ctx.int64s([2, 3])]);
  }
  // Padding needed on each side; a negative amount (padding > kernel−1) crops instead.
  const before = [kh! - 1 - p.padding[0], kw! - 1 - p.padding[1]];
  const after = [kh! - 1 - p.padding[2] + extra[0], kw! - 1 - p.padding[3] + extra[1]];
  const padPos = [...before, ...after].map((v) => Math.max(0, v));
  let framed = padPos.some((v) => v > 0)
    ? ctx.node('Pad', [dilated, ctx.int64s([0, 0, padPos[0]!, padPos[1]!, 0, 0, padPos[2]!, padPos[3]!])])
    : dilated;
  if ([...before, ...after].some((v) => v < 0)) {
    const [fh, fw] = [dh + padPos[0]! + padPos[2]!, dw + padPos[1]! + padPos[3]!];
    const cropStart = [Math.max(0, -before[0]!), Math.max(0, -before[1]!)];
    const cropEnd = [fh - Math.max(0, -after[0]!), fw - Math.max(0, -after[1]!)];
    framed = ctx.node('Slice', [framed, ctx.int64s(cropStart), ctx.int64s(cropEnd), ctx.int64s([2, 3])]);
  }
  const framedShape = [n!, o!, dh + before[0]! + after[0]!, dw + before[1]! + after[1]!];
  const unit: ConvGeometry = { stride: [1, 1], padding: [0, 0, 0, 0] };
  return im2colConv(ctx, framed, framedShape, flippedKernel(ctx, w, kh!, kw!), [c!, o!, kh!, kw!], unit);
}

/** The kernel [O, C, kh, kw] rotated by 180° with its channels swapped: [C, O, kh, kw]. */
function flippedKernel(ctx: LowerCtx, w: string, kh: number, kw: number): string {
  const flipped = ctx.node('Slice', [w, ctx.int64s([-1, -1]), ctx.int64s([-(kh + 1), -(kw + 1)]), ctx.int64s([2, 3]), ctx.int64s([-1, -1])]);
  return ctx.node('Transpose', [flipped], { perm: [1, 0, 2, 3] });
}
