// The six numerical checks of the backward error analysis (issue 4): each runs the discrete iterates
// and the (modified) gradient flows in float64 and measures how the gap scales with ε.

import { solveFlowAdaptively, type VectorField } from './integrate.ts';
import { halvingGrid, localSlopes, logLogSlope } from './fit.ts';
import type { ModelName } from './models.ts';
import type { ModelPrograms } from './programs.ts';
import { epochInOrder, forwardThenReversed, gradientDescentStep, identityOrder, meanOverAllOrders } from './sgd.ts';
import { combine, distance, squaredNorm } from './vectors.ts';

export const CHECK_NAMES = [
  'gd', 'sgd-epoch', 'reversal', 'n-step', 'appendix-a', 'breakdown',
  'gd-momentum', 'sgd-epoch-momentum', 'gd-nesterov-momentum', 'sgd-epoch-nesterov-momentum',
  'adam', 'rmsprop',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export function isCheckName(name: string): name is CheckName {
  return (CHECK_NAMES as readonly string[]).includes(name);
}

/** One row of a check's table: ε and the errors measured at it (or B and the two sides of an identity). */
export type Row = Record<string, number>;

export interface CheckResult {
  name: CheckName;
  model: ModelName;
  /** Fitted log-log slopes of error against ε, where the theory predicts one. */
  slopes?: Record<string, number>;
  /** Largest relative error of an identity that should hold to round-off. */
  maxRelError?: number;
  /** n of n-step SGD. */
  n?: number;
  /** β of heavy-ball momentum (the momentum checks). */
  beta?: number;
  /** β₁, β₂ (RMSProp's α) and ε̂ (inside the root) of the Adam and RMSProp checks, and ε̂'s regime against the gradients. */
  beta1?: number;
  beta2?: number;
  eps?: number;
  epsRegime?: 'small' | 'large';
  /** Steps K per measurement (the Adam and RMSProp checks). */
  steps?: number;
  /** The theory's slope for each column of `slopes` it predicts one for: what `pass` judges and the report draws. */
  expected?: Record<string, number>;
  /** Why the slopes are undecided: too few values of h resolved above RK4/round-off error (the Adam and RMSProp checks). */
  outOfReach?: string;
  pass: boolean;
  /** One line saying what was expected and whether it was seen. */
  verdict: string;
  /** The raw measurements. */
  points: Row[];
  /** A second table (Eq. 1 against Eq. 2 in the appendix-a check). */
  forms?: Row[];
}

export interface CheckSettings {
  /** Number of ε values on each log-scale grid (halving). */
  epsilonCount: number;
  /** RK4 steps per flow (the flow is also solved with twice as many, to bound RK4's error). */
  rk4Steps: number;
  /** n values of the n-step check (App. B). */
  stepCounts: number[];
  /** Number of ε values of the breakdown sweep (doubling up from the asymptotic range). */
  breakdownCount: number;
  /** β values of the momentum checks (docs/theory.md); the Nesterov checks skip β = 0, which is plain SGD for both. */
  momentumBetas: number[];
  /** β₁ values of the Adam check (RMSProp is β₁ = 0) and β₂ values of both (docs/theory.md §A7). */
  adamBeta1s: number[];
  adamBeta2s: number[];
}

export const DEFAULT_CHECK_SETTINGS: CheckSettings = {
  epsilonCount: 8, rk4Steps: 16, stepCounts: [1, 2, 4], breakdownCount: 10, momentumBetas: [0, 0.5, 0.9], adamBeta1s: [0, 0.5, 0.9], adamBeta2s: [0.9, 0.99, 0.999],
};

/** The largest tolerated deviation of a fitted slope from the theory's integer. */
export const SLOPE_TOLERANCE = 0.25;
/** A single batch order must stay clearly below the modified-flow slope 3 (its ξ term is O(ε²)). */
export const SINGLE_ORDER_SLOPE_LIMIT = 2.5;
/** Identities must hold to float64 round-off. */
export const IDENTITY_TOLERANCE = 1e-10;
/** RK4's own error must be this small a fraction of every error it is used to measure. */
export const INTEGRATOR_FRACTION = 1e-2;

export const near = (slope: number, target: number): boolean => Math.abs(slope - target) <= SLOPE_TOLERANCE;
export const fmt = (x: number): string => x.toFixed(2);

/**
 * The flow of C + a·||∇C||² + b·Σ_k||∇Ĉ_k||²: a = ε/4 for C̃_GD (Eq. 11), b = ε/4m for C̃_SGD
 * (Eq. 20), b = ε/4mn for n-step SGD (Eq. 39); a = b = 0 is plain gradient flow.
 */
export function modifiedFlowField(programs: ModelPrograms, sharpnessWeight: number, batchNormWeight: number): VectorField {
  if (sharpnessWeight === 0 && batchNormWeight === 0) return (w) => programs.flowVectorField('plain', w, 0);
  if (batchNormWeight === 0) return (w) => programs.flowVectorField('gd', w, sharpnessWeight);
  if (sharpnessWeight === 0) return (w) => programs.flowVectorField('sgd', w, batchNormWeight);
  return async (w) => {
    const f = await programs.flowField(w);
    return combine([[-1, f.gradient], [-sharpnessWeight, f.sharpnessGradient], [-batchNormWeight, f.batchNormGradient]]);
  };
}

export interface FlowComparison {
  error: number;
  integratorRatio: number;
}

/** |iterate − flow(time)|, with RK4 refined until its own error is a small fraction of that gap. */
export async function compareWithFlow(programs: ModelPrograms, iterate: Float64Array, start: Float64Array, time: number, field: VectorField, steps: number): Promise<FlowComparison> {
  const flow = await solveFlowAdaptively(field, start, time, steps, (end) => (INTEGRATOR_FRACTION / 10) * distance(iterate, end));
  const error = distance(iterate, flow.end);
  return { error, integratorRatio: flow.integratorError / error };
}

const column = (rows: Row[], key: string): number[] => rows.map((r) => r[key]!);

/** At least this many ε values must be resolved (gap well above round-off) for a slope to count. */
export const MIN_RESOLVED_POINTS = 4;

/**
 * Mark each row resolved when RK4's S-vs-2S difference is below INTEGRATOR_FRACTION of every gap
 * measured there; at the smallest ε that difference is float64 round-off, and a gap that close to
 * round-off measures nothing. Slopes are fitted on the resolved rows only.
 */
export function fitSlopes<K extends string>(rows: Row[], keys: readonly K[]): { slopes: Record<K, number>; ok: boolean; note: string } {
  rows.forEach((r) => (r.resolved = r.integratorRatio! < INTEGRATOR_FRACTION ? 1 : 0));
  const resolved = rows.filter((r) => r.resolved === 1);
  const eps = column(resolved, 'epsilon');
  const slopes = Object.fromEntries(keys.map((k) => [k, resolved.length >= 2 ? logLogSlope(eps, column(resolved, k)) : Number.NaN])) as Record<K, number>;
  const dropped = rows.length - resolved.length;
  const ok = resolved.length >= MIN_RESOLVED_POINTS;
  const note = ok
    ? dropped > 0 ? `; ${dropped} ε value(s) left out of the fit (gap within 100× of RK4/round-off error)` : ''
    : `; only ${resolved.length} of ${rows.length} ε values resolved above RK4/round-off error (need ${MIN_RESOLVED_POINTS})`;
  return { slopes, ok, note };
}

/** Check 1 (Eq. 10–11): one GD step against the flows of C and C̃_GD over time ε. */
export async function checkGradientDescent(programs: ModelPrograms, settings: CheckSettings): Promise<CheckResult> {
  const w0 = programs.model.initialParameters;
  const rows: Row[] = [];
  for (const epsilon of halvingGrid(programs.model.epsilonScale, settings.epsilonCount)) {
    const step = await gradientDescentStep(programs, w0, epsilon);
    const plain = await compareWithFlow(programs, step, w0, epsilon, modifiedFlowField(programs, 0, 0), settings.rk4Steps);
    const modified = await compareWithFlow(programs, step, w0, epsilon, modifiedFlowField(programs, epsilon / 4, 0), settings.rk4Steps);
    rows.push({ epsilon, plain: plain.error, modified: modified.error, integratorRatio: Math.max(plain.integratorRatio, modified.integratorRatio) });
  }
  const { slopes, ok: resolved, note } = fitSlopes(rows, ['plain', 'modified']);
  const expected = { plain: 2, modified: 3 };
  const pass = near(slopes.plain, expected.plain) && near(slopes.modified, expected.modified) && resolved;
  return {
    name: 'gd',
    model: programs.model.name,
    slopes,
    expected,
    pass,
    verdict: `GD step vs flow of C: slope ${fmt(slopes.plain)} (theory ${expected.plain}); vs flow of C̃_GD = C + (ε/4)||∇C||²: slope ${fmt(slopes.modified)} (theory ${expected.modified})${note}`,
    points: rows,
  };
}

/** Check 2 (Eq. 18–20): the mean over all m! orders of one epoch against the flows of C and C̃_SGD over mε. */
export async function checkSgdEpoch(programs: ModelPrograms, settings: CheckSettings): Promise<CheckResult> {
  const m = programs.batching.batchCount;
  const w0 = programs.model.initialParameters;
  const rows: Row[] = [];
  for (const epsilon of halvingGrid(programs.model.epsilonScale / m, settings.epsilonCount)) {
    const { mean } = await meanOverAllOrders(programs, w0, epsilon);
    const single = await epochInOrder(programs, w0, identityOrder(m), epsilon);
    const plain = await compareWithFlow(programs, mean, w0, m * epsilon, modifiedFlowField(programs, 0, 0), settings.rk4Steps);
    const modifiedFlow = modifiedFlowField(programs, 0, epsilon / (4 * m));
    const modified = await compareWithFlow(programs, mean, w0, m * epsilon, modifiedFlow, settings.rk4Steps);
    const singleOrder = await compareWithFlow(programs, single, w0, m * epsilon, modifiedFlow, settings.rk4Steps);
    rows.push({
      epsilon,
      plain: plain.error,
      modified: modified.error,
      singleOrder: singleOrder.error,
      integratorRatio: Math.max(plain.integratorRatio, modified.integratorRatio, singleOrder.integratorRatio),
    });
  }
  const { slopes, ok: resolved, note } = fitSlopes(rows, ['plain', 'modified', 'singleOrder']);
  // One order keeps the O(ε²) ξ term (Eq. 20's remark): slope 2, judged as clearly below the mean's 3.
  const expected = { plain: 2, modified: 3, singleOrder: 2 };
  const pass = near(slopes.plain, expected.plain) && near(slopes.modified, expected.modified) && slopes.singleOrder < SINGLE_ORDER_SLOPE_LIMIT && resolved;
  return {
    name: 'sgd-epoch',
    model: programs.model.name,
    slopes,
    expected,
    pass,
    verdict: `mean over ${factorial(m)} orders vs flow of C: slope ${fmt(slopes.plain)} (theory ${expected.plain}); vs C̃_SGD (Eq. 20): ${fmt(slopes.modified)} (theory ${expected.modified}); one order vs C̃_SGD: ${fmt(slopes.singleOrder)} (theory ${expected.singleOrder})${note}`,
    points: rows,
  };
}

/** Check 3 (Sec. 2.2 remarks): one forward and one reversed epoch, no averaging, against C̃_SGD over 2mε. */
export async function checkReversal(programs: ModelPrograms, settings: CheckSettings): Promise<CheckResult> {
  const m = programs.batching.batchCount;
  const w0 = programs.model.initialParameters;
  const rows: Row[] = [];
  for (const epsilon of halvingGrid(programs.model.epsilonScale / (2 * m), settings.epsilonCount)) {
    const pair = await epochInOrder(programs, w0, forwardThenReversed(m), epsilon);
    const plain = await compareWithFlow(programs, pair, w0, 2 * m * epsilon, modifiedFlowField(programs, 0, 0), settings.rk4Steps);
    const modified = await compareWithFlow(programs, pair, w0, 2 * m * epsilon, modifiedFlowField(programs, 0, epsilon / (4 * m)), settings.rk4Steps);
    rows.push({ epsilon, plain: plain.error, modified: modified.error, integratorRatio: Math.max(plain.integratorRatio, modified.integratorRatio) });
  }
  const { slopes, ok: resolved, note } = fitSlopes(rows, ['plain', 'modified']);
  const expected = { plain: 2, modified: 3 };
  const pass = near(slopes.plain, expected.plain) && near(slopes.modified, expected.modified) && resolved;
  return {
    name: 'reversal',
    model: programs.model.name,
    slopes,
    expected,
    pass,
    verdict: `forward+reversed epochs vs flow of C over 2mε: slope ${fmt(slopes.plain)} (theory ${expected.plain}); vs C̃_SGD: ${fmt(slopes.modified)} (theory ${expected.modified})${note}`,
    points: rows,
  };
}

/**
 * Check 4 (App. B, Eq. 39): the mean iterate of n-step SGD (rate α, ε = nα) against the flow of
 * C + (ε/4mn)Σ_k||∇Ĉ_k||², and against the plain-SGD loss C + (ε/4m)Σ_k||∇Ĉ_k||², which is wrong for n > 1.
 */
export async function checkNStep(programs: ModelPrograms, settings: CheckSettings, n: number): Promise<CheckResult> {
  const m = programs.batching.batchCount;
  const w0 = programs.model.initialParameters;
  const rows: Row[] = [];
  for (const epsilon of halvingGrid(programs.model.epsilonScale / m, settings.epsilonCount)) {
    const { mean } = await meanOverAllOrders(programs, w0, epsilon / n, n);
    const time = m * epsilon;
    const plain = await compareWithFlow(programs, mean, w0, time, modifiedFlowField(programs, 0, 0), settings.rk4Steps);
    const modified = await compareWithFlow(programs, mean, w0, time, modifiedFlowField(programs, 0, epsilon / (4 * m * n)), settings.rk4Steps);
    const sgdLoss = n === 1 ? modified : await compareWithFlow(programs, mean, w0, time, modifiedFlowField(programs, 0, epsilon / (4 * m)), settings.rk4Steps);
    rows.push({
      epsilon,
      plain: plain.error,
      modified: modified.error,
      plainSgdModified: sgdLoss.error,
      integratorRatio: Math.max(plain.integratorRatio, modified.integratorRatio, sgdLoss.integratorRatio),
    });
  }
  const { slopes, ok: resolved, note } = fitSlopes(rows, ['plain', 'modified', 'plainSgdModified']);
  // For n > 1 the (ε/4m) loss has the wrong O(ε) field, so its error is O(ε²) and larger at every ε.
  const wrongLossWorse = n === 1 || (rows.every((r) => r.plainSgdModified! > r.modified!) && slopes.plainSgdModified < SINGLE_ORDER_SLOPE_LIMIT);
  // The SGD loss's O(ε) field is wrong for n > 1: slope 2, judged as clearly below 3 (for n = 1 it is the same loss).
  const expected = { plain: 2, modified: 3, plainSgdModified: n === 1 ? 3 : 2 };
  const pass = near(slopes.plain, expected.plain) && near(slopes.modified, expected.modified) && wrongLossWorse && resolved;
  return {
    name: 'n-step',
    model: programs.model.name,
    n,
    slopes,
    expected,
    pass,
    verdict:
      `n=${n}: mean iterate vs flow of C: slope ${fmt(slopes.plain)} (theory ${expected.plain}); vs C + (ε/4mn)Σ||∇Ĉ_k||² (Eq. 39): ${fmt(slopes.modified)} (theory ${expected.modified})` +
      (n === 1 ? ' (same loss as SGD)' : `; vs the SGD loss (ε/4m): ${fmt(slopes.plainSgdModified)}, ${wrongLossWorse ? 'worse at every ε' : 'NOT worse'}`) +
      note,
    points: rows,
  };
}

/** Every size-`size` subset of 0..n−1, in lexicographic order. */
export function* subsets(n: number, size: number): Generator<number[]> {
  const pick = Array.from({ length: size }, (_, i) => i);
  while (true) {
    yield [...pick];
    let i = size - 1;
    while (i >= 0 && pick[i] === n - size + i) i--;
    if (i < 0) return;
    pick[i]!++;
    for (let j = i + 1; j < size; j++) pick[j] = pick[j - 1]! + 1;
  }
}

export function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}

const relativeError = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);

/**
 * Check 5 (App. A, Eq. 27–32; Eq. 1 vs Eq. 2): the mean of ||∇Ĉ − ∇C||² over ALL subsets of size B
 * against (N−B)/(N−1)·Γ/B, each ∇Ĉ from its own graph call; and C̃_SGD (value and gradient) in both forms.
 */
export async function checkAppendixA(programs: ModelPrograms): Promise<CheckResult> {
  const n = programs.model.exampleCount;
  const w0 = programs.model.initialParameters;
  const weightsOf = (members: readonly number[]) => {
    const weights = new Float64Array(n);
    for (const i of members) weights[i] = 1 / members.length;
    return weights;
  };
  const everyone = Array.from({ length: n }, (_, i) => i);
  const fullGradient = await programs.weightedGradient(w0, weightsOf(everyone));
  let gammaSum = 0;
  for (const i of everyone) gammaSum += squaredNorm(combine([[1, await programs.weightedGradient(w0, weightsOf([i]))], [-1, fullGradient]]));
  // Γ = (1/N) Σ_i ||∇C_i − ∇C||², the trace of the per-example gradient covariance (Eq. 32).
  const gamma = gammaSum / n;
  const rows: Row[] = [];
  for (let b = 1; b < n; b++) {
    let total = 0;
    let count = 0;
    for (const members of subsets(n, b)) {
      total += squaredNorm(combine([[1, await programs.weightedGradient(w0, weightsOf(members))], [-1, fullGradient]]));
      count++;
    }
    const enumerated = total / count;
    const formula = ((n - b) / (n - 1)) * (gamma / b);
    rows.push({ batchSize: b, subsets: count, enumerated, formula, relError: relativeError(enumerated, formula) });
  }
  const forms: Row[] = [];
  for (const epsilon of [2 ** -2, 2 ** -5, 2 ** -8]) {
    const f = await programs.modifiedLossForms(w0, epsilon);
    forms.push({
      epsilon,
      eq1: f.eq1,
      eq2: f.eq2,
      valueRelError: relativeError(f.eq1, f.eq2),
      gradientRelError: distance(f.eq1Gradient, f.eq2Gradient) / Math.sqrt(squaredNorm(f.eq1Gradient)),
    });
  }
  const maxRelError = Math.max(...column(rows, 'relError'), ...column(forms, 'valueRelError'), ...column(forms, 'gradientRelError'));
  const pass = maxRelError < IDENTITY_TOLERANCE;
  return {
    name: 'appendix-a',
    model: programs.model.name,
    maxRelError,
    pass,
    verdict: `E||∇Ĉ − ∇C||² over all subsets = (N−B)/(N−1)·Γ/B for B = 1..${n - 1}, and Eq. 1 = Eq. 2: max relative error ${maxRelError.toExponential(1)} (tolerance ${IDENTITY_TOLERANCE})`,
    points: rows,
    forms,
  };
}

/**
 * Check 6 (Sec. 2.2 remarks): the analysis needs mε small. Sweep mε upwards from the asymptotic range
 * and compare each error with the ε³ line fitted on the smallest values: it must leave the line.
 */
export async function checkBreakdown(programs: ModelPrograms, settings: CheckSettings): Promise<CheckResult> {
  const m = programs.batching.batchCount;
  const w0 = programs.model.initialParameters;
  const asymptotic = 4;
  const smallest = programs.model.epsilonScale / m / 2 ** (asymptotic - 1);
  const rows: Row[] = [];
  for (let i = 0; i < settings.breakdownCount; i++) {
    const epsilon = smallest * 2 ** i;
    const { mean } = await meanOverAllOrders(programs, w0, epsilon);
    const modified = await compareWithFlow(programs, mean, w0, m * epsilon, modifiedFlowField(programs, 0, epsilon / (4 * m)), settings.rk4Steps);
    rows.push({ epsilon, mEpsilon: m * epsilon, modified: modified.error, integratorRatio: modified.integratorRatio });
  }
  const eps = column(rows, 'epsilon');
  const errors = column(rows, 'modified');
  const head = logLogSlope(eps.slice(0, asymptotic), errors.slice(0, asymptotic));
  // The ε³ line through the smallest ε, extended: error / (c·ε³).
  const c = errors[0]! / eps[0]! ** 3;
  rows.forEach((r) => (r.ratioToCubicLine = r.modified! / (c * r.epsilon! ** 3)));
  const local = localSlopes(eps, errors);
  rows.forEach((r, i) => (r.localSlope = i === 0 ? Number.NaN : local[i - 1]!));
  const departed = rows.find((r) => Math.abs(Math.log2(r.ratioToCubicLine!)) >= 1 && Number.isFinite(r.modified!));
  const headResolved = rows.slice(0, asymptotic).every((r) => r.integratorRatio! < INTEGRATOR_FRACTION);
  const expected = { modified: 3 };
  const pass = near(head, expected.modified) && departed !== undefined && headResolved;
  return {
    name: 'breakdown',
    model: programs.model.name,
    slopes: { modified: head },
    expected,
    pass,
    verdict: `slope ${fmt(head)} for mε ≤ ${fmtShort(rows[asymptotic - 1]!.mEpsilon!)}; ` +
      (departed ? `the error leaves the ε³ line by ×${fmtShort(departed.ratioToCubicLine!)} at mε = ${fmtShort(departed.mEpsilon!)}` : 'the error never left the ε³ line in this range') +
      (headResolved ? '' : '; RK4/round-off error not negligible in the ε³ range'),
    points: rows,
  };
}

const fmtShort = (x: number): string => (Math.abs(x) >= 0.01 && Math.abs(x) < 1000 ? x.toPrecision(3) : x.toExponential(2));
