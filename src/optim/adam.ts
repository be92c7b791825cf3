// Adam as torch.optim.Adam computes it: moving averages of g and g², bias correction from an integer step
// count, and ε added to √v̂ outside the root (or inside it, √(v̂ + ε), the form docs/theory.md part two analyses).

import { HostTensor, type Tensor, type Tree } from '../graph/index.ts';
import { adamOneNormCoefficient } from '../theory/adam.ts';
import type { GradientTransformation } from './transform.ts';
import { zerosLikeHost, zipLeaves } from './transform.ts';
import { chain } from './chain.ts';
import { optimizerEntry } from './options.ts';
import { scaleByLearningRate } from './sgd.ts';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  /** ε: torch adds it to √v̂ (epsInsideRoot false); the theory's ε̂ sits under the root. */
  eps: number;
  epsInsideRoot: boolean;
}

/** torch.optim.Adam's defaults (lr 1e-3 aside: the rate is the run's). */
export const ADAM_DEFAULTS: AdamOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, epsInsideRoot: false };

/** √v̂ + ε, or √(v̂ + ε) with ε inside the root. */
export const adaptiveDenominator = (vHat: Tensor, eps: number, inside: boolean): Tensor => (inside ? vHat.add(eps).sqrt() : vHat.sqrt().add(eps));

/**
 * The step count as the state keeps it: an int64 scalar, so that it is exact at any length (a float32
 * count stops growing at 2^24 steps) and is stored in checkpoints as safetensors I64, an integer that
 * PyTorch, JAX and HF tooling read as one. The graph casts it to the run's float dtype for β^t.
 */
export const zeroStepCount = (): HostTensor => new HostTensor(BigInt64Array.of(0n), []);

/** 1 − β^t for the int64 count t, as exp(t·ln β) in `like`'s float dtype (the graph has no tensor-exponent power). */
export function biasCorrection(beta: number, count: Tensor, like: Tensor): Tensor {
  return count.cast(like.dtype).mul(Math.log(beta)).exp().neg().add(1);
}

/**
 * The update m̂/(√v̂ + ε) of torch.optim.Adam (before the rate): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * t ← t + 1, m̂ = m/(1−β₁^t), v̂ = v/(1−β₂^t). State, named as torch names it: exp_avg, exp_avg_sq, step.
 */
export function scaleByAdam(options: AdamOptions): GradientTransformation {
  const { beta1, beta2, eps, epsInsideRoot } = options;
  if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`adam: β₁ must be in [0, 1), got ${beta1}`);
  if (!(beta2 >= 0 && beta2 < 1)) throw new RangeError(`adam: β₂ must be in [0, 1), got ${beta2}`);
  if (!(eps >= 0)) throw new RangeError(`adam: ε must be ≥ 0, got ${eps}`);
  return {
    init: (params) => ({ exp_avg: zerosLikeHost(params), exp_avg_sq: zerosLikeHost(params), step: zeroStepCount() }),
    update(grads, state) {
      const step = (state.step as Tensor).add(1);
      const m = zipLeaves(state.exp_avg as Tree<Tensor>, grads, (mi, g) => mi.mul(beta1).add(g.mul(1 - beta1)));
      const v = zipLeaves(state.exp_avg_sq as Tree<Tensor>, grads, (vi, g) => vi.mul(beta2).add(g.mul(g).mul(1 - beta2)));
      const updates = zipLeaves(m, v, (mi, vi) => {
        const mHat = mi.div(biasCorrection(beta1, step, mi));
        const vHat = vi.div(biasCorrection(beta2, step, vi));
        return mHat.div(adaptiveDenominator(vHat, eps, epsInsideRoot));
      });
      return { updates, state: { exp_avg: m, exp_avg_sq: v, step } };
    },
  };
}

/** The table's entry (registry.ts): torch.optim.Adam, with the theory's ε̂-inside-the-root as an option. */
export const ADAM_OPTIMIZER = optimizerEntry({
  summary: 'torch.optim.Adam: bias-corrected moving averages of g and g², ε added to √v̂',
  defaults: { beta1: ADAM_DEFAULTS.beta1, beta2: ADAM_DEFAULTS.beta2, adamEps: ADAM_DEFAULTS.eps, adamEpsInsideRoot: ADAM_DEFAULTS.epsInsideRoot },
  transform: (lr, s) => chain(scaleByAdam({ beta1: s.beta1, beta2: s.beta2, eps: s.adamEps, epsInsideRoot: s.adamEpsInsideRoot }), scaleByLearningRate(lr)),
  // docs/theory.md Eq. A6: C + h(β₁/(1−β₁) − β₂/(1−β₂))·Σ_j √(g_j² + ε̂), h the rate.
  implicitRegularizer: (lr, s) => ({ reg: 'one-norm', lambda: adamOneNormCoefficient(lr, s.beta1, s.beta2) }),
});
