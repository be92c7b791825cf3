// What a compilation target is (rewrites of the traced program, deferred carries of K-step loops,
// additions to the reference lowering), and what a target's entry in the table (targets/index.ts) declares.

import type { GraphLowering, LoweringPlan } from '../lower.ts';
import type { HostTensor } from '../host.ts';
import type { Tensor } from '../tensor.ts';

/**
 * The contract between a target and compileLoop for carries whose updates are deferred: the loop
 * carries `state` (from zeros) instead of the leaf, binds `base` to the leaf's value when the window
 * began, and after the window writes the leaf's new value with `write`. Within the window the body
 * never forms the leaf; the target has rewritten every use of it in terms of `base` and `state`.
 */
export interface DeferredCarry {
  /** Index of the leaf among the carried leaves. */
  index: number;
  /** Placeholder of the leaf at the start of the window (loop-invariant; read from the enclosing scope). */
  base: Tensor;
  /** Placeholders of what the loop carries instead of the leaf, each starting at zeros. */
  state: readonly Tensor[];
  /** That state after one step. */
  stateNext: readonly Tensor[];
  /** Append to `g` the nodes that form the leaf after the window from `base` and the final state; returns its name. */
  write(g: GraphLowering, base: string, state: readonly string[]): string;
}

/** A loop body rewritten to carry some leaves deferred. */
export interface DeferredLoop {
  /** Steps per window: the loop writes the deferred leaves after every `window` steps. */
  window: number;
  carries: DeferredCarry[];
  /** The body's outputs rewritten: the new carry (deferred leaves' entries unused) and per-step outputs. */
  newCarry: Tensor[];
  outs: Tensor[];
}

/** Rewrite a K-step loop's body (carry → newCarry, outs) to defer some carries' updates, or null when none qualifies. */
export type DeferCarries = (carry: readonly Tensor[], newCarry: readonly Tensor[], outs: readonly Tensor[], steps: number) => DeferredLoop | null;

export interface Target {
  /** The table's name for it (stored with the lowered program, so a session can check its provider). */
  name: string;
  /** The program's outputs rewritten before lowering (same values up to rounding). */
  rewrite(outputs: readonly Tensor[]): Tensor[];
  /** compileLoop with `deferCarries`: the body rewritten to carry deferred updates; null: the target has no such rewrite. */
  deferCarries: DeferCarries | null;
  lowering: LoweringPlan;
}

/** Runs a small ONNX model on the runtime a program will run on (session.ts supplies it), for a target's probe. */
export type ProbeRuntime = (model: Uint8Array, inputs: Record<string, HostTensor>) => Promise<Record<string, HostTensor>>;

/**
 * A target's entry in the table (targets/index.ts). `G` is what a caller may give (CompileOptions
 * keyed by the target's name), `O` the options with every default filled in, `F` what the target
 * learns from the runtime before lowering.
 */
export interface TargetDefinition<G, O, F = undefined> {
  /** One line: what the target is for. */
  summary: string;
  /** The ONNX Runtime execution providers its graphs may run on; 'any' for plain ONNX. */
  providers: 'any' | readonly string[];
  /** The caller's options validated (unknown keys are GraphErrors) and completed with the defaults. */
  options(given: G | undefined): O;
  /** Ask the runtime what lowering needs to know (without a runtime, create gets undefined). */
  probe?: (options: O, run: ProbeRuntime) => Promise<F>;
  create(options: O, probed: F | undefined): Target;
}

/** A target's rewrites that change nothing: the reference lowering's, and any target without program passes. */
export const noRewrite = (outputs: readonly Tensor[]): Tensor[] => [...outputs];
