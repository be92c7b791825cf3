// The momentum checks (issue 20, docs/theory.md): full-batch steps and the mean SGD epoch of heavy-ball and
// Nesterov momentum, measured on the momentum-free point z against the flows of C and of the modified loss.

import {
  SINGLE_ORDER_SLOPE_LIMIT, compareWithFlow, factorial, fitSlopes, fmt, modifiedFlowField, near,
  type CheckName, type CheckResult, type CheckSettings, type Row,
} from './checks.ts';
import { halvingGrid } from './fit.ts';
import {
  momentumEpochInOrder, momentumFreePoint, momentumGradientDescent, momentumMeanOverAllOrders, momentumModifiedLoss, slowManifoldState, velocityEcho,
  type MomentumKind, type MomentumState,
} from './momentum.ts';
import type { ModelPrograms } from './programs.ts';
import { identityOrder } from './sgd.ts';
import { axpy } from './vectors.ts';

/**
 * The ε grid of a momentum check: the β = 0 grid of η = ε/(1−β) shrunk by (1−β), since the expansion's
 * terms grow like powers of η/(1−β) (docs/theory.md §M6); β = 0 is exactly the grid of the SGD checks.
 */
function momentumGrid(largestEta: number, beta: number, count: number): { epsilon: number; eta: number }[] {
  return halvingGrid(largestEta * (1 - beta), count).map((eta) => ({ epsilon: eta * (1 - beta), eta }));
}

/**
 * z after K steps started at rest (v₀ = 0), less the initial-layer shift of docs/theory.md Eq. M11,
 * δ = η²·echo·(1−β^K)/(2(1−β)²)·∇||∇C||² at the start: the transient's whole O(η²) effect on z.
 */
async function withoutInitialLayer(programs: ModelPrograms, zFromRest: Float64Array, w0: Float64Array, eta: number, beta: number, steps: number, kind: MomentumKind): Promise<Float64Array> {
  const { sharpnessGradient } = await programs.flowField(w0);
  const shift = (eta * eta * velocityEcho(beta, kind) * (1 - beta ** steps)) / (2 * (1 - beta) ** 2);
  return axpy(zFromRest, -shift, sharpnessGradient);
}

const restingAt = (w: Float64Array): MomentumState => ({ w, v: new Float64Array(w.length) });

const checkNames: Record<MomentumKind, { gd: CheckName; epoch: CheckName; label: string }> = {
  'heavy-ball': { gd: 'gd-momentum', epoch: 'sgd-epoch-momentum', label: '' },
  nesterov: { gd: 'gd-nesterov-momentum', epoch: 'sgd-epoch-nesterov-momentum', label: ' (Nesterov)' },
};

/** The full-batch weight on ||∇C||², as the verdicts print it: (1+β) for the heavy ball, (1−β+2β²) for Nesterov. */
const gdWeightText = (kind: MomentumKind) => (kind === 'nesterov' ? 'η(1−β+2β²)/(4(1−β))' : 'η(1+β)/(4(1−β))');

/**
 * Momentum check 1 (docs/theory.md Eq. M5, M13): one step from the slow manifold v₀ = ∇C(w₀)/(1−β), z
 * against the flows of C and of the momentum's C̃_GD over time η; also against C̃_GD at the rate η
 * (Eq. 11 without the momentum's factor), and from rest (v₀ = 0) with and without its initial layer.
 */
export async function checkMomentumGradientDescent(programs: ModelPrograms, settings: CheckSettings, beta: number, kind: MomentumKind = 'heavy-ball'): Promise<CheckResult> {
  const w0 = programs.model.initialParameters;
  const rows: Row[] = [];
  for (const { epsilon, eta } of momentumGrid(programs.model.epsilonScale, beta, settings.epsilonCount)) {
    const start = await slowManifoldState(programs, w0, beta);
    const z0 = momentumFreePoint(start, epsilon, beta, kind);
    const z1 = momentumFreePoint(await momentumGradientDescent(programs, start, epsilon, beta, 1, kind), epsilon, beta, kind);
    // Full batch is m = 1: both weights multiply ||∇C||².
    const loss = momentumModifiedLoss(epsilon, beta, 1, kind);
    const modifiedFlow = modifiedFlowField(programs, loss.fullGradientWeight + loss.batchGradientWeight, 0);
    const plain = await compareWithFlow(programs, z1, z0, eta, modifiedFlowField(programs, 0, 0), settings.rk4Steps);
    const modified = await compareWithFlow(programs, z1, z0, eta, modifiedFlow, settings.rk4Steps);
    const unamplified = await compareWithFlow(programs, z1, z0, eta, modifiedFlowField(programs, eta / 4, 0), settings.rk4Steps);
    // From rest z₀ = w₀; the same modified flow from there, before and after removing the initial layer.
    const zRest = momentumFreePoint(await momentumGradientDescent(programs, restingAt(w0), epsilon, beta, 1, kind), epsilon, beta, kind);
    const fromRest = await compareWithFlow(programs, zRest, w0, eta, modifiedFlow, settings.rk4Steps);
    const zRestCorrected = await withoutInitialLayer(programs, zRest, w0, eta, beta, 1, kind);
    const fromRestCorrected = await compareWithFlow(programs, zRestCorrected, w0, eta, modifiedFlow, settings.rk4Steps);
    const comparisons = [plain, modified, unamplified, fromRest, fromRestCorrected];
    rows.push({
      epsilon,
      eta,
      plain: plain.error,
      modified: modified.error,
      unamplified: unamplified.error,
      fromRest: fromRest.error,
      fromRestCorrected: fromRestCorrected.error,
      integratorRatio: Math.max(...comparisons.map((c) => c.integratorRatio)),
    });
  }
  const { slopes, ok: resolved, note } = fitSlopes(rows, ['plain', 'modified', 'unamplified', 'fromRest', 'fromRestCorrected']);
  // For β > 0 the β-blind loss and the start at rest have the wrong O(η²) term: slope 2, not 3.
  const wrongFormsBelow = beta === 0 || (slopes.unamplified < SINGLE_ORDER_SLOPE_LIMIT && slopes.fromRest < SINGLE_ORDER_SLOPE_LIMIT);
  // At β = 0 the wrong forms are the right one (no momentum, nothing to start at rest): slope 3 like the loss itself.
  const wrong = beta === 0 ? 3 : 2;
  const expected = { plain: 2, modified: 3, unamplified: wrong, fromRest: wrong, fromRestCorrected: 3 };
  const pass = near(slopes.plain, expected.plain) && near(slopes.modified, expected.modified) && near(slopes.fromRestCorrected, expected.fromRestCorrected) && wrongFormsBelow && resolved;
  return {
    name: checkNames[kind].gd,
    model: programs.model.name,
    beta,
    slopes,
    expected,
    pass,
    verdict:
      `β=${beta}${checkNames[kind].label}: z after one step vs flow of C over η = ε/(1−β): slope ${fmt(slopes.plain)} (theory ${expected.plain}); ` +
      `vs C + ${gdWeightText(kind)}||∇C||²: ${fmt(slopes.modified)} (theory ${expected.modified}); ` +
      (beta === 0 ? '' : `vs C + (η/4)||∇C||²: ${fmt(slopes.unamplified)} (theory ${expected.unamplified}); from rest: ${fmt(slopes.fromRest)} (theory ${expected.fromRest}), `) +
      `from rest less its initial layer: ${fmt(slopes.fromRestCorrected)} (theory ${expected.fromRestCorrected})${note}`,
    points: rows,
  };
}

/**
 * Momentum check 2 (docs/theory.md Eq. M9, M13): the mean over all orders of one epoch (or of `epochs`
 * epochs, each a fresh permutation) from the slow manifold, z against the flows of C and of the momentum
 * modified loss over mη per epoch; one order alone; the reading "C̃_SGD at rate η, times (1+β)/(1−β)";
 * and from rest with and without its initial layer.
 */
export async function checkMomentumSgdEpoch(
  programs: ModelPrograms,
  settings: CheckSettings,
  beta: number,
  { epochs = 1, kind = 'heavy-ball' }: { epochs?: number; kind?: MomentumKind } = {},
): Promise<CheckResult> {
  const m = programs.batching.batchCount;
  const steps = m * epochs;
  const w0 = programs.model.initialParameters;
  const order = Array.from({ length: epochs }, () => identityOrder(m)).flat();
  const rows: Row[] = [];
  for (const { epsilon, eta } of momentumGrid(programs.model.epsilonScale / steps, beta, settings.epsilonCount)) {
    const start = await slowManifoldState(programs, w0, beta);
    const zOf = (state: MomentumState) => momentumFreePoint(state, epsilon, beta, kind);
    const z0 = zOf(start);
    const mean = zOf((await momentumMeanOverAllOrders(programs, start, epsilon, beta, { epochs, kind })).mean);
    const single = zOf(await momentumEpochInOrder(programs, start, order, epsilon, beta, kind));
    const time = steps * eta;
    const loss = momentumModifiedLoss(epsilon, beta, m, kind);
    const modifiedFlow = modifiedFlowField(programs, loss.fullGradientWeight, loss.batchGradientWeight);
    const plain = await compareWithFlow(programs, mean, z0, time, modifiedFlowField(programs, 0, 0), settings.rk4Steps);
    const modified = await compareWithFlow(programs, mean, z0, time, modifiedFlow, settings.rk4Steps);
    const singleOrder = await compareWithFlow(programs, single, z0, time, modifiedFlow, settings.rk4Steps);
    const scaledSgd = await compareWithFlow(programs, mean, z0, time, modifiedFlowField(programs, 0, ((eta / (4 * m)) * (1 + beta)) / (1 - beta)), settings.rk4Steps);
    const zRest = zOf((await momentumMeanOverAllOrders(programs, restingAt(w0), epsilon, beta, { epochs, kind })).mean);
    const fromRest = await compareWithFlow(programs, zRest, w0, time, modifiedFlow, settings.rk4Steps);
    const zRestCorrected = await withoutInitialLayer(programs, zRest, w0, eta, beta, steps, kind);
    const fromRestCorrected = await compareWithFlow(programs, zRestCorrected, w0, time, modifiedFlow, settings.rk4Steps);
    const comparisons = [plain, modified, singleOrder, scaledSgd, fromRest, fromRestCorrected];
    rows.push({
      epsilon,
      eta,
      plain: plain.error,
      modified: modified.error,
      singleOrder: singleOrder.error,
      scaledSgd: scaledSgd.error,
      fromRest: fromRest.error,
      fromRestCorrected: fromRestCorrected.error,
      integratorRatio: Math.max(...comparisons.map((c) => c.integratorRatio)),
    });
  }
  const { slopes, ok: resolved, note } = fitSlopes(rows, ['plain', 'modified', 'singleOrder', 'scaledSgd', 'fromRest', 'fromRestCorrected']);
  const wrongFormsBelow = beta === 0 || (slopes.scaledSgd < SINGLE_ORDER_SLOPE_LIMIT && slopes.fromRest < SINGLE_ORDER_SLOPE_LIMIT);
  // At β = 0 the scaled SGD loss and the start at rest are the momentum loss itself: slope 3.
  const wrong = beta === 0 ? 3 : 2;
  const expected = { plain: 2, modified: 3, singleOrder: 2, scaledSgd: wrong, fromRest: wrong, fromRestCorrected: 3 };
  const pass =
    near(slopes.plain, expected.plain) && near(slopes.modified, expected.modified) && near(slopes.fromRestCorrected, expected.fromRestCorrected) &&
    slopes.singleOrder < SINGLE_ORDER_SLOPE_LIMIT && wrongFormsBelow && resolved;
  const what = epochs === 1 ? `mean z over ${factorial(m)} orders` : `mean z after ${epochs} epochs over ${factorial(m) ** epochs} orders`;
  return {
    name: checkNames[kind].epoch,
    model: programs.model.name,
    beta,
    slopes,
    expected,
    pass,
    verdict:
      `β=${beta}${checkNames[kind].label}: ${what} vs flow of C over ${epochs === 1 ? '' : epochs}mη: slope ${fmt(slopes.plain)} (theory ${expected.plain}); ` +
      `vs the momentum loss (Eq. ${kind === 'nesterov' ? 'M13' : 'M9'}): ${fmt(slopes.modified)} (theory ${expected.modified}); one order: ${fmt(slopes.singleOrder)} (theory ${expected.singleOrder}); ` +
      (beta === 0 ? '' : `vs C̃_SGD at rate η times (1+β)/(1−β): ${fmt(slopes.scaledSgd)} (theory ${expected.scaledSgd}); from rest: ${fmt(slopes.fromRest)} (theory ${expected.fromRest}), `) +
      `from rest less its initial layer: ${fmt(slopes.fromRestCorrected)} (theory ${expected.fromRestCorrected})${note}`,
    points: rows,
  };
}
