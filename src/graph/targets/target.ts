// What a compilation target is: rewrites of the traced program, the K-step loop's deferred updates,
// and additions to the reference lowering. The reference target has none of them.

import type { LoweringPlan } from '../lower.ts';
import { REFERENCE_LOWERING } from '../lower.ts';
import type { Tensor } from '../tensor.ts';
import type { DeferredBody } from './ort-cpu/passes/defer.ts';

export interface Target {
  name: 'reference' | 'ort-cpu';
  /** The program's outputs rewritten before lowering (same values up to rounding). */
  rewrite(outputs: readonly Tensor[]): Tensor[];
  /** compileLoop: rewrite the body to carry deferred weight updates, or null (no such pass). */
  deferUpdates: ((carry: readonly Tensor[], newCarry: readonly Tensor[], outs: readonly Tensor[], steps: number) => DeferredBody | null) | null;
  lowering: LoweringPlan;
}

/** Plain ONNX, every primitive by its own rule: correct on any ONNX runtime (onnxruntime-web included). */
export const REFERENCE_TARGET: Target = {
  name: 'reference',
  rewrite: (outputs) => [...outputs],
  deferUpdates: null,
  lowering: REFERENCE_LOWERING,
};
