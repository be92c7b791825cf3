// Log-log slope plots of the theory checks (`sgdlab verify --json`): error against ε per comparison,
// with the fitted power law drawn through the points it was fitted on, one panel per model.

import { figureSpec, panel, type SeriesPoint, type VegaLiteSpec } from './charts.ts';
import type { DrawnFigure, SkippedFigure } from './figures.ts';
import { UserError } from '../util/user-error.ts';

/** The part of src/theory's JSON output (`resultsToJson`) the plots read; NaN arrives as null. */
export interface TheoryCheckJson {
  name: string;
  model: string;
  n?: number;
  /** β of the heavy-ball momentum checks. */
  beta?: number;
  pass?: boolean;
  verdict?: string;
  slopes?: Record<string, number | null>;
  points: Record<string, number | null>[];
}

export interface TheoryJson {
  checks: TheoryCheckJson[];
}

/** The exponent the analysis predicts for each compared quantity (src/theory/checks.ts verdicts). */
const THEORY_SLOPES: Record<string, number> = {
  plain: 2,
  modified: 3,
  singleOrder: 2,
  plainSgdModified: 2,
  unamplified: 2,
  scaledSgd: 2,
  fromRest: 2,
  fromRestCorrected: 3,
};

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

function checkPanel(check: TheoryCheckJson): VegaLiteSpec {
  const keys = Object.keys(check.slopes ?? {}).filter((k) => check.points.some((r) => finitePositive(r[k])));
  const points: SeriesPoint[] = [];
  const order: string[] = [];
  const colors: string[] = [];
  const markerless: string[] = [];
  keys.forEach((key, i) => {
    const name = COMPARISON_NAMES[key] ?? key;
    order.push(name);
    colors.push(COLORS[i % COLORS.length]!);
    for (const r of check.points) if (finitePositive(r.epsilon) && finitePositive(r[key])) points.push({ series: name, x: r.epsilon, y: r[key] });
    const slope = check.slopes?.[key];
    if (typeof slope !== 'number' || !Number.isFinite(slope)) return;
    const line = fittedLine(fitRows(check), key, slope);
    if (!line) return;
    const theory = THEORY_SLOPES[key];
    const fitName = `${name}: fitted slope ${slope.toFixed(2)}${theory !== undefined ? ` (theory ${theory})` : ''}`;
    order.push(fitName);
    colors.push(COLORS[i % COLORS.length]!);
    markerless.push(fitName);
    for (const e of [line.from, line.to]) points.push({ series: fitName, x: e, y: line.at(e) });
  });
  return panel({
    title: `${check.model}${check.pass === undefined ? '' : check.pass ? ' — pass' : ' — FAIL'}`,
    xTitle: 'learning rate ε (log scale, base 2)',
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
}

const CAPTION =
  'Points: measured distance ||w_discrete − w_flow|| between the discrete iterate and the flow after the same time. Dashed: the power law with the fitted slope. Backward error analysis predicts slope 2 against the flow of C and slope 3 against the modified flow.';
const MOMENTUM_CAPTION =
  'Points: measured distance between the momentum-free point z = w − ηβv (heavy ball) or w − ηβ²v (Nesterov) of the iterate and the flow after the same time (η = ε/(1−β) per step), started on the slow manifold v₀ = ∇C/(1−β) unless marked "from rest". Dashed: the power law with the fitted slope. docs/theory.md predicts slope 2 against the flow of C and slope 3 against the momentum modified flow.';

/** A check's figure: its name with n (n-step) or β (momentum), and an ASCII id for the file names. */
function figureKey(check: TheoryCheckJson): { key: string; id: string } {
  const [key, ascii] =
    check.n !== undefined ? [`${check.name} (n = ${check.n})`, `${check.name} n ${check.n}`]
    : check.beta !== undefined ? [`${check.name} (β = ${check.beta})`, `${check.name} beta ${check.beta}`]
    : [check.name, check.name];
  return { key, id: `theory-${ascii.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '')}` };
}

/** One figure per check (and n or β), one panel per model; checks without slopes (identities) are listed as not drawn. */
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
    return {
      ...header,
      kind: 'drawn',
      caption: key.includes('momentum') ? MOMENTUM_CAPTION : CAPTION,
      notes: plottable.map((c) => `${c.model}: ${c.verdict ?? ''}`.trim()),
      spec: figureSpec(plottable.map(checkPanel)),
    };
  });
}
