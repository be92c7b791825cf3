// Heavy-ball and Nesterov momentum in PyTorch's convention (torch.optim.SGD without dampening):
// v ← βv + g, and the update is v (heavy ball) or g + βv (Nesterov); v₀ = 0, so the first v is g.

import type { GradientTransformation } from './transform.ts';
import { zerosLikeHost, zipLeaves } from './transform.ts';
import type { Tensor, Tree } from '../graph/index.ts';

export interface MomentumOptions {
  nesterov?: boolean;
}

/** optax.trace(decay = β, nesterov); its state is { velocity } shaped like the parameters. */
export function momentum(beta: number, options: MomentumOptions = {}): GradientTransformation {
  if (!(beta > 0 && beta < 1)) throw new RangeError(`momentum: β must be in (0, 1), got ${beta}`);
  return {
    init: (params) => ({ velocity: zerosLikeHost(params) }),
    update(grads, state) {
      const velocity = zipLeaves(state.velocity as Tree<Tensor>, grads, (v, g) => v.mul(beta).add(g));
      const updates = options.nesterov ? zipLeaves(grads, velocity, (g, v) => g.add(v.mul(beta))) : velocity;
      return { updates, state: { velocity } };
    },
  };
}
