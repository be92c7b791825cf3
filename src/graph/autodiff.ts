// Reverse-mode differentiation of traced programs. Derivative rules emit traced ops, so the
// result is itself a traced program and can be differentiated again: grad of grad, hvp, jvp.

import { rules } from './registry.ts';
import { bind, constant, onesLike, zerosLike, type Tensor } from './tensor.ts';
import { flatten, type Tree } from './pytree.ts';
import { GraphError, fmtShape, isFloat } from './types.ts';
import { topologicalOrder } from './graph-order.ts';

/**
 * Cotangents of `wrt` for Σ_i <outputs_i, cotangents_i>. Propagation stops at the `wrt` tensors,
 * and only flows through nodes that depend on one of them.
 */
export function backward(outputs: readonly Tensor[], cotangents: readonly Tensor[], wrt: readonly Tensor[]): Tensor[] {
  const order = topologicalOrder(outputs);
  const targets = new Set(wrt.map((t) => t.id));
  const dependsOnWrt = new Set<number>();
  for (const t of order) {
    if (targets.has(t.id) || (t.origin.kind === 'op' && t.origin.inputs.some((x) => dependsOnWrt.has(x.id)))) {
      dependsOnWrt.add(t.id);
    }
  }
  const cts = new Map<number, Tensor>();
  const accumulate = (t: Tensor, ct: Tensor): void => {
    const prev = cts.get(t.id);
    cts.set(t.id, prev ? prev.add(ct) : ct);
  };
  outputs.forEach((o, i) => accumulate(o, cotangents[i]!));
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k]!;
    const ct = cts.get(t.id);
    if (!ct || targets.has(t.id) || t.origin.kind !== 'op' || !dependsOnWrt.has(t.id)) continue;
    const { prim, inputs, params } = t.origin;
    const inputCts = (rules[prim].vjp as (g: Tensor, i: readonly Tensor[], p: unknown, o: Tensor) => (Tensor | null)[])(ct, inputs, params, t);
    inputs.forEach((x, i) => {
      const c = inputCts[i];
      if (c && dependsOnWrt.has(x.id)) accumulate(x, c);
    });
  }
  return wrt.map((t) => cts.get(t.id) ?? zerosLike(t));
}

function checkDifferentiable(leaves: readonly Tensor[], paths: readonly string[], fn: string): void {
  leaves.forEach((t, i) => {
    if (!isFloat(t.dtype)) {
      throw new GraphError(`${fn}: cannot differentiate with respect to '${paths[i] || 'argument'}', which has dtype ${t.dtype} (needs float32 or float64)`);
    }
  });
}

/** Fresh identity nodes for the leaves: the variables of this derivative and no other. */
function freshVariables<T>(x: T, fn: string): { leaves: Tensor[]; tree: T } {
  const flat = flatten<Tensor>(x as Tree<Tensor>);
  checkDifferentiable(flat.leaves, flat.paths, fn);
  const leaves = flat.leaves.map((t) => bind('identity', [t], {}));
  return { leaves, tree: flat.unflatten(leaves) as T };
}

function scalarOutput(y: Tensor, fn: string): void {
  if (y.rank !== 0) throw new GraphError(`${fn}: the function must return a scalar, got shape ${fmtShape(y.shape)}`);
  if (!isFloat(y.dtype)) throw new GraphError(`${fn}: the function must return a float scalar, got ${y.dtype}`);
}

/** `valueAndGrad(f)(x, ...rest)` → [f(x), ∇ₓf(x)]; x is a pytree of float tensors. */
export function valueAndGrad<T, R extends unknown[]>(f: (x: T, ...rest: R) => Tensor): (x: T, ...rest: R) => [Tensor, T] {
  return (x, ...rest) => {
    const vars = freshVariables(x, 'grad');
    const y = f(vars.tree, ...rest);
    scalarOutput(y, 'grad');
    const grads = backward([y], [onesLike(y)], vars.leaves);
    return [y, flatten<Tensor>(x as Tree<Tensor>).unflatten(grads) as T];
  };
}

/** `grad(f)(x, ...rest)` → ∇ₓf(x), with the structure of x. */
export function grad<T, R extends unknown[]>(f: (x: T, ...rest: R) => Tensor): (x: T, ...rest: R) => T {
  const vg = valueAndGrad(f);
  return (x, ...rest) => vg(x, ...rest)[1];
}

/** `vjp(f, x)` → [f(x), ct ↦ ctᵀ ∂f/∂x]; f maps a pytree to a pytree. */
export function vjp<T, U>(f: (x: T) => U, x: T): [U, (ct: U) => T] {
  const vars = freshVariables(x, 'vjp');
  const out = f(vars.tree);
  const outFlat = flatten<Tensor>(out as Tree<Tensor>);
  const inFlat = flatten<Tensor>(x as Tree<Tensor>);
  const pullback = (ct: U): T => {
    const ctFlat = flatten<Tensor>(ct as Tree<Tensor>);
    if (ctFlat.structure !== outFlat.structure) throw new GraphError('vjp: cotangent does not have the structure of the output');
    ctFlat.leaves.forEach((c, i) => {
      const o = outFlat.leaves[i]!;
      if (fmtShape(c.shape) !== fmtShape(o.shape) || c.dtype !== o.dtype) {
        throw new GraphError(`vjp: cotangent ${c.dtype}${fmtShape(c.shape)} for output ${o.dtype}${fmtShape(o.shape)}`);
      }
    });
    return inFlat.unflatten(backward(outFlat.leaves, ctFlat.leaves, vars.leaves)) as T;
  };
  return [out, pullback];
}

/**
 * Forward mode by transposing reverse mode: the pullback u ↦ uᵀJ is linear in u, so the gradient
 * of <uᵀJ, t> with respect to u is J·t. Exact, and it nests like everything else.
 */
export function jvp<T, U>(f: (x: T) => U, x: T, tangent: T): [U, U] {
  const [out, pullback] = vjp(f, x);
  const outFlat = flatten<Tensor>(out as Tree<Tensor>);
  const dummies = outFlat.leaves.map((o) => bind('identity', [zerosLike(o)], {}));
  const pulled = flatten<Tensor>(pullback(outFlat.unflatten(dummies) as U) as Tree<Tensor>).leaves;
  const tan = flatten<Tensor>(tangent as Tree<Tensor>).leaves;
  const inner = vdotAll(pulled, tan, outFlat.leaves[0]?.dtype === 'float64' ? 'float64' : 'float32');
  const jt = backward([inner], [onesLike(inner)], dummies);
  return [out, outFlat.unflatten(jt) as U];
}

/** Hessian-vector product H(x)·v of a scalar function, by reverse-over-reverse differentiation. */
export function hvp<T>(f: (x: T) => Tensor, x: T, v: T): T {
  const gradF = grad(f);
  return grad((w: T) => vdot(gradF(w), v))(x);
}

/** Σ over all leaves of Σ a·b: the inner product of two pytrees of the same structure. */
export function vdot<T>(a: T, b: T): Tensor {
  const la = flatten<Tensor>(a as Tree<Tensor>).leaves;
  const lb = flatten<Tensor>(b as Tree<Tensor>).leaves;
  if (la.length !== lb.length) throw new GraphError(`vdot: trees of ${la.length} and ${lb.length} leaves`);
  return vdotAll(la, lb, la[0]?.dtype === 'float64' ? 'float64' : 'float32');
}

function vdotAll(a: readonly Tensor[], b: readonly Tensor[], dtype: 'float32' | 'float64'): Tensor {
  let total: Tensor = constant(0, [], dtype);
  a.forEach((x, i) => {
    total = total.add(x.mul(b[i]!.cast(x.dtype)).sum().cast(dtype));
  });
  return total;
}
