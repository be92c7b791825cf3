// RMSProp as torch.optim.RMSprop computes it (no momentum, not centered): a moving average of g² with decay
// α (the table's beta2) and no bias correction, ε added to its root (or inside it with adamEpsInsideRoot).

import { adamOneNormCoefficient } from '../theory/adam.ts';
import type { Tensor, Tree } from '../graph/index.ts';
import { adaptiveDenominator } from './adam.ts';
import { chain } from './chain.ts';
import { optimizerEntry } from './options.ts';
import { scaleByLearningRate } from './sgd.ts';
import { zerosLikeHost, zipLeaves, type GradientTransformation } from './transform.ts';

/** g/(√v + ε) with v ← αv + (1−α)g² from v₀ = 0; state named as torch names it: square_avg. */
function scaleByRms(alpha: number, eps: number, epsInsideRoot: boolean): GradientTransformation {
  return {
    init: (params) => ({ square_avg: zerosLikeHost(params) }),
    update(grads, state) {
      const v = zipLeaves(state.square_avg as Tree<Tensor>, grads, (vi, g) => vi.mul(alpha).add(g.mul(g).mul(1 - alpha)));
      return { updates: zipLeaves(grads, v, (g, vi) => g.div(adaptiveDenominator(vi, eps, epsInsideRoot))), state: { square_avg: v } };
    },
  };
}

/** The table's entry (registry.ts): torch.optim.RMSprop with its defaults α = 0.99, ε = 1e-8. */
export const RMSPROP_OPTIMIZER = optimizerEntry({
  summary: 'torch.optim.RMSprop: g/(√v + ε) with v a moving average of g² (decay α = --beta2), no momentum, no bias correction',
  defaults: { beta2: 0.99, adamEps: 1e-8, adamEpsInsideRoot: false },
  transform: (lr, s) => chain(scaleByRms(s.beta2, s.adamEps, s.adamEpsInsideRoot), scaleByLearningRate(lr)),
  // docs/theory.md Eq. A6 at β₁ = 0: C − h·α/(1−α)·Σ_j √(g_j² + ε̂), on the slow manifold (§A6: not from rest).
  implicitRegularizer: (lr, s) => ({ reg: 'one-norm', lambda: adamOneNormCoefficient(lr, 0, s.beta2) }),
});
