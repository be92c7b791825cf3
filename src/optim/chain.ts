// chain(a, b, …): apply transforms in order, each to the updates of the one before (optax.chain).
// Their states sit side by side under their own names, which must differ.

import type { GradientTransformation } from './transform.ts';
import type { HostTensor, Tensor, Tree } from '../graph/index.ts';

export function chain(...transforms: GradientTransformation[]): GradientTransformation {
  return {
    init(params) {
      const state: Record<string, Tree<HostTensor>> = {};
      for (const t of transforms) {
        for (const [name, tree] of Object.entries(t.init(params))) {
          if (name in state) throw new Error(`chain: two transforms keep state named '${name}'`);
          state[name] = tree;
        }
      }
      return state;
    },
    update(updates, state, params) {
      let u = updates;
      const next: Record<string, Tree<Tensor>> = {};
      for (const t of transforms) {
        const r = t.update(u, state, params);
        u = r.updates;
        Object.assign(next, r.state);
      }
      return { updates: u, state: next };
    },
  };
}
