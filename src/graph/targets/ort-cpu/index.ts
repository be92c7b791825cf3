// The ONNX Runtime CPU target: lowering overrides for its kernels, and its graph passes in the order
// they run. Every switch is tested to compute the same values on and off (test/graph/targets/).

import type { LoweringOverrides, NodePass } from '../../lower.ts';
import { GraphError } from '../../types.ts';
import { noRewrite, type TargetDefinition } from '../target.ts';
import { inputGradAsConv, nchwcConv2d, planWeightGrad } from './conv.ts';
import { transposedFewRows } from './matmul.ts';
import { deferUpdates, type DeferOptions } from './passes/defer.ts';
import { fusedNodes } from './passes/fusion.ts';
import { reassociateLowRank } from './passes/lowrank.ts';
import { nchwcChainsPass } from './passes/nchwc-chains.ts';
import { nchwcBlockSize } from './probe.ts';
import { sumByOnes } from './sum-by-ones.ts';

/** Lowering overrides: primitives lowered for ORT's CPU kernels instead of by their reference rule. */
export const ORT_CPU_OVERRIDES = [
  'nchwc', // float32 convolutions (and stride-1 input gradients) on the blocked-layout NCHWc kernels
  'inputGradAsConv', // stride-1 conv input gradients as a Conv with the flipped kernel, not ConvTranspose
  'weightGradPlan', // conv weight gradients: per-example GEMMs, one-hot unfolding, split unfolding
  'transposedFewRows', // a·Wᵀ with few rows in a as (W·aᵀ)ᵀ
  'sumByOnes', // large sums over leading axes as a product with ones
] as const;
export type OrtCpuOverride = (typeof ORT_CPU_OVERRIDES)[number];

/**
 * The target's options (CompileOptions['ort-cpu']), every switch default true. The passes run in
 * this order; compileLoop's deferred carries (passes/defer.ts, switched by CompileOptions.deferCarries)
 * come between the first and the second.
 */
export interface OrtCpuOptions {
  /**
   * 1. Re-associate matmuls through low-rank operands (passes/lowrank.ts): double backprop's
   * x·(c·xᵀ·δ) becomes (x·xᵀ)·(c·δ). Same arithmetic up to rounding.
   */
  reassociate: boolean;
  /** 2. Fuse SGD updates into Gemm chains and Σx² into ReduceSumSquare while lowering (passes/fusion.ts). */
  fuse: boolean;
  /** 3. After lowering, fuse ReLUs into NCHWc convolutions and drop reorder round trips (passes/nchwc-chains.ts). */
  fuseNchwc: boolean;
  overrides: Record<OrtCpuOverride, boolean>;
  /** The deferred updates' window and smallest weight (passes/defer.ts; defaults in tuning.ts). */
  defer: DeferOptions;
}
export type OrtCpuGiven = Partial<Omit<OrtCpuOptions, 'overrides'>> & { overrides?: Partial<Record<OrtCpuOverride, boolean>> };

const SWITCHES = ['reassociate', 'fuse', 'fuseNchwc'] as const;
const KNOWN = [...SWITCHES, 'overrides', 'defer'];

export const ORT_CPU: TargetDefinition<OrtCpuGiven, OrtCpuOptions, number | null> = {
  summary: "tuned for ONNX Runtime's CPU kernels (NCHWc convolutions, low-rank re-association, deferred updates, fusions)",
  providers: ['cpu'],
  options(given = {}) {
    for (const k of Object.keys(given)) if (!KNOWN.includes(k)) throw new GraphError(`compile: unknown ort-cpu option '${k}' (known: ${KNOWN.join(', ')})`);
    for (const k of Object.keys(given.overrides ?? {})) {
      if (!(ORT_CPU_OVERRIDES as readonly string[]).includes(k)) throw new GraphError(`compile: unknown override '${k}' (known: ${ORT_CPU_OVERRIDES.join(', ')})`);
    }
    return {
      reassociate: given.reassociate ?? true,
      fuse: given.fuse ?? true,
      fuseNchwc: given.fuseNchwc ?? true,
      overrides: Object.fromEntries(ORT_CPU_OVERRIDES.map((k) => [k, given.overrides?.[k] ?? true])) as Record<OrtCpuOverride, boolean>,
      defer: given.defer ?? {},
    };
  },
  // ORT's NCHWc channel block where the session runs; without a runtime, no NCHWc kernels.
  probe: (o, run) => (o.overrides.nchwc ? nchwcBlockSize(run) : Promise.resolve(null)),
  create(o, nchwcBlock = null) {
    const block = o.overrides.nchwc ? nchwcBlock : null;
    const overrides: LoweringOverrides = {
      ...(block !== null ? { conv2d: nchwcConv2d(block) } : {}),
      ...(block !== null || o.overrides.inputGradAsConv ? { conv2dInputGrad: inputGradAsConv(block, o.overrides.inputGradAsConv) } : {}),
      ...(o.overrides.weightGradPlan ? { conv2dWeightGrad: planWeightGrad } : {}),
      ...(o.overrides.transposedFewRows ? { matmul: transposedFewRows } : {}),
      ...(o.overrides.sumByOnes ? { sum: sumByOnes } : {}),
    };
    const nodePasses: NodePass[] = o.fuseNchwc && block !== null ? [nchwcChainsPass(block)] : [];
    return {
      name: 'ort-cpu',
      // 1. on the traced program
      rewrite: o.reassociate ? reassociateLowRank : noRewrite,
      // on a K-step loop's body
      deferCarries: (carry, newCarry, outs, steps) => deferUpdates(carry, newCarry, outs, steps, o.defer),
      lowering: {
        overrides,
        // 2. while lowering
        ...(o.fuse ? { fusions: fusedNodes } : {}),
        // 3. on each graph's lowered nodes
        nodePasses,
      },
    };
  },
};
