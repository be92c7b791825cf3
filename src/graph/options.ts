// What compile() and compileLoop() can be told: the target (by name, with its own options under its
// name) and the execution provider, the K-step loop's deferred carries, and the session's settings.

import type { TargetChoice } from './targets/index.ts';

export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';
export type { TargetName } from './targets/index.ts';

/**
 * `target`, `executionProvider` and each target's options under its name (`'ort-cpu': { fuse: false }`)
 * are targets/index.ts's TargetChoice; options of a target other than the chosen one are ignored.
 */
export interface CompileOptions extends TargetChoice {
  /**
   * compileLoop only: let the target carry some leaves' updates deferred (the ort-cpu target: small-batch
   * weight updates as low-rank factors, the weights written once per window of steps). Same arithmetic
   * up to rounding, not bit-identical to the eager loop; default false.
   */
  deferCarries?: boolean;
  /** ORT intra-op threads; default: ORT's own choice (all cores). */
  threads?: number;
  /**
   * Default 'auto': on the CPU provider 'all' for float32 programs and 'basic' when float64 is involved,
   * because the extended CPU fusions fold scalar factors into MatMul as float32 (≈ 2e-8 relative
   * drift); on other providers ONNX Runtime's own default, 'all'.
   */
  optimization?: GraphOptimization | 'auto';
  /** Shown in errors and stored in the model's doc string. */
  name?: string;
  /** Write ONNX Runtime's per-node profile (Chrome trace JSON) with this file prefix; see endProfiling(). */
  profilePrefix?: string;
}

/** The options that say where a program runs (a training run passes them to each of its programs). */
export type RuntimeOptions = Pick<CompileOptions, 'threads' | 'executionProvider' | 'target'>;
