// The Adam and RMSProp checks (issue 28, docs/theory.md part two): K full-batch steps with ε̂ inside the root,
// from the slow manifold and from rest, against the preconditioned flow and the modified flow of Eq. A6.

import { INTEGRATOR_FRACTION, MIN_RESOLVED_POINTS, SINGLE_ORDER_SLOPE_LIMIT, fitSlopes, fmt, near, type CheckResult, type CheckSettings, type Row } from './checks.ts';
import { halvingGrid } from './fit.ts';
import {
  adaptiveFlowField, adaptiveFlowWeights, adaptiveGradientDescent, adaptiveStateAtRest, slowManifoldAdaptiveState, transientShift,
  type AdaptiveFlowWeights, type AdaptiveMethod,
} from './adam.ts';
import { solveFlowAdaptively } from './integrate.ts';
import type { ModelPrograms } from './programs.ts';
import { combine, distance, norm, squaredNorm } from './vectors.ts';

export const ADAPTIVE_KINDS = ['adam', 'rmsprop'] as const;
/** `adam`: torch.optim.Adam's bias correction; `rmsprop`: torch.optim.RMSprop, β₁ = 0 and no correction. Both with ε̂ inside the root. */
export type AdaptiveKind = (typeof ADAPTIVE_KINDS)[number];

export const EPSILON_REGIMES = ['small', 'large'] as const;
/** ε̂ against the squared gradients: ε̂ = 10⁻² or 10² times their mean (1/P)||∇C(w₀)||² at the start. */
export type EpsilonRegime = (typeof EPSILON_REGIMES)[number];
export const EPSILON_REGIME_SCALE: Record<EpsilonRegime, number> = { small: 1e-2, large: 1e2 };

/** One point of the check's grid. */
export interface AdaptiveCase {
  kind: AdaptiveKind;
  beta1: number;
  beta2: number;
  regime: EpsilonRegime;
}

/**
 * K = ⌈1/(1−β₂)⌉ steps per measurement: the second moment's memory, the longer of the two in the grid;
 * the iterates then depend on their own history, not only on the start's moments.
 */
export const stepsPerMeasurement = (beta2: number): number => Math.ceil(1 / (1 - beta2) - 1e-9);

/**
 * Adam/RMSProp check (docs/theory.md §A7). For each h of a halving grid, K steps:
 * - from the slow manifold (Eq. A7), against the preconditioned flow ẇ = −P∇C (`plain`, theory 2), the
 *   modified flow of Eq. A6 (`modified`, theory 3), and Eq. A6 without its ε̂P³ term (`withoutEpsilonTerm`,
 *   theory 2; it tends to 3 only as ε̂ → 0), and with the one-norm's sign flipped (`flippedOneNorm`, theory 2
 *   unless β₁ = β₂, where that term vanishes): the numbers, not a convention, fix the sign;
 * - from rest, against Eq. A6 (`fromRest`): with Adam's bias correction an O(h²) shift (theory 2), which
 *   Eq. A10 removes (`fromRestCorrected`, theory 3); RMSProp without correction starts with an O(1)
 *   error in its speed, an O(h) shift (theory 1).
 * The grid's largest h moves w over K steps as far as the SGD epoch check's largest mε does
 * (K·h·|P∇C| = epsilonScale·|∇C| at w₀), so every β₂ sees the same flow time in the model's own units.
 */
export async function checkAdaptive(programs: ModelPrograms, settings: CheckSettings, testCase: AdaptiveCase): Promise<CheckResult> {
  const { kind, beta1, beta2, regime } = testCase;
  const w0 = programs.model.initialParameters;
  const g0 = await programs.fullGradient(w0);
  const epsilon = (EPSILON_REGIME_SCALE[regime] * squaredNorm(g0)) / g0.length;
  const method: AdaptiveMethod = { beta1, beta2, epsilon, biasCorrection: kind === 'adam' };
  const steps = stepsPerMeasurement(beta2);
  const leadingOrder: AdaptiveFlowWeights = { oneNormWeight: 0, epsilonWeight: 0 };
  const speed = norm(await adaptiveFlowField(programs, epsilon, leadingOrder)(w0));
  const largestH = (programs.model.epsilonScale * norm(g0)) / (steps * speed);
  const rows: Row[] = [];
  for (const h of halvingGrid(largestH, settings.epsilonCount)) {
    const time = steps * h;
    const weights = adaptiveFlowWeights(h, beta1, beta2);
    const onManifold = (await adaptiveGradientDescent(programs, await slowManifoldAdaptiveState(programs, w0, h, method), h, method, steps)).w;
    const fromRest = (await adaptiveGradientDescent(programs, adaptiveStateAtRest(w0), h, method, steps)).w;
    const corrected = kind === 'adam' ? combine([[1, fromRest], [-1, await transientShift(programs, w0, h, method, steps)]]) : undefined;
    // Each flow is solved once, to a fraction of the smallest gap it is compared with.
    const flowEnd = async (field: AdaptiveFlowWeights, iterates: Float64Array[]) => {
      const solution = await solveFlowAdaptively(adaptiveFlowField(programs, epsilon, field), w0, time, settings.rk4Steps, (end) =>
        (INTEGRATOR_FRACTION / 10) * Math.min(...iterates.map((w) => distance(w, end))));
      return { end: solution.end, error: solution.integratorError };
    };
    const plainFlow = await flowEnd(leadingOrder, [onManifold]);
    const modifiedFlow = await flowEnd(weights, corrected ? [onManifold, fromRest, corrected] : [onManifold, fromRest]);
    const partialFlow = await flowEnd({ oneNormWeight: weights.oneNormWeight, epsilonWeight: 0 }, [onManifold]);
    const flippedFlow = await flowEnd({ oneNormWeight: -weights.oneNormWeight, epsilonWeight: weights.epsilonWeight }, [onManifold]);
    const gaps: Row = {
      plain: distance(onManifold, plainFlow.end),
      modified: distance(onManifold, modifiedFlow.end),
      withoutEpsilonTerm: distance(onManifold, partialFlow.end),
      flippedOneNorm: distance(onManifold, flippedFlow.end),
      fromRest: distance(fromRest, modifiedFlow.end),
      ...(corrected ? { fromRestCorrected: distance(corrected, modifiedFlow.end) } : {}),
    };
    const integratorRatio = Math.max(
      plainFlow.error / gaps.plain!,
      modifiedFlow.error / Math.min(gaps.modified!, gaps.fromRest!, gaps.fromRestCorrected ?? Number.POSITIVE_INFINITY),
      partialFlow.error / gaps.withoutEpsilonTerm!,
      flippedFlow.error / gaps.flippedOneNorm!,
    );
    rows.push({ epsilon: h, time, ...gaps, integratorRatio });
  }
  const keys = kind === 'adam'
    ? (['plain', 'modified', 'withoutEpsilonTerm', 'flippedOneNorm', 'fromRest', 'fromRestCorrected'] as const)
    : (['plain', 'modified', 'withoutEpsilonTerm', 'flippedOneNorm', 'fromRest'] as const);
  const { slopes, ok: resolved, note } = fitSlopes(rows, keys);
  const s = slopes as Record<string, number>;
  const expected = expectedSlopes(testCase);
  const restOk = kind === 'adam'
    ? near(s.fromRestCorrected!, expected.fromRestCorrected!) && s.fromRest! < SINGLE_ORDER_SLOPE_LIMIT
    : near(s.fromRest!, expected.fromRest!);
  const signDecided = beta1 === beta2 || s.flippedOneNorm! < SINGLE_ORDER_SLOPE_LIMIT;
  const pass = near(s.plain!, expected.plain!) && near(s.modified!, expected.modified!) && signDecided && restOk && resolved;
  const coefficient = adaptiveFlowWeights(1, beta1, beta2);
  const label = kind === 'adam' ? `β₁=${beta1} β₂=${beta2}` : `α=${beta2}`;
  const resolvedCount = rows.filter((r) => r.resolved === 1).length;
  return {
    name: kind,
    model: programs.model.name,
    beta1,
    beta2,
    eps: epsilon,
    epsRegime: regime,
    steps,
    slopes: s,
    expected,
    ...(resolved ? {} : { outOfReach: `only ${resolvedCount} of ${rows.length} values of h resolved above RK4/round-off error (need ${MIN_RESOLVED_POINTS})` }),
    pass,
    verdict:
      `${label}, ε̂ ${regime} (${EPSILON_REGIME_SCALE[regime]}× mean g²): w after K=${steps} steps vs flow of −P∇C: slope ${fmt(s.plain!)} (theory ${expected.plain}); ` +
      `vs −P∇(C + h(${fmt(coefficient.oneNormWeight)})N) − h(${fmt(coefficient.epsilonWeight)})ε̂P³∇N (Eq. A6): ${fmt(s.modified!)} (theory ${expected.modified}); ` +
      `without the ε̂P³ term: ${fmt(s.withoutEpsilonTerm!)}; ` +
      (beta1 === beta2 ? '' : `with the one-norm's sign flipped: ${fmt(s.flippedOneNorm!)} (theory ${expected.flippedOneNorm}); `) +
      (kind === 'adam'
        ? `from rest: ${fmt(s.fromRest!)} (theory ${expected.fromRest}), less its transient (Eq. A10): ${fmt(s.fromRestCorrected!)} (theory ${expected.fromRestCorrected})`
        : `from rest without bias correction: ${fmt(s.fromRest!)} (theory ${expected.fromRest})`) +
      note,
    points: rows,
  };
}

/**
 * The slope docs/theory.md §A9 predicts for each column at this grid point, in `verify --json` as
 * `expected` (the report draws these): a column is left out where the theory fixes no slope on the grid —
 * `withoutEpsilonTerm` at small ε̂ and β₁ ≠ β₂, where the ε̂P³ term it drops is small and the fit reads
 * between 2 and 3. At β₁ = β₂ the one-norm's coefficient vanishes: the flipped flow is A6 itself (3) and
 * A6 without its ε̂ term is the plain flow (2).
 */
export function expectedSlopes({ kind, beta1, beta2, regime }: AdaptiveCase): Record<string, number> {
  const oneNormVanishes = beta1 === beta2;
  return {
    plain: 2,
    modified: 3,
    ...(regime === 'large' || oneNormVanishes ? { withoutEpsilonTerm: 2 } : {}),
    flippedOneNorm: oneNormVanishes ? 3 : 2,
    // With bias correction the transient is an O(h²) shift that Eq. A10 removes; without it (RMSProp) an O(h) one.
    ...(kind === 'adam' ? { fromRest: 2, fromRestCorrected: 3 } : { fromRest: 1 }),
  };
}

/** The grid of `sgdlab verify adam rmsprop`: every (β₁, β₂, regime) for Adam, every (β₂, regime) for RMSProp. */
export function adaptiveCases(kind: AdaptiveKind, settings: CheckSettings): AdaptiveCase[] {
  const beta1s = kind === 'adam' ? settings.adamBeta1s : [0];
  return beta1s.flatMap((beta1) => settings.adamBeta2s.flatMap((beta2) => EPSILON_REGIMES.map((regime) => ({ kind, beta1, beta2, regime }))));
}
