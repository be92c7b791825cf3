// SGD as the paper runs it (w ← w − ε∇Ĉ), and with momentum as torch.optim.SGD does it, as transforms.

import { flatten, type Tensor, type Tree } from '../graph/index.ts';
import { momentumRegularizerCoefficient } from '../theory/momentum.ts';
import type { GradientTransformation } from './transform.ts';
import { chain } from './chain.ts';
import { momentum } from './momentum.ts';
import { optimizerEntry, type LearningRate } from './options.ts';

export type { LearningRate } from './options.ts';

/** updates ← ε·updates; stateless. */
export function scaleByLearningRate(lr: LearningRate): GradientTransformation {
  return {
    init: () => ({}),
    update(updates) {
      const flat = flatten<Tensor>(updates);
      return { updates: flat.unflatten(flat.leaves.map((u) => u.mul(lr))) as Tree<Tensor>, state: {} };
    },
  };
}

export interface SgdOptions {
  /** β in [0, 1); 0 is the paper's plain SGD, which carries no velocity at all. */
  momentum: number;
  /** Nesterov's variant (needs β > 0). */
  nesterov: boolean;
}

export const PLAIN_SGD: SgdOptions = { momentum: 0, nesterov: false };

/** Whether this SGD keeps state between steps (a velocity). */
export const hasVelocity = (o: SgdOptions): boolean => o.momentum > 0;

/** optax.sgd: chain(momentum(β, nesterov), scale by ε); with β = 0 the rate alone. */
export function sgd(lr: LearningRate, options: SgdOptions = PLAIN_SGD): GradientTransformation {
  if (!(options.momentum >= 0 && options.momentum < 1)) throw new RangeError(`sgd: momentum must be in [0, 1), got ${options.momentum}`);
  if (options.nesterov && !hasVelocity(options)) throw new RangeError('sgd: Nesterov momentum needs momentum > 0');
  const rate = scaleByLearningRate(lr);
  return hasVelocity(options) ? chain(momentum(options.momentum, { nesterov: options.nesterov }), rate) : rate;
}

/** The table's entry (registry.ts): torch.optim.SGD, plain (the paper's) or with heavy-ball or Nesterov momentum. */
export const SGD_OPTIMIZER = optimizerEntry({
  summary: 'torch.optim.SGD: w ← w − εg, or with momentum v ← βv + g, w ← w − εv (no dampening; Nesterov: g + βv)',
  defaults: { momentum: 0, nesterov: false },
  invalid: (s) => (s.nesterov && !(s.momentum > 0) ? 'nesterov needs momentum > 0' : undefined),
  transform: (lr, s) => sgd(lr, { momentum: s.momentum, nesterov: s.nesterov }),
  // docs/theory.md §M7: the λ of the squared-norm term that matches the ||∇C||² weight of the run's own regularizer.
  implicitRegularizer: (lr, s) => ({ reg: 'sq-norm', lambda: momentumRegularizerCoefficient(lr, s.momentum, 1, s.nesterov ? 'nesterov' : 'heavy-ball') }),
});
