// Log-log slope plots of the theory checks (`sgdlab verify --json`): error against ε per comparison,
// with the fitted power law drawn through the points it was fitted on, one panel per model (and ε̂ regime).

import { figureSpec, panel, panelSize, type SeriesPoint, type VegaLiteSpec } from './charts.ts';
import type { DrawnFigure, SkippedFigure } from './figures.ts';
import { UserError } from '../util/user-error.ts';

/** The part of src/theory's JSON output (`resultsToJson`) the plots read; NaN arrives as null. */
export interface TheoryCheckJson {
  name: string;
  model: string;
  n?: number;
  /** β of the heavy-ball momentum checks. */
  beta?: number;
  /** β₁, β₂ (RMSProp's α), ε̂ and its regime, and the steps K per measurement of the Adam and RMSProp checks. */
  beta1?: number;
  beta2?: number;
  eps?: number;
  epsRegime?: string;
  steps?: number;
  /** The theory's slope per column, stated by the check itself (JSON from before sgdlab stated it has none: no theory note). */
  expected?: Record<string, number | null>;
  /** Set when too few values of h were resolved to decide the slopes: drawn as undecided, not as a failure. */
  outOfReach?: string;
  pass?: boolean;
  verdict?: string;
  slopes?: Record<string, number | null>;
  points: Record<string, number | null>[];
}

export interface TheoryJson {
  checks: TheoryCheckJson[];
}

/** What each column measures, for the legend. */
const COMPARISON_NAMES: Record<string, string> = {
  plain: 'vs flow of C',
  modified: 'vs modified flow',
  singleOrder: 'one batch order vs modified flow',
  plainSgdModified: 'vs the plain-SGD modified flow (ε/4m)',
  unamplified: 'vs C + (η/4)||∇C||² (no momentum factor)',
  scaledSgd: 'vs (1+β)/(1−β) × C̃_SGD at rate η',
  fromRest: 'from rest (v₀ = 0) vs modified flow',
  fromRestCorrected: 'from rest, shifted back by Eq. M11',
};

/** The Adam and RMSProp columns (src/theory/adam-checks.ts), named after docs/theory.md part two. */
const ADAPTIVE_COMPARISON_NAMES: Record<string, string> = {
  plain: 'vs flow of −P∇C',
  modified: 'vs modified flow (Eq. A6)',
  withoutEpsilonTerm: 'vs A6 without its ε̂P³ term',
  flippedOneNorm: "vs A6, one-norm's sign flipped",
  fromRest: 'from rest (m₀ = v₀ = 0) vs A6',
  fromRestCorrected: 'from rest, less the shift of Eq. A10',
};

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/** The breakdown check fits its slope on its first rows only (its asymptotic range); others mark rows `resolved`. */
const BREAKDOWN_FIT_ROWS = 4;

export class TheoryJsonError extends UserError {
  override name = 'TheoryJsonError';
}

/** Validate the JSON like any file input: a clear one-line error naming what is wrong. */
export function parseTheoryJson(value: unknown): TheoryJson {
  const checks = (value as { checks?: unknown } | null)?.checks;
  if (!Array.isArray(checks)) throw new TheoryJsonError('theory JSON: expected an object {"checks": [...]}');
  checks.forEach((c, i) => {
    const check = c as Partial<TheoryCheckJson> | null;
    if (typeof check?.name !== 'string' || typeof check.model !== 'string' || !Array.isArray(check.points)) {
      throw new TheoryJsonError(`theory JSON: checks[${i}] needs a name, a model and points`);
    }
  });
  return { checks: checks as TheoryCheckJson[] };
}

const finitePositive = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** The least-squares intercept of log₂ error for the given slope, over the rows the slope was fitted on. */
function fittedLine(rows: Record<string, number | null>[], key: string, slope: number): { from: number; to: number; at: (eps: number) => number } | null {
  const usable = rows.filter((r) => finitePositive(r.epsilon) && finitePositive(r[key]));
  if (usable.length < 2) return null;
  const intercept = usable.reduce((sum, r) => sum + Math.log2(r[key]!) - slope * Math.log2(r.epsilon!), 0) / usable.length;
  const eps = usable.map((r) => r.epsilon!);
  return { from: Math.min(...eps), to: Math.max(...eps), at: (e) => 2 ** (intercept + slope * Math.log2(e)) };
}

function fitRows(check: TheoryCheckJson): Record<string, number | null>[] {
  if (check.points.some((r) => r.resolved !== undefined)) return check.points.filter((r) => r.resolved === 1);
  return check.name === 'breakdown' ? check.points.slice(0, BREAKDOWN_FIT_ROWS) : check.points;
}

/** An Adam or RMSProp entry: its figure is per (β₁, β₂), its panels per ε̂ regime and model. */
const isAdaptive = (check: TheoryCheckJson): boolean => check.beta1 !== undefined && check.beta2 !== undefined && check.epsRegime !== undefined;

/** The legend's theory note: the check's own `expected` (a column it leaves out has no slope on its grid). */
function theoryNote(check: TheoryCheckJson, key: string): string {
  if (!check.expected) return '';
  const slope = check.expected[key];
  return typeof slope === 'number' ? ` (theory ${slope})` : ' (no theory slope)';
}

/** "pass", "FAIL", or — when the check could not resolve enough h — undecided rather than failed. */
const status = (check: TheoryCheckJson): string =>
  check.outOfReach !== undefined ? ' — h out of reach' : check.pass === undefined ? '' : check.pass ? ' — pass' : ' — FAIL';

function checkPanel(check: TheoryCheckJson): VegaLiteSpec {
  const adaptive = isAdaptive(check);
  const keys = Object.keys(check.slopes ?? {}).filter((k) => check.points.some((r) => finitePositive(r[k])));
  const points: SeriesPoint[] = [];
  const order: string[] = [];
  const colors: string[] = [];
  const markerless: string[] = [];
  // One legend entry per comparison: its fitted line (which names the slopes), or its points when nothing was fitted.
  const legendEntries: string[] = [];
  keys.forEach((key, i) => {
    const name = (adaptive ? ADAPTIVE_COMPARISON_NAMES[key] : COMPARISON_NAMES[key]) ?? key;
    order.push(name);
    colors.push(COLORS[i % COLORS.length]!);
    for (const r of check.points) if (finitePositive(r.epsilon) && finitePositive(r[key])) points.push({ series: name, x: r.epsilon, y: r[key] });
    const slope = check.slopes?.[key];
    const line = typeof slope === 'number' && Number.isFinite(slope) ? fittedLine(fitRows(check), key, slope) : null;
    if (!line) {
      legendEntries.push(name);
      return;
    }
    const fitName = `${name}: fitted slope ${slope!.toFixed(2)}${theoryNote(check, key)}`;
    order.push(fitName);
    colors.push(COLORS[i % COLORS.length]!);
    markerless.push(fitName);
    legendEntries.push(fitName);
    for (const e of [line.from, line.to]) points.push({ series: fitName, x: e, y: line.at(e) });
  });
  const spec = panel({
    title: adaptive ? `${check.model}, ε̂ ${check.epsRegime} (${check.eps?.toExponential(1)})${status(check)}` : `${check.model}${status(check)}`,
    xTitle: adaptive ? 'step h (log scale, base 2)' : 'learning rate ε (log scale, base 2)',
    yTitle: 'distance to the flow (log scale)',
    xLabels: 'power',
    yScale: 'log',
    seriesTitle: 'comparison',
    seriesOrder: order,
    colors,
    markerless,
    dashedSeries: markerless,
    points,
  });
  return withLegendEntries(spec, legendEntries);
}

/** Restrict the colour legend to the given series: a measurement shares its colour with its fitted line, so one entry says both. */
function withLegendEntries(spec: VegaLiteSpec, entries: string[]): VegaLiteSpec {
  const layers = (spec.layer as VegaLiteSpec[]).map((layer) => {
    const encoding = layer.encoding as { color?: { legend?: Record<string, unknown> | null } } | undefined;
    if (!encoding?.color?.legend) return layer;
    return { ...layer, encoding: { ...encoding, color: { ...encoding.color, legend: { ...encoding.color.legend, values: entries } } } };
  });
  return { ...spec, layer: layers };
}

/**
 * Panels whose legends sit at `height + offset` (charts.ts places them under the plot) with that height fixed:
 * in a wrapped concatenation vega has no `height` signal, and the legends would fall onto the plots.
 */
function withFixedLegendHeight(spec: VegaLiteSpec, height: number): VegaLiteSpec {
  const fix = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(fix);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => {
      const offset = k === 'legendY' ? /^height \+ (\d+)$/.exec((v as { expr?: string }).expr ?? '')?.[1] : undefined;
      return [k, offset !== undefined ? height + Number(offset) : fix(v)];
    }));
  };
  return fix(spec) as VegaLiteSpec;
}

/** Rows of panels (one row per ε̂ regime, one column per model), each panel as wide as in a row of `columns`, under one title. */
function gridFigureSpec(rows: VegaLiteSpec[][], title: string): VegaLiteSpec {
  const { hconcat: _, spacing, resolve, ...style } = figureSpec([]);
  const size = panelSize(Math.max(...rows.map((r) => r.length)));
  return {
    ...style,
    title: { text: title, fontSize: 14 },
    // A grid rather than rows of hconcat, so that the columns (models) line up whatever the legends' widths.
    columns: Math.max(...rows.map((r) => r.length)),
    concat: rows.flatMap((row) => row.map((p) => withFixedLegendHeight({ ...p, ...size }, size.height))),
    spacing: { column: spacing as number, row: 36 },
    resolve,
  };
}

const CAPTION =
  'Points: measured distance ||w_discrete − w_flow|| between the discrete iterate and the flow after the same time. Dashed: the power law with the fitted slope. Backward error analysis predicts slope 2 against the flow of C and slope 3 against the modified flow.';
const MOMENTUM_CAPTION =
  'Points: measured distance between the momentum-free point z = w − ηβv (heavy ball) or w − ηβ²v (Nesterov) of the iterate and the flow after the same time (η = ε/(1−β) per step), started on the slow manifold v₀ = ∇C/(1−β) unless marked "from rest". Dashed: the power law with the fitted slope. docs/theory.md predicts slope 2 against the flow of C and slope 3 against the momentum modified flow.';

const ADAPTIVE_CAPTION = (byModel: boolean) =>
  'Points: distance between w after K = ⌈1/(1−β₂)⌉ full-batch steps (ε̂ inside the root) and a flow after the same time Kh, against the step h, ' +
  'started on the slow manifold (Eq. A7) unless marked "from rest"; docs/theory.md part two. ' +
  (byModel ? 'Rows: ε̂ small and large against the mean squared gradient at the start (its value in each panel title); columns: models. '
    : 'Panels: ε̂ small and large against the mean squared gradient at the start (its value in each panel title). ') +
  'Dashed: the power law with the fitted slope. Each legend entry gives the slope the theory predicts for that comparison at this β₁, β₂ and ε̂, ' +
  'as the check itself states it ("expected" in verify --json); "no theory slope" where it fixes none on this grid ' +
  '(A6 without its ε̂P³ term at small ε̂ reads between 2 and 3: the term is small but there). ' +
  'Where β₁ = β₂ the one-norm\'s coefficient vanishes: "sign flipped" then lies on A6 and "without its ε̂P³ term" on −P∇C. ' +
  'A panel marked "h out of reach" resolved too few values of h above RK4/round-off error to decide its slopes: undecided, not failed.';

/** A check's figure: its name with n (n-step), β (momentum) or β₁, β₂ (Adam, RMSProp), and an ASCII id for the file names. */
function figureKey(check: TheoryCheckJson): { key: string; id: string } {
  const [key, ascii] =
    check.n !== undefined ? [`${check.name} (n = ${check.n})`, `${check.name} n ${check.n}`]
    : check.beta !== undefined ? [`${check.name} (β = ${check.beta})`, `${check.name} beta ${check.beta}`]
    : isAdaptive(check) && check.name === 'rmsprop' ? [`rmsprop (α = ${check.beta2})`, `rmsprop alpha ${check.beta2}`]
    : isAdaptive(check) ? [`${check.name} (β₁ = ${check.beta1}, β₂ = ${check.beta2})`, `${check.name} beta1 ${check.beta1} beta2 ${check.beta2}`]
    : [check.name, check.name];
  return { key, id: `theory-${ascii.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '')}` };
}

/** An Adam/RMSProp figure: one row per ε̂ regime with a panel per model, or the regimes side by side when there is one model. */
function adaptiveFigure(checks: TheoryCheckJson[]): { spec: VegaLiteSpec; caption: string } {
  const regimes = [...new Set(checks.map((c) => c.epsRegime!))];
  const models = [...new Set(checks.map((c) => c.model))];
  const byModel = models.length > 1;
  const rows = byModel ? regimes.map((regime) => checks.filter((c) => c.epsRegime === regime)) : [checks];
  const first = checks[0]!;
  const parameters = first.name === 'rmsprop' ? `α = β₂ = ${first.beta2} (β₁ = 0, no bias correction)` : `β₁ = ${first.beta1}, β₂ = ${first.beta2}`;
  const steps = first.steps !== undefined ? `, K = ${first.steps} steps per measurement` : '';
  return { spec: gridFigureSpec(rows.map((row) => row.map(checkPanel)), `${first.name}, ${parameters}${steps}`), caption: ADAPTIVE_CAPTION(byModel) };
}

/** One figure per check (and n, β, or β₁ and β₂), one panel per model (and ε̂ regime); checks without slopes (identities) are listed as not drawn. */
export function buildTheoryFigures(json: TheoryJson): (DrawnFigure | SkippedFigure)[] {
  const groups = new Map<string, { id: string; checks: TheoryCheckJson[] }>();
  for (const check of json.checks) {
    const { key, id } = figureKey(check);
    groups.set(key, { id, checks: [...(groups.get(key)?.checks ?? []), check] });
  }
  return [...groups.entries()].map(([key, { id, checks }]) => {
    const header = { id, paper: `verify ${key}`, title: `error against ε, log-log, with fitted slopes` };
    const plottable = checks.filter((c) => c.slopes && Object.keys(c.slopes).length > 0 && c.points.some((r) => finitePositive(r.epsilon)));
    if (plottable.length === 0) return { ...header, kind: 'skipped', reason: 'an identity check with no ε axis (see its table in sgdlab verify)' };
    if (plottable.every(isAdaptive)) {
      return {
        ...header,
        title: 'error against the step h, log-log, with fitted and predicted slopes',
        kind: 'drawn',
        ...adaptiveFigure(plottable),
        notes: plottable.map((c) => `${c.model}, ε̂ ${c.epsRegime}: ${c.outOfReach !== undefined ? `h out of reach (${c.outOfReach}). ` : ''}${c.verdict ?? ''}`.trim()),
      };
    }
    return {
      ...header,
      kind: 'drawn',
      caption: key.includes('momentum') ? MOMENTUM_CAPTION : CAPTION,
      notes: plottable.map((c) => `${c.model}: ${c.verdict ?? ''}`.trim()),
      spec: figureSpec(plottable.map(checkPanel)),
    };
  });
}
