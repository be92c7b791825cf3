// The paper's figure types (Fig. 1–5, 7) from pooled sweep settings: each builder picks the slice of
// the pool its figure needs and returns a Vega-Lite spec, or says why the sweeps cannot support it.

import type { MetricSummary, SweepSummary } from '../sweep/summary.ts';
import { drawnSeries, figureSpec, panel, type SeriesPoint, type VegaLiteSpec } from './charts.ts';
import { formatPowerOfTwo } from './log2.ts';
import { budgetKey, distinct, mostCommon, mostlyDiverged, poolSettings, ReportInputError, type Setting } from './pool.ts';

/** One evaluation of a run's metric history (src/store: `store.metrics(runId)`). */
export interface HistoryRow {
  step: number;
  epoch: number;
  test_acc?: number;
  best_test_acc?: number;
}

export interface ReportInput {
  summaries: SweepSummary[];
  /** Metric history of one run; Fig. 1a needs it, every other figure uses the summaries only. */
  loadHistory?: (runId: number) => HistoryRow[];
  /**
   * Leave out grid points whose score (or, for accuracy metrics, whose plotted value) is below this
   * number in [0, 1], e.g. 0.9 to drop diverged and untrainable points so the y axis zooms in on the
   * rest. Each figure's caption names the points it left out.
   */
  excludeBelow?: number;
}

interface FigureHeader {
  /** File-name stem and HTML anchor, e.g. "fig1b-test-acc-vs-eps-and-lambda". */
  id: string;
  /** The paper figure it mirrors, e.g. "Fig. 1b". */
  paper: string;
  title: string;
}

export interface DrawnFigure extends FigureHeader {
  kind: 'drawn';
  caption: string;
  /** What was chosen or left out (slices, diverged points, missing series). */
  notes: string[];
  spec: VegaLiteSpec;
}

export interface SkippedFigure extends FigureHeader {
  kind: 'skipped';
  /** Why the sweeps given cannot support this figure, e.g. "no batch-size axis". */
  reason: string;
}

export type FigureOutcome = DrawnFigure | SkippedFigure;

interface Context {
  settings: Setting[];
  scoreLabel: string;
  scoreIsAccuracy: boolean;
  scoringText: string;
  loadHistory?: (runId: number) => HistoryRow[];
  excludeBelow?: number;
  /** Points the current figure left out by `excludeBelow`: description → why. */
  leftOut: Map<string, string>;
  /** Points the current figure drew as diverged outliers: description → "k/n". */
  divergedDrawn: Map<string, string>;
}

const EPSILON_SERIES = 'original loss C (λ = 0), vs ε';
const LAMBDA_SERIES = (epsilon: number) => `modified loss C_mod, ε = ${formatPowerOfTwo(epsilon)}, vs λ`;

const isAccuracyMetric = (metric: string): boolean => /acc/.test(metric);
const percent = (m: MetricSummary, asPercent: boolean): { y: number; std: number } =>
  asPercent ? { y: 100 * m.mean, std: 100 * m.std } : { y: m.mean, std: m.std };
const runsDetail = (s: Setting): string => `${s.scoredRunIds.length} scored of ${s.runs}${s.diverged > 0 ? `, ${s.diverged} diverged` : ''}`;

/** Keep one setting per x (the one with most runs), so a point shared by two sweeps is drawn once. */
function onePerX(rows: Setting[], x: (s: Setting) => number): Setting[] {
  const byX = new Map<number, Setting>();
  for (const s of rows) {
    const kept = byX.get(x(s));
    if (!kept || s.runs > kept.runs) byX.set(x(s), s);
  }
  return [...byX.values()].sort((a, b) => x(a) - x(b));
}

/** Restrict to the most common training budget, so one line never mixes epoch and step budgets. */
function atCommonBudget(rows: Setting[]): Setting[] {
  const key = mostCommon(rows, (s) => budgetKey(s.budget));
  return rows.filter((s) => budgetKey(s.budget) === key);
}

/**
 * Plain SGD (n = 1) at the most common batch size: the slice of Fig. 1, 2 and 5. Sweeps made for Fig. 3
 * or 4 (batch or n varies) are left out when other sweeps are given, so their budgets do not leak in.
 */
function plainSgdSlice(settings: Setting[]): { rows: Setting[]; batch: number | undefined } {
  const dedicated = settings.filter((s) => !s.sweepVaries.batch && !s.sweepVaries.nStep);
  const plain = (dedicated.length > 0 ? dedicated : settings).filter((s) => s.nStep === 1);
  const batch = mostCommon(plain, (s) => String(s.batch));
  return { rows: plain.filter((s) => String(s.batch) === batch), batch: batch === undefined ? undefined : Number(batch) };
}

interface RateAndCoefficientSeries {
  epsilonRows: Setting[];
  /** The fixed small ε of the λ series, and its rows. */
  lambdaEpsilon: number | undefined;
  lambdaRows: Setting[];
  /** The λ = 0 run at the λ series' ε, drawn as a dotted level (Fig. 1b). */
  reference: Setting | undefined;
  batch: number | undefined;
}

/** The ε series (λ = 0) and the λ series at the fixed ε that has the most λ values (ties: the smallest ε). */
function rateAndCoefficientSeries(settings: Setting[]): RateAndCoefficientSeries {
  const { rows, batch } = plainSgdSlice(settings);
  const epsilonRows = onePerX(atCommonBudget(rows.filter((s) => s.lambda === 0)), (s) => s.epsilon);
  const regularized = rows.filter((s) => s.lambda > 0);
  let lambdaEpsilon: number | undefined;
  let lambdaCount = 0;
  for (const epsilon of distinct(regularized.map((s) => s.epsilon))) {
    const count = distinct(regularized.filter((s) => s.epsilon === epsilon).map((s) => s.lambda)).length;
    if (count > lambdaCount) [lambdaEpsilon, lambdaCount] = [epsilon, count];
  }
  const lambdaRows = onePerX(atCommonBudget(regularized.filter((s) => s.epsilon === lambdaEpsilon)), (s) => s.lambda);
  const lambdaBudget = lambdaRows[0] ? budgetKey(lambdaRows[0].budget) : undefined;
  const reference = rows.find((s) => s.lambda === 0 && s.epsilon === lambdaEpsilon && budgetKey(s.budget) === lambdaBudget);
  return { epsilonRows, lambdaEpsilon, lambdaRows, reference, batch };
}

/** A grid point in words, by the coordinates that tell it apart in the figures: "n = 2, α = 2^1", "λ = 2^-2". */
function describeSetting(s: Setting): string {
  const parts: string[] = [];
  if (s.sweepVaries.nStep) parts.push(`n = ${s.nStep}`, `α = ${formatPowerOfTwo(s.lr)}`);
  else {
    if (s.sweepVaries.batch) parts.push(`B = ${s.batch}`);
    parts.push(s.lambda > 0 ? `λ = ${formatPowerOfTwo(s.lambda)}` : `ε = ${formatPowerOfTwo(s.epsilon)}`);
  }
  return parts.join(', ');
}

/** Whether a setting's score clears `excludeBelow` (always, without it). */
const scoreClears = (ctx: Context, s: Setting): boolean => ctx.excludeBelow === undefined || (s.score !== null && s.score.mean >= ctx.excludeBelow);

/** `scoreClears`, recording the setting in the figure's left-out list when it does not. */
function keep(ctx: Context, s: Setting): boolean {
  if (scoreClears(ctx, s)) return true;
  const why = [s.diverged > 0 ? `${s.diverged}/${s.runs} diverged` : '', s.score ? `score ${s.score.mean.toFixed(3)}` : 'no scored run'].filter((w) => w !== '').join(', ');
  ctx.leftOut.set(describeSetting(s), why);
  return false;
}

/** A setting where most runs diverged, as a marked outlier (its value, if any, only in the tooltip); named in the caption. */
function divergedPoint(ctx: Context, s: Setting, series: string, x: number, y: number): SeriesPoint {
  ctx.divergedDrawn.set(describeSetting(s), `${s.diverged}/${s.runs}`);
  return { series, x, y, diverged: true, detail: runsDetail(s) };
}

function scorePoint(ctx: Context, s: Setting, series: string, x: number): SeriesPoint | null {
  if (!keep(ctx, s)) return null;
  if (mostlyDiverged(s)) return divergedPoint(ctx, s, series, x, s.score ? percent(s.score, ctx.scoreIsAccuracy).y : Number.NaN);
  if (!s.score) return null;
  return { series, x, ...percent(s.score, ctx.scoreIsAccuracy), detail: runsDetail(s) };
}

function metricPoint(ctx: Context, s: Setting, metric: string, series: string, x: number, asPercent: boolean): SeriesPoint | null {
  if (!keep(ctx, s)) return null;
  const m = s.metrics[metric];
  if (mostlyDiverged(s)) return divergedPoint(ctx, s, series, x, m ? percent(m, asPercent).y : Number.NaN);
  if (!m || !Number.isFinite(m.mean)) return null;
  // An accuracy drawn on the same axis as the score: its own value must clear the threshold too.
  if (asPercent && ctx.excludeBelow !== undefined && m.mean < ctx.excludeBelow) {
    ctx.leftOut.set(`${describeSetting(s)} (${metric})`, `${metric} ${m.mean.toFixed(3)}`);
    return null;
  }
  return { series, x, ...percent(m, asPercent), detail: runsDetail(s) };
}

const present = <T>(items: (T | null)[]): T[] => items.filter((i): i is T => i !== null);

/** Notes for settings left out because no run was scored there (failed; the diverged ones are drawn as such). */
function unscoredNote(rows: Setting[], describe: (s: Setting) => string): string[] {
  const missing = rows.filter((s) => !s.score && !mostlyDiverged(s));
  return missing.length === 0 ? [] : [`No scored run at ${missing.map(describe).join(', ')}: left out.`];
}

function sliceNote(series: RateAndCoefficientSeries): string {
  const budget = series.epsilonRows[0]?.budget ?? series.lambdaRows[0]?.budget;
  return `Plain SGD (n = 1), batch size B = ${series.batch}${budget ? `, ${budgetKey(budget)}` : ''}.`;
}

const EPSILON_AXIS = 'learning rate ε, or regularization coefficient λ (log scale, base 2)';

interface EpsilonAndLambdaOptions {
  yScale?: 'linear' | 'log';
  /** Draw the λ = 0 run at the λ series' ε as a dotted level (Fig. 1b). */
  withReference?: boolean;
  /** Where diverged points sit: 'top' for quantities that blow up (C_reg, loss). */
  divergedEdge?: 'top' | 'bottom';
}

/** Fig. 1b / 1c / 5 share one shape: a quantity against ε (λ = 0) and against λ (fixed ε) on one axis. */
function epsilonAndLambdaPanel(ctx: Context, series: RateAndCoefficientSeries, title: string, yTitle: string, value: (s: Setting, name: string, x: number) => SeriesPoint | null, options: EpsilonAndLambdaOptions = {}): VegaLiteSpec {
  // No λ series (no fixed ε with λ values): no name for it either, so no "ε = NaN" in a legend.
  const lambdaName = series.lambdaEpsilon === undefined ? undefined : LAMBDA_SERIES(series.lambdaEpsilon);
  const points = [
    ...present(series.epsilonRows.map((s) => value(s, EPSILON_SERIES, s.epsilon))),
    ...(lambdaName === undefined ? [] : present(series.lambdaRows.map((s) => value(s, lambdaName, s.lambda)))),
  ];
  const ref = options.withReference && series.reference && lambdaName !== undefined && !mostlyDiverged(series.reference) ? value(series.reference, 'reference', series.reference.epsilon) : null;
  return panel({
    title,
    xTitle: EPSILON_AXIS,
    yTitle,
    xLabels: 'power',
    yScale: options.yScale,
    seriesTitle: 'training',
    seriesOrder: lambdaName === undefined ? [EPSILON_SERIES] : [EPSILON_SERIES, lambdaName],
    points,
    reference: ref ? { y: ref.y, label: `λ = 0 at ε = ${formatPowerOfTwo(series.lambdaEpsilon!)}` } : undefined,
    divergedEdge: options.divergedEdge,
  });
}

function missingSeriesNotes(series: RateAndCoefficientSeries): string[] {
  const notes: string[] = [];
  if (series.epsilonRows.length < 2) notes.push('No ε series: the sweeps have fewer than two learning rates at λ = 0.');
  if (series.lambdaRows.length < 2) notes.push('No λ series: the sweeps have fewer than two λ > 0 at one learning rate.');
  return notes;
}

const hasEitherSeries = (s: RateAndCoefficientSeries) => s.epsilonRows.length >= 2 || s.lambdaRows.length >= 2;
const NEEDS_RATE_OR_LAMBDA_AXIS = 'needs a learning-rate axis at λ = 0 or a λ axis at a fixed learning rate (two values or more, plain SGD)';

/** A positive quantity that spans more than a decade reads better on a log scale. */
function scaleFor(values: number[]): 'linear' | 'log' {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0 || finite.some((v) => v <= 0)) return 'linear';
  return Math.max(...finite) / Math.min(...finite) > 20 ? 'log' : 'linear';
}

// ---------------------------------------------------------------- Fig. 1b

function figure1b(ctx: Context): FigureOutcome {
  const header = { id: 'fig1b-test-acc-vs-eps-and-lambda', paper: 'Fig. 1b', title: `Test accuracy against ε (λ = 0) and against λ (fixed small ε)` };
  const series = rateAndCoefficientSeries(ctx.settings);
  if (!hasEitherSeries(series)) return { ...header, kind: 'skipped', reason: NEEDS_RATE_OR_LAMBDA_AXIS };
  const testPanel = epsilonAndLambdaPanel(ctx, series, 'Test accuracy', ctx.scoreLabel, (s, name, x) => scorePoint(ctx, s, name, x), { withReference: true });
  const spec = figureSpec([testPanel]);
  const drawn = drawnSeries(testPanel);
  const best = (rows: Setting[], x: (s: Setting) => number) => {
    const scored = rows.filter((s) => s.score && !mostlyDiverged(s));
    if (scored.length === 0) return undefined;
    return formatPowerOfTwo(x(scored.reduce((a, b) => (b.score!.mean > a.score!.mean ? b : a))));
  };
  const bestEpsilon = best(series.epsilonRows, (s) => s.epsilon);
  const bestLambda = best(series.lambdaRows, (s) => s.lambda);
  return {
    ...header,
    kind: 'drawn',
    // The caption names only what is drawn: no orange series when the sweeps have no λ points.
    caption:
      (drawn.has(EPSILON_SERIES) ? 'Blue: training on C at a range of learning rates ε. ' : '') +
      (series.lambdaEpsilon !== undefined && drawn.has(LAMBDA_SERIES(series.lambdaEpsilon)) ? `Orange: training on C_mod = C + λ C_reg at ε = ${formatPowerOfTwo(series.lambdaEpsilon)} for a range of λ. ` : '') +
      (drawn.has('reference') ? 'Dotted: λ = 0 at that ε. ' : '') +
      ctx.scoringText +
      (bestEpsilon && bestLambda ? ` Best ε = ${bestEpsilon}, best λ = ${bestLambda} (the paper finds them equal, 2^-6, on its Wide-ResNet).` : ''),
    notes: [sliceNote(series), ...missingSeriesNotes(series), ...unscoredNote([...series.epsilonRows, ...series.lambdaRows], (s) => (s.lambda > 0 ? `λ = ${formatPowerOfTwo(s.lambda)}` : `ε = ${formatPowerOfTwo(s.epsilon)}`))],
    spec,
  };
}

// ---------------------------------------------------------------- Fig. 1a

interface Curve {
  epoch: number;
  best: number;
}

/** Best test accuracy so far at each evaluation; older histories without best_test_acc get a running max of test_acc. */
function bestSoFar(history: HistoryRow[]): Curve[] {
  let best = -Infinity;
  const curve: Curve[] = [];
  for (const row of [...history].sort((a, b) => a.step - b.step)) {
    const value = row.best_test_acc ?? row.test_acc;
    if (value === undefined || !Number.isFinite(value)) continue;
    best = Math.max(best, value);
    curve.push({ epoch: row.epoch, best });
  }
  return curve;
}

function meanCurve(curves: Curve[][]): Curve[] {
  const byEpoch = new Map<number, number[]>();
  for (const curve of curves) for (const c of curve) byEpoch.set(c.epoch, [...(byEpoch.get(c.epoch) ?? []), c.best]);
  // Only epochs every run evaluated, so the mean never jumps where one run stops early.
  return [...byEpoch.entries()]
    .filter(([, values]) => values.length === curves.length)
    .map(([epoch, values]) => ({ epoch, best: values.reduce((a, b) => a + b, 0) / values.length }))
    .sort((a, b) => a.epoch - b.epoch);
}

function figure1a(ctx: Context): FigureOutcome {
  const header = { id: 'fig1a-best-test-acc-over-training', paper: 'Fig. 1a', title: 'Best test accuracy during training, with and without the explicit regularizer' };
  const { rows, batch } = plainSgdSlice(ctx.settings);
  // The paper compares λ = 0 and its best λ at one small ε; take the ε with the most λ values that also has a λ = 0 point.
  const candidates = distinct(rows.filter((s) => s.lambda > 0 && rows.some((o) => o.lambda === 0 && o.epsilon === s.epsilon && o.score)).map((s) => s.epsilon));
  if (candidates.length === 0) return { ...header, kind: 'skipped', reason: 'needs a λ = 0 point and a λ > 0 point at the same learning rate (plain SGD)' };
  if (!ctx.loadHistory) return { ...header, kind: 'skipped', reason: 'needs the runs\' metric histories (the run store), which were not given' };
  const lambdaCount = (e: number) => rows.filter((s) => s.epsilon === e && s.lambda > 0).length;
  const epsilon = candidates.reduce((a, b) => (lambdaCount(b) > lambdaCount(a) ? b : a));
  const regularized = rows.filter((s) => s.epsilon === epsilon && s.lambda > 0 && s.score).sort((a, b) => b.score!.mean - a.score!.mean)[0];
  const unregularized = rows.find((s) => s.epsilon === epsilon && s.lambda === 0 && s.score);
  if (!regularized || !unregularized) return { ...header, kind: 'skipped', reason: `no scored runs at ε = ${formatPowerOfTwo(epsilon)} with both λ = 0 and λ > 0` };
  const points: SeriesPoint[] = [];
  const order: string[] = [];
  const notes: string[] = [];
  for (const s of [unregularized, regularized]) {
    const name = s.lambda === 0 ? `C, ε = ${formatPowerOfTwo(epsilon)}` : `C_mod, ε = ${formatPowerOfTwo(epsilon)}, λ = ${formatPowerOfTwo(s.lambda)}`;
    order.push(name);
    const curves = s.scoredRunIds.map((id) => ({ id, curve: bestSoFar(ctx.loadHistory!(id)) })).filter((c) => c.curve.length > 0);
    if (curves.length === 0) {
      notes.push(`No metric history in the store for the runs of "${name}" (${s.scoredRunIds.join(', ')}).`);
      continue;
    }
    const scale = ctx.scoreIsAccuracy ? 100 : 1;
    for (const { id, curve } of curves) for (const c of curve) points.push({ series: name, x: c.epoch, y: scale * c.best, run: `run ${id}` });
    for (const c of meanCurve(curves.map((c) => c.curve))) points.push({ series: name, x: c.epoch, y: scale * c.best });
    notes.push(`"${name}": mean (bold) of ${curves.length} scored runs (faint: runs ${curves.map((c) => c.id).join(', ')}).`);
  }
  if (points.length === 0) return { ...header, kind: 'skipped', reason: 'the store holds no test-accuracy history for the runs to compare' };
  const spec = figureSpec([
    panel({
      title: 'Best test accuracy so far',
      xTitle: 'training epochs',
      yTitle: ctx.scoreIsAccuracy ? 'best test accuracy so far (%)' : 'best test metric so far',
      xLabels: 'plain',
      xLinear: true,
      seriesTitle: 'training',
      seriesOrder: order,
      points,
      faintRuns: true,
    }),
  ]);
  return {
    ...header,
    kind: 'drawn',
    caption: `Small learning rate ε = ${formatPowerOfTwo(epsilon)}, batch size B = ${batch}: the original loss against the modified loss at its best λ (${formatPowerOfTwo(regularized.lambda)}). The explicit regularizer should lift test accuracy late in training.`,
    notes,
    spec,
  };
}

// ---------------------------------------------------------------- Fig. 1c

function figure1c(ctx: Context): FigureOutcome {
  const header = { id: 'fig1c-final-creg-vs-eps-and-lambda', paper: 'Fig. 1c', title: 'Final value of the implicit regularizer C_reg against ε and λ' };
  const series = rateAndCoefficientSeries(ctx.settings);
  if (!hasEitherSeries(series)) return { ...header, kind: 'skipped', reason: NEEDS_RATE_OR_LAMBDA_AXIS };
  const all = [...series.epsilonRows, ...series.lambdaRows];
  if (!all.some((s) => s.metrics.c_reg)) return { ...header, kind: 'skipped', reason: 'the sweeps recorded no final c_reg metric' };
  const yScale = scaleFor(all.filter((s) => scoreClears(ctx, s) && !mostlyDiverged(s)).map((s) => s.metrics.c_reg?.mean ?? Number.NaN));
  const spec = figureSpec([
    epsilonAndLambdaPanel(ctx, series, 'Final C_reg', `final C_reg = (1/4m) Σ_k ||∇C_k||²${yScale === 'log' ? ' (log scale)' : ''}`, (s, name, x) => metricPoint(ctx, s, 'c_reg', name, x, false), { yScale, divergedEdge: 'top' }),
  ]);
  return {
    ...header,
    kind: 'drawn',
    caption: `C_reg at the end of training (mean ± std over the scored runs). The analysis predicts that larger ε, like larger λ, drives it down.`,
    notes: [sliceNote(series), ...missingSeriesNotes(series)],
    spec,
  };
}

// ---------------------------------------------------------------- Fig. 2

function figure2(ctx: Context): FigureOutcome {
  const header = { id: 'fig2-train-and-test-acc-vs-eps', paper: 'Fig. 2', title: 'Train and test accuracy against ε, without and with the explicit regularizer' };
  const { rows, batch } = plainSgdSlice(ctx.settings);
  const lambdas = distinct(rows.map((s) => s.lambda)).filter((l) => distinct(rows.filter((s) => s.lambda === l).map((s) => s.epsilon)).length >= 2);
  if (!lambdas.includes(0)) return { ...header, kind: 'skipped', reason: 'needs a learning-rate axis (two values or more) at λ = 0' };
  // λ = 0 and up to three λ > 0 with the most learning rates: a row of more panels is unreadable.
  const shown = [0, ...lambdas.filter((l) => l > 0).sort((a, b) => rows.filter((s) => s.lambda === b).length - rows.filter((s) => s.lambda === a).length).slice(0, 3).sort((a, b) => a - b)];
  const testName = `test (${ctx.scoreLabel.replace(/ \(%\)$/, '')})`;
  const trainName = 'train (final)';
  const notes: string[] = [];
  const panels = shown.map((lambda, i) => {
    const slice = onePerX(atCommonBudget(rows.filter((s) => s.lambda === lambda)), (s) => s.epsilon);
    notes.push(...unscoredNote(slice, (s) => `λ = ${formatPowerOfTwo(lambda)}, ε = ${formatPowerOfTwo(s.epsilon)}`));
    return panel({
      title: `(${String.fromCharCode(97 + i)}) λ = ${formatPowerOfTwo(lambda)}`,
      xTitle: 'learning rate ε (log scale, base 2)',
      yTitle: ctx.scoreIsAccuracy ? 'accuracy (%)' : 'accuracy / score',
      xLabels: 'power',
      seriesTitle: 'accuracy',
      seriesOrder: [testName, trainName],
      dashedSeries: [trainName],
      points: [
        ...present(slice.map((s) => scorePoint(ctx, s, testName, s.epsilon))),
        ...present(slice.map((s) => metricPoint(ctx, s, 'train_acc', trainName, s.epsilon, true))),
      ],
    });
  });
  if (shown.length === 1) notes.push('No λ > 0 panel: the sweeps have no λ > 0 with two learning rates or more.');
  return {
    ...header,
    kind: 'drawn',
    caption: `Plain SGD, batch size B = ${batch}. Solid: test accuracy; dashed: final training accuracy (mean ± std over the same runs). ${ctx.scoringText} The paper: at λ = 0 the ε that maximizes test accuracy is larger than the one that maximizes training accuracy; with λ > 0 they coincide.`,
    notes,
    spec: figureSpec(panels),
  };
}

// ---------------------------------------------------------------- Fig. 3

function figure3(ctx: Context): FigureOutcome {
  const header = { id: 'fig3-test-acc-vs-ratio-to-batch', paper: 'Fig. 3', title: 'Test accuracy against ε/B and λ/B, one line per batch size' };
  const plain = ctx.settings.filter((s) => s.nStep === 1 && s.sweepVaries.batch);
  if (plain.length === 0) return { ...header, kind: 'skipped', reason: 'needs a batch-size axis (two batch sizes or more, plain SGD)' };
  const panels: VegaLiteSpec[] = [];
  const notes: string[] = [];
  const linesPerBatch = (rows: Setting[], x: (s: Setting) => number, xTitle: string, title: string) => {
    const batches = distinct(rows.map((s) => s.batch));
    if (batches.length < 2) return false;
    const points = batches.flatMap((b) => present(onePerX(rows.filter((s) => s.batch === b), x).map((s) => scorePoint(ctx, s, `B = ${b}`, x(s)))));
    notes.push(...unscoredNote(rows, (s) => `B = ${s.batch}, ${xTitle.split(' ')[0]} = ${formatPowerOfTwo(x(s))}`));
    panels.push(panel({ title, xTitle, yTitle: ctx.scoreLabel, xLabels: 'power', seriesTitle: 'batch size', seriesOrder: batches.map((b) => `B = ${b}`), points }));
    return true;
  };
  const unregularized = atCommonBudget(plain.filter((s) => s.lambda === 0));
  const drewRate = linesPerBatch(unregularized, (s) => s.epsilon / s.batch, 'ε/B (learning rate per example; log scale, base 2)', `(a) C, λ = 0`);
  if (drewRate) notes.push(`(a): ${budgetKey(unregularized[0]!.budget)}.`);
  else notes.push('No ε/B panel: fewer than two batch sizes at λ = 0.');
  const regularized = plain.filter((s) => s.lambda > 0);
  const epsilon = mostCommon(regularized, (s) => String(s.epsilon));
  const atEpsilon = atCommonBudget(regularized.filter((s) => String(s.epsilon) === epsilon));
  const drewCoefficient = linesPerBatch(atEpsilon, (s) => s.lambda / s.batch, 'λ/B (log scale, base 2)', `(${drewRate ? 'b' : 'a'}) C_mod, ε = ${epsilon === undefined ? '–' : formatPowerOfTwo(Number(epsilon))}`);
  if (drewCoefficient) notes.push(`(${drewRate ? 'b' : 'a'}): ${budgetKey(atEpsilon[0]!.budget)}.`);
  else notes.push('No λ/B panel: fewer than two batch sizes with λ > 0 at one learning rate.');
  if (panels.length === 0) return { ...header, kind: 'skipped', reason: 'needs two batch sizes or more along a learning-rate (λ = 0) or λ axis' };
  return {
    ...header,
    kind: 'drawn',
    caption: `${ctx.scoringText} The paper: lines for different B fall on each other when ε/B (or λ/B) is held fixed and B is not too large.`,
    notes,
    spec: figureSpec(panels),
  };
}

// ---------------------------------------------------------------- Fig. 4 / Fig. 7

function figure4(ctx: Context): FigureOutcome {
  const header = { id: 'fig4-n-step-sgd', paper: 'Fig. 4 / Fig. 7', title: 'n-step SGD: test accuracy against the bare learning rate α, one line per n' };
  const unregularized = ctx.settings.filter((s) => s.lambda === 0 && s.sweepVaries.nStep);
  if (distinct(unregularized.map((s) => s.nStep)).length < 2) return { ...header, kind: 'skipped', reason: 'needs an n-step axis (nStep, two values or more) at λ = 0' };
  const batch = mostCommon(unregularized.filter((s) => s.nStep > 1), (s) => String(s.batch));
  const rows = unregularized.filter((s) => String(s.batch) === batch);
  const ns = distinct(rows.map((s) => s.nStep));
  const nOrder = ns.map((n) => `n = ${n}`);
  const panels: VegaLiteSpec[] = [];
  const notes: string[] = [];
  const letter = () => String.fromCharCode(97 + panels.length);
  const byBudget = (unit: 'epochs' | 'steps' | 'updates') => {
    const budgets = distinct(rows.filter((s) => s.budget?.unit === unit).map((s) => s.budget.value));
    // The largest budget at which two n or more were run.
    const value = [...budgets].reverse().find((v) => distinct(rows.filter((s) => s.budget?.unit === unit && s.budget.value === v).map((s) => s.nStep)).length >= 2);
    return value === undefined ? [] : rows.filter((s) => s.budget?.unit === unit && s.budget.value === value);
  };
  const alphaPanel = (slice: Setting[], what: string, x: (s: Setting) => number, xTitle: string) => {
    const points = ns.flatMap((n) => present(onePerX(slice.filter((s) => s.nStep === n), x).map((s) => scorePoint(ctx, s, `n = ${n}`, x(s)))));
    panels.push(panel({ title: `(${letter()}) ${what}`, xTitle, yTitle: ctx.scoreLabel, xLabels: 'power', seriesTitle: 'updates per batch', seriesOrder: nOrder, points }));
    notes.push(...unscoredNote(slice, (s) => `n = ${s.nStep}, α = ${formatPowerOfTwo(s.lr)}`));
  };
  const ALPHA_AXIS = 'bare learning rate α (log scale, base 2)';
  const epochSlice = byBudget('epochs');
  if (epochSlice.length > 0) alphaPanel(epochSlice, `${epochSlice[0]!.budget.value} epochs`, (s) => s.lr, ALPHA_AXIS);
  else notes.push('No fixed-epoch panel: no epoch budget with two values of n or more.');
  // Fig. 4b fixes the number of parameter updates (the sweep's 'updates' axis); a fixed 'steps' counts batches.
  const updateSlice = byBudget('updates');
  const stepSlice = updateSlice.length > 0 ? updateSlice : byBudget('steps');
  if (stepSlice.length > 0) alphaPanel(stepSlice, `${stepSlice[0]!.budget.value} ${stepSlice[0]!.budget.unit === 'updates' ? 'updates' : 'steps (batches)'}`, (s) => s.lr, ALPHA_AXIS);
  else notes.push('No fixed-update panel: no update (or step) budget with two values of n or more.');
  // Best accuracy (over α) against the epoch budget, one line per n (Fig. 4c / 7c).
  const epochBudgets = distinct(rows.filter((s) => s.budget?.unit === 'epochs').map((s) => s.budget.value));
  if (epochBudgets.length >= 2) {
    const points: SeriesPoint[] = [];
    for (const n of ns) {
      for (const budget of epochBudgets) {
        const best = rows.filter((s) => s.nStep === n && s.budget?.unit === 'epochs' && s.budget.value === budget && s.score).sort((a, b) => b.score!.mean - a.score!.mean)[0];
        if (!best || !keep(ctx, best)) continue;
        const point = { series: `n = ${n}`, x: budget, ...percent(best.score!, ctx.scoreIsAccuracy), detail: `best α = ${formatPowerOfTwo(best.lr)}; ${runsDetail(best)}` };
        points.push(mostlyDiverged(best) ? { ...divergedPoint(ctx, best, point.series, budget, point.y), detail: point.detail } : point);
      }
    }
    panels.push(panel({ title: `(${letter()}) best over α`, xTitle: 'training epochs (log scale)', yTitle: ctx.scoreLabel, xLabels: 'plain', seriesTitle: 'updates per batch', seriesOrder: nOrder, points }));
  } else notes.push('No budget panel: fewer than two epoch budgets.');
  // The same runs against ε = nα: backward error analysis says α governs, the SDE analogy says ε does.
  if (epochSlice.length > 0) alphaPanel(epochSlice, `${epochSlice[0]!.budget.value} epochs, against ε = nα`, (s) => s.epsilon, 'effective learning rate ε = nα (log scale, base 2)');
  if (panels.length === 0) return { ...header, kind: 'skipped', reason: 'needs two values of n or more at one training budget' };
  return {
    ...header,
    kind: 'drawn',
    caption: `n updates on each batch with bare rate α (effective ε = nα), λ = 0, batch size B = ${batch}. ${ctx.scoringText} Backward error analysis: the implicit regularizer scales with α, not ε, so lines should agree at equal α (Fig. 7) until large α destabilizes large n (Fig. 4).`,
    notes,
    spec: figureSpec(panels),
  };
}

// ---------------------------------------------------------------- Fig. 5

function figure5(ctx: Context): FigureOutcome {
  const header = { id: 'fig5-final-train-acc-and-loss', paper: 'Fig. 5', title: 'Final training accuracy and final training loss C against ε and λ' };
  const series = rateAndCoefficientSeries(ctx.settings);
  if (!hasEitherSeries(series)) return { ...header, kind: 'skipped', reason: NEEDS_RATE_OR_LAMBDA_AXIS };
  const all = [...series.epsilonRows, ...series.lambdaRows];
  if (!all.some((s) => s.metrics.train_acc || s.metrics.train_loss)) return { ...header, kind: 'skipped', reason: 'the sweeps recorded no final train_acc or train_loss' };
  const lossScale = scaleFor(all.filter((s) => scoreClears(ctx, s) && !mostlyDiverged(s)).map((s) => s.metrics.train_loss?.mean ?? Number.NaN));
  const spec = figureSpec([
    epsilonAndLambdaPanel(ctx, series, '(a) Final training accuracy', 'final training accuracy (%)', (s, name, x) => metricPoint(ctx, s, 'train_acc', name, x, true)),
    epsilonAndLambdaPanel(ctx, series, '(b) Final training loss', `final C (nats${lossScale === 'log' ? ', log scale' : ''})`, (s, name, x) => metricPoint(ctx, s, 'train_loss', name, x, false), { yScale: lossScale, divergedEdge: 'top' }),
  ]);
  return {
    ...header,
    kind: 'drawn',
    caption: 'Mean ± std over the scored runs. The paper: large ε and large λ reach similar training accuracies and similar training losses — the implicit regularizer may explain the plateaus of large learning rates.',
    notes: [sliceNote(series), ...missingSeriesNotes(series)],
    spec,
  };
}

/** In the paper's order. */
const FIGURES: ((ctx: Context) => FigureOutcome)[] = [figure1a, figure1b, figure1c, figure2, figure3, figure4, figure5];

export function buildFigures(input: ReportInput): FigureOutcome[] {
  const scoring = input.summaries[0]?.scoring ?? { metric: 'best_test_acc', best: 5, of: 7 };
  const scoreIsAccuracy = isAccuracyMetric(scoring.metric);
  const metricText = scoring.metric === 'best_test_acc' ? 'best test accuracy during training' : scoring.metric;
  // Sweeps pooled into one report may score differently (e.g. fewer seeds for a costly sweep): say so.
  const rules = [...new Set(input.summaries.map((s) => `${s.scoring.best} of ${s.scoring.of}`))];
  const rule = rules.length === 1
    ? `the best ${rules[0]} runs`
    : `the best k of n runs (${input.summaries.map((s) => `${s.name}: ${s.scoring.best} of ${s.scoring.of}`).join('; ')})`;
  const excludeBelow = input.excludeBelow;
  if (excludeBelow !== undefined && !(Number.isFinite(excludeBelow) && excludeBelow >= 0 && excludeBelow <= 1)) {
    throw new ReportInputError(`excludeBelow ${excludeBelow}: must be a number in [0, 1]`);
  }
  const ctx: Context = {
    settings: poolSettings(input.summaries),
    scoreIsAccuracy,
    scoreLabel: scoring.metric === 'best_test_acc' ? 'test accuracy (%)' : `${scoring.metric}${scoreIsAccuracy ? ' (%)' : ''}`,
    scoringText: `Each point: mean of ${rule} by ${metricText}; error bars: their standard deviation.`,
    loadHistory: input.loadHistory,
    excludeBelow,
    leftOut: new Map(),
    divergedDrawn: new Map(),
  };
  return FIGURES.map((figure) => {
    ctx.leftOut = new Map();
    ctx.divergedDrawn = new Map();
    const outcome = figure(ctx);
    if (outcome.kind !== 'drawn') return outcome;
    let caption = outcome.caption;
    if (ctx.divergedDrawn.size > 0) {
      const named = [...ctx.divergedDrawn].map(([what, share]) => `${what} (${share} runs diverged)`).join(', ');
      caption += ` Diverged (most runs' loss became non-finite), drawn as hollow triangles on the plot's edge and left out of the lines and the axis ranges: ${named}.`;
    }
    if (ctx.leftOut.size > 0) caption += ` Left out below ${excludeBelow}: ${[...ctx.leftOut].map(([what, why]) => `${what} (${why})`).join(', ')}.`;
    return { ...outcome, caption };
  });
}
