// What compile() and compileLoop() can be told: the target and its passes, and the ONNX Runtime
// session's settings. Types only, so that tracing and lowering stay free of Node modules.

import type { DeferOptions } from './targets/ort-cpu/passes/defer.ts';
import type { OrtCpuOverride } from './targets/ort-cpu/index.ts';

export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

/** 'reference': every primitive's own lowering, no passes (any ONNX runtime); 'ort-cpu': tuned for ONNX Runtime's CPU kernels. */
export type TargetName = 'reference' | 'ort-cpu';

export interface CompileOptions {
  /** Default 'ort-cpu'. The pass and override switches below apply to it only. */
  target?: TargetName;
  // ort-cpu passes, in the order they run (targets/ort-cpu/index.ts):
  /**
   * 1. Re-associate matmuls through low-rank operands (passes/lowrank.ts): double backprop's
   * x·(c·xᵀ·δ) becomes (x·xᵀ)·(c·δ). Same arithmetic up to rounding; default true.
   */
  reassociate?: boolean;
  /**
   * 2. compileLoop only: carry small-batch weight updates as low-rank factors and write the weights
   * once per window of steps (passes/defer.ts). Same arithmetic up to rounding, not bit-identical
   * to the eager loop; default false.
   */
  deferUpdates?: boolean | DeferOptions;
  /** 3. Fuse SGD updates into Gemm chains and Σx² into ReduceSumSquare while lowering (passes/fusion.ts); default true. */
  fuse?: boolean;
  /** 4. After lowering, fuse ReLUs into NCHWc convolutions and drop reorder round trips (passes/nchwc-chains.ts); default true. */
  fuseNchwc?: boolean;
  /** ort-cpu lowering overrides, each default true (targets/ort-cpu/index.ts). */
  overrides?: Partial<Record<OrtCpuOverride, boolean>>;
  /** ORT intra-op threads; default: ORT's own choice (all cores). */
  threads?: number;
  /**
   * Default 'auto': 'all' for float32 programs; 'basic' when float64 is involved, because the
   * extended fusions fold scalar factors into MatMul as float32 (≈ 2e-8 relative drift).
   */
  optimization?: GraphOptimization | 'auto';
  /** Shown in errors and stored in the model's doc string. */
  name?: string;
  /** Write ONNX Runtime's per-node profile (Chrome trace JSON) with this file prefix; see endProfiling(). */
  profilePrefix?: string;
}
