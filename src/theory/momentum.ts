// Momentum for the theory checks (docs/theory.md): the modified loss that heavy-ball (v ← βv + g, w ← w − εv)
// and Nesterov (w ← w − ε(g + βv)) follow in PyTorch's convention, and their iterates on the host.

import type { ModelPrograms } from './programs.ts';
import { axpy, combine } from './vectors.ts';

export const MOMENTUM_KINDS = ['heavy-ball', 'nesterov'] as const;
/** PyTorch's SGD with momentum: `nesterov: false` (heavy ball) or `nesterov: true`, no dampening. */
export type MomentumKind = (typeof MOMENTUM_KINDS)[number];

/**
 * How far ahead of z, in units of ηv, a step takes its gradient: w = z + η·echo·v with echo = β for the
 * heavy ball and β² for Nesterov (docs/theory.md §M1, §M10). Every β-dependence of C̃ beyond η enters here.
 */
export function velocityEcho(beta: number, kind: MomentumKind): number {
  return kind === 'nesterov' ? beta * beta : beta;
}

/**
 * The modified loss that heavy-ball SGD (rate ε, momentum β, m batches per epoch, orders averaged)
 * follows to O(η³) per epoch, docs/theory.md Eq. M9:
 *
 *   C̃(w) = C(w) + fullGradientWeight·||∇C||² + batchGradientWeight·Σ_k ||∇Ĉ_k||²,
 *
 * as gradient flow ż = −∇C̃(z) in the time η = ε/(1−β) per step, for the momentum-free point
 * z = w − ηβv (w − ηβ²v for Nesterov). m = 1 is full-batch GD with momentum: C + η(1+β)/(4(1−β))·||∇C||² in total
 * (split here between the two weights, which then multiply the same ||∇C||²). β = 0 gives the
 * paper's C̃_SGD = C + (ε/4m)Σ_k||∇Ĉ_k||² (Eq. 20). Nesterov: β → β² in the echo terms (Eq. M13).
 */
export interface MomentumModifiedLoss {
  /** η = ε/(1−β): the flow time of one step, the rate of the SGD that z follows at leading order. */
  effectiveRate: number;
  /** Weight of ||∇C||² in C̃. */
  fullGradientWeight: number;
  /** Weight of Σ_k ||∇Ĉ_k||² in C̃. */
  batchGradientWeight: number;
}

export function momentumModifiedLoss(epsilon: number, beta: number, batchCount: number, kind: MomentumKind = 'heavy-ball'): MomentumModifiedLoss {
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw new RangeError(`momentum modified loss: ε = ${epsilon} (need a finite ε ≥ 0)`);
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`momentum modified loss: β = ${beta} (need 0 ≤ β < 1)`);
  if (!Number.isInteger(batchCount) || batchCount < 1) throw new RangeError(`momentum modified loss: m = ${batchCount} (need a positive integer)`);
  const m = batchCount;
  const eta = epsilon / (1 - beta);
  const rho = withinEpochCorrelation(beta, m, kind);
  return {
    effectiveRate: eta,
    // η[β/(2(1−β)) + ρ/4]: the momentum's echo of the mean gradient, plus what the batches' anticorrelation moves here.
    fullGradientWeight: eta * (velocityEcho(beta, kind) / (2 * (1 - beta)) + rho / 4),
    // (η/4m)(1 − ρ): the paper's (ε/4m)Σ||∇Ĉ_k||² at the rate η, less the within-epoch anticorrelation.
    batchGradientWeight: (eta / (4 * m)) * (1 - rho),
  };
}

/**
 * ρ = 2·echo·T₂/(m(m−1)), T₂ = Σ_{n<m} Σ_{k<n} β^{n−1−k} = (m − (1−β^m)/(1−β))/(1−β): how much of the
 * velocity a step sees comes from earlier batches of the same epoch, which are never its own batch
 * (docs/theory.md Eq. M8). 0 for β = 0 or m = 1; ≈ 2β/((1−β)(m−1)) for the heavy ball at large m.
 */
export function withinEpochCorrelation(beta: number, batchCount: number, kind: MomentumKind = 'heavy-ball'): number {
  const m = batchCount;
  if (m < 2 || beta === 0) return 0;
  const t2 = (m - (1 - beta ** m) / (1 - beta)) / (1 - beta);
  return (2 * velocityEcho(beta, kind) * t2) / (m * (m - 1));
}

/**
 * The λ of the trainer's explicit regularizer λ·C_reg, C_reg = (1/4m)Σ_k||∇Ĉ_k||² (Sec. 2.3), that a
 * momentum run (rate ε, momentum β, m batches) adds to mimic its implicit one, matched on the ||∇C||²
 * part (Eq. 2's first term): heavy ball λ = ε(1+β)/(1−β)² = η(1+β)/(1−β), Nesterov η(1−β+2β²)/(1−β);
 * ε for β = 0 (the paper's case), independent of m. It over-weights the batch-noise part
 * Σ_k||∇Ĉ_k − ∇C||², whose implicit weight is only η(1−ρ)/4m (`momentumModifiedLoss`, docs/theory.md §M7).
 */
export function momentumRegularizerCoefficient(epsilon: number, beta: number, batchCount: number, kind: MomentumKind = 'heavy-ball'): number {
  const { fullGradientWeight, batchGradientWeight } = momentumModifiedLoss(epsilon, beta, batchCount, kind);
  // λ/4 = weight of ||∇C||² in C̃ once Σ_k||∇Ĉ_k||² is written as m||∇C||² + Σ_k||∇Ĉ_k − ∇C||² (Eq. 2).
  return 4 * (fullGradientWeight + batchCount * batchGradientWeight);
}

/** The state of momentum SGD: parameters w and velocity v (PyTorch's momentum buffer). */
export interface MomentumState {
  w: Float64Array;
  v: Float64Array;
}

/**
 * One step with gradient g at w, PyTorch's SGD with momentum (no dampening): v ← βv + g, then
 * w ← w − εv (heavy ball) or w ← w − ε(g + βv) (Nesterov).
 */
export function momentumStep(state: MomentumState, gradient: Float64Array, epsilon: number, beta: number, kind: MomentumKind = 'heavy-ball'): MomentumState {
  const v = combine([[beta, state.v], [1, gradient]]);
  return { w: kind === 'nesterov' ? combine([[1, state.w], [-epsilon, gradient], [-epsilon * beta, v]]) : axpy(state.w, -epsilon, v), v };
}

/**
 * z = w − η·echo·v (η = ε/(1−β); echo β, or β² for Nesterov): where w would end if its velocity were
 * spent without new gradients. It moves by z ← z − η∇Ĉ_k(w) each step: SGD at rate η, with the gradient
 * taken at w = z + η·echo·v (docs/theory.md Eq. M3, M13).
 */
export function momentumFreePoint(state: MomentumState, epsilon: number, beta: number, kind: MomentumKind = 'heavy-ball'): Float64Array {
  return axpy(state.w, (-epsilon * velocityEcho(beta, kind)) / (1 - beta), state.v);
}

/** The velocity on the slow manifold to leading order, v = ∇C(w)/(1−β) (the geometric sum of equal gradients). */
export async function slowManifoldState(programs: ModelPrograms, w: Float64Array, beta: number): Promise<MomentumState> {
  const { gradient } = await programs.flowField(w);
  return { w, v: combine([[1 / (1 - beta), gradient]]) };
}

/** `steps` full-batch momentum steps. */
export async function momentumGradientDescent(programs: ModelPrograms, state: MomentumState, epsilon: number, beta: number, steps: number, kind: MomentumKind = 'heavy-ball'): Promise<MomentumState> {
  let current = state;
  for (let s = 0; s < steps; s++) current = momentumStep(current, (await programs.flowField(current.w)).gradient, epsilon, beta, kind);
  return current;
}

/** The state after visiting the batches in `order`, one momentum step each. */
export async function momentumEpochInOrder(programs: ModelPrograms, state: MomentumState, order: readonly number[], epsilon: number, beta: number, kind: MomentumKind = 'heavy-ball'): Promise<MomentumState> {
  let current = state;
  for (const k of order) current = momentumStep(current, (await programs.batchGradients(current.w))[k]!, epsilon, beta, kind);
  return current;
}

/**
 * E[(w, v)] after `epochs` momentum epochs over all (m!)^epochs batch orders (each epoch a permutation of
 * the m batches), enumerated exactly by a depth-first walk of the order tree as `meanOverAllOrders` does
 * for SGD; one epoch at β = 0 gives its numbers bit for bit.
 */
export async function momentumMeanOverAllOrders(
  programs: ModelPrograms,
  state: MomentumState,
  epsilon: number,
  beta: number,
  { epochs = 1, kind = 'heavy-ball' }: { epochs?: number; kind?: MomentumKind } = {},
): Promise<{ mean: MomentumState; orders: number }> {
  const m = programs.batching.batchCount;
  const sumW = new Float64Array(state.w.length);
  const sumV = new Float64Array(state.v.length);
  let orders = 0;
  // used[e][k]: batch k already visited in epoch e of the current path.
  const used = Array.from({ length: epochs }, () => new Array<boolean>(m).fill(false));
  const visit = async (current: MomentumState, depth: number): Promise<void> => {
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
      await visit(momentumStep(current, grads[k]!, epsilon, beta, kind), depth + 1);
      epochUsed[k] = false;
    }
  };
  await visit(state, 0);
  return { mean: { w: combine([[1 / orders, sumW]]), v: combine([[1 / orders, sumV]]) }, orders };
}
