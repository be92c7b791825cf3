// Optimizers in optax's shape: a transform turns gradients into updates and carries its own state.
// init runs on the host (the state starts there and travels through the ONNX Loop); update is traced.

import { flatten, HostTensor, type Tensor, type Tree } from '../graph/index.ts';

/**
 * An optimizer's state: named trees shaped like the parameters (e.g. { velocity: … }). The names
 * are the checkpoint's ("opt.velocity.layers.0.weight"); a stateless transform has none.
 */
export type OptState<L> = { readonly [name: string]: Tree<L> };

export interface GradientTransformation {
  /** The state before the first update, for these parameters. */
  init(params: Tree<HostTensor>): OptState<HostTensor>;
  /**
   * Transform `updates` (the gradients, for the first transform of a chain) given the state and
   * the current parameters; returns the new updates and this transform's new state.
   */
  update(updates: Tree<Tensor>, state: OptState<Tensor>, params: Tree<Tensor>): { updates: Tree<Tensor>; state: OptState<Tensor> };
}

/** w ← w − u. Updates are descents, subtracted as in PyTorch (optax adds negated ones). */
export function applyUpdates(params: Tree<Tensor>, updates: Tree<Tensor>): Tree<Tensor> {
  return zipLeaves(params, updates, (w, u) => w.sub(u));
}

/** A tree of the first tree's structure, from the leaves of two trees of that structure. */
export function zipLeaves(a: Tree<Tensor>, b: Tree<Tensor>, fn: (x: Tensor, y: Tensor) => Tensor): Tree<Tensor> {
  const fa = flatten<Tensor>(a);
  const fb = flatten<Tensor>(b).leaves;
  return fa.unflatten(fa.leaves.map((x, i) => fn(x, fb[i]!))) as Tree<Tensor>;
}

/** Host zeros shaped like every leaf of `params` (momentum's v₀ = 0). */
export function zerosLikeHost(params: Tree<HostTensor>): Tree<HostTensor> {
  const flat = flatten<HostTensor>(params);
  return flat.unflatten(flat.leaves.map((t) => new HostTensor(new (t.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(t.data.length), t.shape))) as Tree<HostTensor>;
}
