// SGD as the paper runs it (w ← w − ε∇Ĉ), and with momentum as torch.optim.SGD does it, as transforms.

import { flatten, type Tensor, type Tree } from '../graph/index.ts';
import type { GradientTransformation } from './transform.ts';
import { chain } from './chain.ts';
import { momentum } from './momentum.ts';

/** The rate ε: a number, or a traced scalar (train() feeds each step's scheduled rate). */
export type LearningRate = Tensor | number;

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
