// 2-D convolution (NCHW input, OIHW weights) and its two adjoints. The three are closed under
// differentiation, so derivatives of any order stay in this family:
//   <w, WG(x, g)> = <conv(x, w), g>   and   <y, IG(g, w)> = <conv(y, w), g>.
// Reference lowering: float32 to ONNX Conv/ConvTranspose, the weight gradient and every float64
// convolution (few runtimes have float64 Conv kernels) to im2col + MatMul.

import type { LowerCtx, RuleTable } from '../primitives.ts';
import type { ConvGeometry } from '../primitive-params.ts';
import { bind, type Tensor } from '../tensor.ts';
import { GraphError, fmtShape, type Aval, type Shape } from '../types.ts';

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
      if (out.dtype === 'float32') return ctx.node('Conv', [x!, w!], { strides: p.stride, pads: p.padding, kernel_shape: spatial(wt!.shape) });
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
      const extra = unreachedRows(p, spatial(gt!.shape), spatial(wt!.shape));
      if (out.dtype === 'float32') {
        return ctx.node('ConvTranspose', [g!, w!], {
          strides: p.stride, pads: p.padding, kernel_shape: spatial(wt!.shape), output_padding: extra,
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
    // One GEMM over the whole batch against the unfolded input: [O, N·Ho·Wo]·[N·Ho·Wo, C·kh·kw].
    lower: (ctx, [x, g], p, { inputs: [xt, gt] }) => {
      const [n, c, h, w] = xt!.shape as number[];
      const [, o, ho, wo] = gt!.shape as number[];
      const [kh, kw] = p.kernelSize;
      const cols = im2col(ctx, ctx.node('Transpose', [x!], { perm: [1, 0, 2, 3] }), [c!, n!, h!, w!], [kh, kw], p, 'taps-first'); // [C·kh·kw, N·Ho·Wo]
      const gMat = ctx.node('Reshape', [ctx.node('Transpose', [g!], { perm: [1, 0, 2, 3] }), ctx.int64s([o!, n! * ho! * wo!])]);
      return ctx.node('Reshape', [ctx.node('MatMul', [gMat, ctx.node('Transpose', [cols], { perm: [1, 0] })]), ctx.int64s([o!, c!, kh, kw])]);
    },
  },
};

/**
 * Rows and columns of the input that the strided kernel never reached, for output size `ho`×`wo`
 * and kernel `kh`×`kw`: the input gradient gives them back as ConvTranspose's output_padding.
 */
export function unreachedRows(p: ConvGeometry & { inputSize: [number, number] }, [ho, wo]: [number, number], [kh, kw]: [number, number]): [number, number] {
  return [
    p.inputSize[0] - (p.stride[0] * (ho - 1) + kh - p.padding[0] - p.padding[2]),
    p.inputSize[1] - (p.stride[1] * (wo - 1) + kw - p.padding[1] - p.padding[3]),
  ];
}

/**
 * Unfold the padded input [N, C, H, W] with one strided Slice per kernel tap: [N, C·kh·kw, Ho·Wo], or
 * with 'taps-first' [N·kh·kw, C·Ho·Wo] (the weight gradient passes Xᵀ = [C, N, H, W] and gets
 * [C·kh·kw, N·Ho·Wo]).
 */
export function im2col(ctx: LowerCtx, x: string, xs: Shape, [kh, kw]: [number, number], p: ConvGeometry, layout: 'channels-first' | 'taps-first' = 'channels-first'): string {
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

export function im2colConv(ctx: LowerCtx, x: string, xs: Shape, w: string, ws: Shape, p: ConvGeometry): string {
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
export function flippedKernel(ctx: LowerCtx, w: string, kh: number, kw: number): string {
  const flipped = ctx.node('Slice', [w, ctx.int64s([-1, -1]), ctx.int64s([-(kh + 1), -(kw + 1)]), ctx.int64s([2, 3]), ctx.int64s([-1, -1])]);
  return ctx.node('Transpose', [flipped], { perm: [1, 0, 2, 3] });
}
