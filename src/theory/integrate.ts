// Classical RK4 for the gradient flows ẇ = −∇C̃(w) that the discrete iterates are compared with,
// with a step-halving estimate of its own error so that a check can prove it is negligible.

import { axpy, combine, distance } from './vectors.ts';

export type VectorField = (w: Float64Array) => Promise<Float64Array>;

/** w(time) from w(0) = start, by `steps` RK4 steps of equal size. */
export async function rk4(field: VectorField, start: Float64Array, time: number, steps: number): Promise<Float64Array> {
  const h = time / steps;
  let w = start;
  for (let s = 0; s < steps; s++) {
    const k1 = await field(w);
    const k2 = await field(axpy(w, h / 2, k1));
    const k3 = await field(axpy(w, h / 2, k2));
    const k4 = await field(axpy(w, h, k3));
    w = combine([[1, w], [h / 6, k1], [h / 3, k2], [h / 3, k3], [h / 6, k4]]);
  }
  return w;
}

export interface FlowSolution {
  end: Float64Array;
  /** |w_S − w_2S|: RK4's global error at S steps (the 2S result is 16× more accurate still). */
  integratorError: number;
  /** RK4 steps of the returned endpoint. */
  steps: number;
}

/**
 * Double the steps until RK4's error is below `tolerance(endpoint)`: long flows (large mε) get the
 * steps they need, short ones stay cheap. Doubling stops early once the S-vs-2S difference no longer
 * shrinks at RK4's rate (16× per doubling): that difference is then float64 round-off, which more
 * steps only make worse; the caller sees it in `integratorError`.
 */
export async function solveFlowAdaptively(
  field: VectorField,
  start: Float64Array,
  time: number,
  initialSteps: number,
  tolerance: (end: Float64Array) => number,
  maxSteps = 1 << 12,
): Promise<FlowSolution> {
  let coarse = await rk4(field, start, time, initialSteps);
  let previousError = Number.POSITIVE_INFINITY;
  for (let steps = 2 * initialSteps; ; steps *= 2) {
    const fine = await rk4(field, start, time, steps);
    const integratorError = distance(coarse, fine);
    const atRoundOff = integratorError > previousError / 4;
    if (integratorError <= tolerance(fine) || atRoundOff || steps >= maxSteps) return { end: fine, integratorError, steps };
    previousError = integratorError;
    coarse = fine;
  }
}
