// Heavy-ball momentum for the theory checks (docs/theory.md): the modified loss it follows, in PyTorch's
// convention v ← βv + g, w ← w − εv, and its discrete iterates on the host (GD steps, mean over epoch orders).

import type { ModelPrograms } from './programs.ts';
import { axpy, combine } from './vectors.ts';

/**
 * The modified loss that heavy-ball SGD (rate ε, momentum β, m batches per epoch, orders averaged)
 * follows to O(η³) per epoch, docs/theory.md Eq. M9:
 *
 *   C̃(w) = C(w) + fullGradientWeight·||∇C||² + batchGradientWeight·Σ_k ||∇Ĉ_k||²,
 *
 * as gradient flow ż = −∇C̃(z) in the time η = ε/(1−β) per step, for the momentum-free point
 * z = w − ηβv. m = 1 is full-batch GD with momentum: C + η(1+β)/(4(1−β))·||∇C||² in total
 * (split here between the two weights, which then multiply the same ||∇C||²). β = 0 gives the
 * paper's C̃_SGD = C + (ε/4m)Σ_k||∇Ĉ_k||² (Eq. 20).
 */
export interface MomentumModifiedLoss {
  /** η = ε/(1−β): the flow time of one step, the rate of the SGD that z follows at leading order. */
  effectiveRate: number;
  /** Weight of ||∇C||² in C̃. */
  fullGradientWeight: number;
  /** Weight of Σ_k ||∇Ĉ_k||² in C̃. */
  batchGradientWeight: number;
}

export function momentumModifiedLoss(epsilon: number, beta: number, batchCount: number): MomentumModifiedLoss {
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw new RangeError(`momentum modified loss: ε = ${epsilon} (need a finite ε ≥ 0)`);
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`momentum modified loss: β = ${beta} (need 0 ≤ β < 1)`);
  if (!Number.isInteger(batchCount) || batchCount < 1) throw new RangeError(`momentum modified loss: m = ${batchCount} (need a positive integer)`);
  const m = batchCount;
  const eta = epsilon / (1 - beta);
  const rho = withinEpochCorrelation(beta, m);
  return {
    effectiveRate: eta,
    // η[β/(2(1−β)) + ρ/4]: the momentum's echo of the mean gradient, plus what the batches' anticorrelation moves here.
    fullGradientWeight: eta * (beta / (2 * (1 - beta)) + rho / 4),
    // (η/4m)(1 − ρ): the paper's (ε/4m)Σ||∇Ĉ_k||² at the rate η, less the within-epoch anticorrelation.
    batchGradientWeight: (eta / (4 * m)) * (1 - rho),
  };
}

/**
 * ρ = 2β·T₂/(m(m−1)), T₂ = Σ_{n<m} Σ_{k<n} β^{n−1−k} = (m − (1−β^m)/(1−β))/(1−β): how much of the velocity
 * a step sees comes from earlier batches of the same epoch, which are never its own batch (docs/theory.md).
 * 0 for β = 0 or m = 1; ≈ 2β/((1−β)(m−1)) for large m.
 */
export function withinEpochCorrelation(beta: number, batchCount: number): number {
  const m = batchCount;
  if (m < 2 || beta === 0) return 0;
  const t2 = (m - (1 - beta ** m) / (1 - beta)) / (1 - beta);
  return (2 * beta * t2) / (m * (m - 1));
}

/**
 * The λ of the trainer's explicit regularizer λ·C_reg, C_reg = (1/4m)Σ_k||∇Ĉ_k||² (Sec. 2.3), that a
 * momentum run (rate ε, momentum β, m batches) adds to mimic its implicit one, matched on the ||∇C||²
 * part (Eq. 2's first term): λ = ε(1+β)/(1−β)² = η(1+β)/(1−β), which is ε for β = 0 (the paper's case)
 * and does not depend on m. It over-weights the batch-noise part Σ_k||∇Ĉ_k − ∇C||², whose implicit
 * weight is only η(1−ρ)/4m (see `momentumModifiedLoss` and docs/theory.md §M7).
 */
export function momentumRegularizerCoefficient(epsilon: number, beta: number, batchCount: number): number {
  const { fullGradientWeight, batchGradientWeight } = momentumModifiedLoss(epsilon, beta, batchCount);
  // λ/4 = weight of ||∇C||² in C̃ once Σ_k||∇Ĉ_k||² is written as m||∇C||² + Σ_k||∇Ĉ_k − ∇C||² (Eq. 2).
  return 4 * (fullGradientWeight + batchCount * batchGradientWeight);
}

/** The state of heavy-ball momentum: parameters w and velocity v (PyTorch's momentum buffer). */
export interface HeavyBallState {
  w: Float64Array;
  v: Float64Array;
}

/** One heavy-ball step with gradient g at w: v ← βv + g, w ← w − εv (PyTorch's SGD with momentum, no dampening). */
export function heavyBallStep(state: HeavyBallState, gradient: Float64Array, epsilon: number, beta: number): HeavyBallState {
  const v = combine([[beta, state.v], [1, gradient]]);
  return { w: axpy(state.w, -epsilon, v), v };
}

/**
 * z = w − εβ/(1−β)·v: where w would end if its velocity were spent without new gradients. It moves by
 * z ← z − η∇Ĉ_k(w) each step (η = ε/(1−β)): SGD at rate η with the gradient taken at w = z + ηβv.
 */
export function momentumFreePoint(state: HeavyBallState, epsilon: number, beta: number): Float64Array {
  return axpy(state.w, (-epsilon * beta) / (1 - beta), state.v);
}

/** The velocity on the slow manifold to leading order, v = ∇C(w)/(1−β) (the geometric sum of equal gradients). */
export async function slowManifoldState(programs: ModelPrograms, w: Float64Array, beta: number): Promise<HeavyBallState> {
  const { gradient } = await programs.flowField(w);
  return { w, v: combine([[1 / (1 - beta), gradient]]) };
}

/** `steps` full-batch heavy-ball steps. */
export async function heavyBallGradientDescent(programs: ModelPrograms, state: HeavyBallState, epsilon: number, beta: number, steps: number): Promise<HeavyBallState> {
  let current = state;
  for (let s = 0; s < steps; s++) current = heavyBallStep(current, (await programs.flowField(current.w)).gradient, epsilon, beta);
  return current;
}

/** The state after visiting the batches in `order`, one heavy-ball step each. */
export async function heavyBallEpochInOrder(programs: ModelPrograms, state: HeavyBallState, order: readonly number[], epsilon: number, beta: number): Promise<HeavyBallState> {
  let current = state;
  for (const k of order) current = heavyBallStep(current, (await programs.batchGradients(current.w))[k]!, epsilon, beta);
  return current;
}

/**
 * E[(w, v)] after `epochs` heavy-ball epochs over all (m!)^epochs batch orders (each epoch a permutation of
 * the m batches), enumerated exactly by a depth-first walk of the order tree as `meanOverAllOrders` does
 * for SGD; one epoch at β = 0 gives its numbers bit for bit.
 */
export async function heavyBallMeanOverAllOrders(programs: ModelPrograms, state: HeavyBallState, epsilon: number, beta: number, epochs = 1): Promise<{ mean: HeavyBallState; orders: number }> {
  const m = programs.batching.batchCount;
  const sumW = new Float64Array(state.w.length);
  const sumV = new Float64Array(state.v.length);
  let orders = 0;
  // used[e][k]: batch k already visited in epoch e of the current path.
  const used = Array.from({ length: epochs }, () => new Array<boolean>(m).fill(false));
  const visit = async (current: HeavyBallState, depth: number): Promise<void> => {
    if (depth === m * epochs) {
      for (let i = 0; i < sumW.length; i++) {
        sumW[i] += current.w[i]!;
        sumV[i] += current.v[i]!;
      }
      orders++;
      return;
    }
    const epochUsed = used[Math.floor(depth / m)]!;
    const grads = await programs.batchGradients(current.w);
    for (let k = 0; k < m; k++) {
      if (epochUsed[k]) continue;
      epochUsed[k] = true;
      await visit(heavyBallStep(current, grads[k]!, epsilon, beta), depth + 1);
      epochUsed[k] = false;
    }
  };
  await visit(state, 0);
  return { mean: { w: combine([[1 / orders, sumW]]), v: combine([[1 / orders, sumV]]) }, orders };
}
