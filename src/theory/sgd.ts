// The discrete iterates the paper analyses, on the host: GD steps, SGD epochs in a given batch order,
// the exact mean over all m! orders (Eq. 15–18) and n-step SGD (App. B, Eq. 33–38).

import type { ModelPrograms } from './programs.ts';
import { axpy, combine } from './vectors.ts';

/** One step w − ε∇C(w) of full-batch GD (Sec. 2.1). */
export async function gradientDescentStep(programs: ModelPrograms, w: Float64Array, epsilon: number): Promise<Float64Array> {
  const { gradient } = await programs.flowField(w);
  return axpy(w, -epsilon, gradient);
}

/**
 * n updates w ← w − α∇Ĉ_k(w) on batch k (n-step SGD; plain SGD is n = 1). `first`, the batch
 * gradients at w, saves one graph call when the caller already has them.
 */
async function stepsOnBatch(programs: ModelPrograms, w: Float64Array, k: number, rate: number, n: number, first?: Float64Array[]): Promise<Float64Array> {
  let current = w;
  for (let s = 0; s < n; s++) {
    const grads = s === 0 && first ? first : await programs.batchGradients(current);
    current = axpy(current, -rate, grads[k]!);
  }
  return current;
}

/** The iterate after visiting the batches in `order`, n steps of rate α each. */
export async function epochInOrder(programs: ModelPrograms, w: Float64Array, order: readonly number[], rate: number, n = 1): Promise<Float64Array> {
  let current = w;
  for (const k of order) current = await stepsOnBatch(programs, current, k, rate, n);
  return current;
}

/**
 * E[w_m] over all m! batch orders, enumerated exactly. Orders sharing a prefix share its iterates, so
 * the walk is a depth-first traversal of the permutation tree (Σ_j m!/(m−j)! nodes, not m·m!).
 */
export async function meanOverAllOrders(programs: ModelPrograms, w: Float64Array, rate: number, n = 1): Promise<{ mean: Float64Array; orders: number }> {
  const m = programs.batching.batchCount;
  const sum = new Float64Array(w.length);
  let orders = 0;
  const used = new Array<boolean>(m).fill(false);
  const visit = async (current: Float64Array, depth: number): Promise<void> => {
    if (depth === m) {
      for (let i = 0; i < sum.length; i++) sum[i] += current[i]!;
      orders++;
      return;
    }
    const grads = await programs.batchGradients(current);
    for (let k = 0; k < m; k++) {
      if (used[k]) continue;
      used[k] = true;
      await visit(await stepsOnBatch(programs, current, k, rate, n, grads), depth + 1);
      used[k] = false;
    }
  };
  await visit(w, 0);
  return { mean: combine([[1 / orders, sum]]), orders };
}

export const identityOrder = (m: number): number[] => Array.from({ length: m }, (_, k) => k);
/** (Ĉ_0 … Ĉ_{m−1}, Ĉ_{m−1} … Ĉ_0): the two epochs of the reversal trick (Sec. 2.2 remarks). */
export const forwardThenReversed = (m: number): number[] => [...identityOrder(m), ...identityOrder(m).reverse()];
