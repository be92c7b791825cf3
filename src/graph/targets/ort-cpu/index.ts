// The ONNX Runtime CPU target: lowering overrides for its kernels, and its graph passes in the order
// they run. Every switch is tested to compute the same values on and off (test/graph/targets/).

import type { LoweringOverrides, NodePass } from '../../lower.ts';
import type { Target } from '../target.ts';
import { inputGradAsConv, nchwcConv2d, planWeightGrad } from './conv.ts';
import { transposedFewRows } from './matmul.ts';
import { deferUpdates, type DeferOptions } from './passes/defer.ts';
import { fusedNodes } from './passes/fusion.ts';
import { reassociateLowRank } from './passes/lowrank.ts';
import { nchwcChainsPass } from './passes/nchwc-chains.ts';
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

/** The graph passes, in the order they run. */
export const ORT_CPU_PASSES = ['reassociate', 'deferUpdates', 'fuse', 'fuseNchwc'] as const;
export type OrtCpuPass = (typeof ORT_CPU_PASSES)[number];

export interface OrtCpuSettings {
  passes: Record<OrtCpuPass, boolean>;
  overrides: Record<OrtCpuOverride, boolean>;
  /** ORT's NCHWc channel block on this machine (probe.ts), or null: no NCHWc kernels. */
  nchwcBlock: number | null;
  defer: DeferOptions;
}

export function ortCpuTarget(s: OrtCpuSettings): Target {
  const block = s.overrides.nchwc ? s.nchwcBlock : null;
  const overrides: LoweringOverrides = {
    ...(block !== null ? { conv2d: nchwcConv2d(block) } : {}),
    ...(block !== null || s.overrides.inputGradAsConv ? { conv2dInputGrad: inputGradAsConv(block, s.overrides.inputGradAsConv) } : {}),
    ...(s.overrides.weightGradPlan ? { conv2dWeightGrad: planWeightGrad } : {}),
    ...(s.overrides.transposedFewRows ? { matmul: transposedFewRows } : {}),
    ...(s.overrides.sumByOnes ? { sum: sumByOnes } : {}),
  };
  const nodePasses: NodePass[] = s.passes.fuseNchwc && block !== null ? [nchwcChainsPass(block)] : [];
  return {
    name: 'ort-cpu',
    // 1. on the traced program
    rewrite: s.passes.reassociate ? reassociateLowRank : (outputs) => [...outputs],
    // 2. on a K-step loop's body
    deferUpdates: s.passes.deferUpdates ? (carry, newCarry, outs, steps) => deferUpdates(carry, newCarry, outs, steps, s.defer) : null,
    lowering: {
      overrides,
      // 3. while lowering
      ...(s.passes.fuse ? { fusions: fusedNodes } : {}),
      // 4. on each graph's lowered nodes
      nodePasses,
    },
  };
}
