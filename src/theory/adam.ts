// Adam and RMSProp for the theory checks (docs/theory.md, part two): their iterates on the host with ε̂ inside
// the root, the memory lags of their moving averages, and the first-order modified flow they follow.

import type { ModelPrograms } from './programs.ts';
import { combine } from './vectors.ts';

/**
 * One adaptive method as the theory reads it: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², and
 * w ← w − h·m̂/√(v̂ + ε̂) with ε̂ INSIDE the root (so the step is analytic in g). `biasCorrection`:
 * m̂ = m/(1−β₁ⁿ), v̂ = v/(1−β₂ⁿ) after n steps (torch.optim.Adam); without it m̂ = m, v̂ = v
 * (torch.optim.RMSprop, which is β₁ = 0 and no correction).
 */
export interface AdaptiveMethod {
  beta1: number;
  beta2: number;
  /** ε̂, added to v̂ under the root. */
  epsilon: number;
  biasCorrection: boolean;
}

/** The state: parameters, the two moving averages, and how many steps built them (Infinity: on the slow manifold). */
export interface AdaptiveState {
  w: Float64Array;
  m: Float64Array;
  v: Float64Array;
  steps: number;
}

/**
 * The mean age, in steps, of the gradients in a moving average with decay β after n terms
 * (n = Infinity: the stationary average): ℓ(n) = Σ_{k<n} k·(1−β)β^k/(1−β^n) = β/(1−β) − nβⁿ/(1−βⁿ)
 * with the bias correction's normalisation (docs/theory.md Eq. A3, A9). Without the correction the
 * weights do not sum to one in the transient, and ℓ is only defined on the slow manifold.
 */
export function memoryLag(beta: number, terms = Number.POSITIVE_INFINITY): number {
  if (beta === 0) return 0;
  const stationary = beta / (1 - beta);
  return Number.isFinite(terms) ? stationary - (terms * beta ** terms) / (1 - beta ** terms) : stationary;
}

/**
 * The first-order modified flow of full-batch Adam/RMSProp with ε̂ inside the root, docs/theory.md Eq. A6:
 *
 *   ẇ = −P∇C − oneNormWeight·P∇N − epsilonWeight·ε̂P³∇N,   P = diag(1/√(g² + ε̂)),  N = Σ_j √(g_j² + ε̂),
 *
 * in the time h per step, with oneNormWeight = h(ℓ₁ − ℓ₂) and epsilonWeight = h(ℓ₂ + ½). The first two
 * terms are the preconditioned gradient flow of C + h(ℓ₁ − ℓ₂)N; the third is not a gradient and is
 * negligible against the second only when (ℓ₂ + ½)ε̂/(g² + ε̂) ≪ |ℓ₁ − ℓ₂|. `terms` gives the transient's
 * coefficients after that many steps with bias correction (Eq. A9); the default is the slow manifold.
 */
export interface AdaptiveFlowWeights {
  oneNormWeight: number;
  epsilonWeight: number;
}

export function adaptiveFlowWeights(h: number, beta1: number, beta2: number, terms = Number.POSITIVE_INFINITY): AdaptiveFlowWeights {
  const lag1 = memoryLag(beta1, terms);
  const lag2 = memoryLag(beta2, terms);
  return { oneNormWeight: h * (lag1 - lag2), epsilonWeight: h * (lag2 + 0.5) };
}

/**
 * The λ of the explicit one-norm regularizer λ·Σ_j√(g_j² + ε̂) that copies the implicit term of Adam at
 * rate h (docs/theory.md §A6): h(β₁/(1−β₁) − β₂/(1−β₂)); negative (the implicit term raises the norm)
 * whenever β₂'s memory is the longer one, as at the defaults β₁ = 0.9, β₂ = 0.999 (λ = −990h).
 */
export function adamOneNormCoefficient(h: number, beta1: number, beta2: number): number {
  return adaptiveFlowWeights(h, beta1, beta2).oneNormWeight;
}

/** One step with gradient g (ε̂ inside the root; the moments' bias corrected if the method says so). */
export function adaptiveStep(state: AdaptiveState, gradient: Float64Array, h: number, method: AdaptiveMethod): AdaptiveState {
  const { beta1, beta2, epsilon } = method;
  const steps = state.steps + 1;
  const correct1 = method.biasCorrection && Number.isFinite(steps) ? 1 - beta1 ** steps : 1;
  const correct2 = method.biasCorrection && Number.isFinite(steps) ? 1 - beta2 ** steps : 1;
  const n = gradient.length;
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const g = gradient[j]!;
    m[j] = beta1 * state.m[j]! + (1 - beta1) * g;
    v[j] = beta2 * state.v[j]! + (1 - beta2) * g * g;
    w[j] = state.w[j]! - (h * (m[j]! / correct1)) / Math.sqrt(v[j]! / correct2 + epsilon);
  }
  return { w, m, v, steps };
}

/** `steps` full-batch steps. */
export async function adaptiveGradientDescent(programs: ModelPrograms, state: AdaptiveState, h: number, method: AdaptiveMethod, steps: number): Promise<AdaptiveState> {
  let current = state;
  for (let s = 0; s < steps; s++) current = adaptiveStep(current, await programs.fullGradient(current.w), h, method);
  return current;
}

/** Training's start: m₀ = v₀ = 0 before the first step. */
export const adaptiveStateAtRest = (w: Float64Array): AdaptiveState => ({ w, m: new Float64Array(w.length), v: new Float64Array(w.length), steps: 0 });

/**
 * The moments on the slow manifold to first order in h (docs/theory.md Eq. A7): the averages of the
 * gradients along the leading-order flow ẇ = −Pg that led to w, one step before their next update,
 *
 *   m = g + h(ℓ₁ + 1)·HPg,   v = g² + 2h(ℓ₂ + 1)·g⊙HPg,
 *
 * so that the next step sees the stationary lags ℓ₁, ℓ₂. Errors are O(h²) and move w by O(h³).
 */
export async function slowManifoldAdaptiveState(programs: ModelPrograms, w: Float64Array, h: number, method: AdaptiveMethod): Promise<AdaptiveState> {
  const { gradient: g, oneNormGradient: hpg } = await programs.oneNormParts(w, method.epsilon);
  const lag1 = memoryLag(method.beta1) + 1;
  const lag2 = memoryLag(method.beta2) + 1;
  const m = combine([[1, g], [h * lag1, hpg]]);
  const v = new Float64Array(g.length);
  for (let j = 0; j < g.length; j++) v[j] = g[j]! * g[j]! + 2 * h * lag2 * g[j]! * hpg[j]!;
  return { w, m, v, steps: Number.POSITIVE_INFINITY };
}

/**
 * The field of Eq. A6 (or of the leading order alone, with both weights 0) at w:
 * −P∇C − a·P∇N − b·ε̂P³∇N.
 */
export function adaptiveFlowField(programs: ModelPrograms, epsilon: number, weights: AdaptiveFlowWeights) {
  return async (w: Float64Array): Promise<Float64Array> => {
    const { gradient: g, oneNormGradient: gradN } = await programs.oneNormParts(w, epsilon);
    const field = new Float64Array(g.length);
    for (let j = 0; j < g.length; j++) {
      const p = 1 / Math.sqrt(g[j]! * g[j]! + epsilon);
      field[j] = -p * g[j]! - weights.oneNormWeight * p * gradN[j]! - weights.epsilonWeight * epsilon * p * p * p * gradN[j]!;
    }
    return field;
  };
}

/**
 * What the transient from rest with bias correction adds to w after K steps against the flow of the
 * stationary Eq. A6 from w₀, to O(h²) (docs/theory.md Eq. A10):
 *
 *   δ_K = h² Σ_{n=1..K} [ (s₁(n) − s₂(n))·P∇N + s₂(n)·ε̂P³∇N ],   s(n) = nβⁿ/(1−βⁿ),
 *
 * at w₀. The K steps' own fields differ from the stationary one only in their lags ℓ(n) = ℓ − s(n).
 */
export async function transientShift(programs: ModelPrograms, w0: Float64Array, h: number, method: AdaptiveMethod, steps: number): Promise<Float64Array> {
  let sum1 = 0;
  let sum2 = 0;
  const shortfall = (beta: number, n: number) => (beta === 0 ? 0 : (n * beta ** n) / (1 - beta ** n));
  for (let n = 1; n <= steps; n++) {
    sum1 += shortfall(method.beta1, n);
    sum2 += shortfall(method.beta2, n);
  }
  const field = adaptiveFlowField(programs, method.epsilon, { oneNormWeight: 0, epsilonWeight: 0 });
  const plain = await field(w0);
  const withTerms = await adaptiveFlowField(programs, method.epsilon, { oneNormWeight: -(sum1 - sum2), epsilonWeight: -sum2 })(w0);
  // (field with weights −(Σs₁ − Σs₂), −Σs₂) − (plain field) = (Σs₁ − Σs₂)P∇N + Σs₂·ε̂P³∇N.
  return combine([[h * h, withTerms], [-h * h, plain]]);
}
