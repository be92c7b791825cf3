// Claims a sweep spec (or a page) declares about its grid, validated like all spec input, and their evaluation:
// one entry per kind (collapse, optimum, ratio, similar, trend, difference) with its parser and its rule, every
// rule run on the data under a score rule, with a bootstrap interval, and on shuffled data for its false rate.

import { calibratedVerdict, falseRate } from './calibrate.ts';
import { MIN_RANK_CORRELATION, differenceBetween, permuteEachRun, trendAlong, type Direction, type DirectionResult } from './direction.ts';
import { COLLAPSE_AXES, GROUPINGS, MIN_COLLAPSE_QUALITY, axisSymbol, collapseFit, collapseVerdict, fitCollapse, type CollapseAxis, type GroupingAxis } from './collapse.ts';
import { nullReplicatesOf, permuteRuns, sameValue, scorePoints, type Experiment, type Rng, type ScoreRule } from './experiment.ts';
import { formatPower, formatScoreDifference } from './format.ts';
import { locateOptimum, locateOptimumRatio, type Share } from './optimum.ts';
import { similarAtBest } from './similar.ts';

/** A slice of the grid: coordinate → value (every condition must hold). */
export type Where = Record<string, number>;

export interface CollapseClaim {
  kind: 'collapse';
  x: CollapseAxis;
  by: GroupingAxis;
  expect: number;
  against: number;
  where: Where;
}
export interface OptimumClaim {
  kind: 'optimum';
  x: string;
  expect: number;
  where: Where;
}
export interface RatioClaim {
  kind: 'ratio';
  /** The ratio of the optimum of `top` (along top.x in its slice) to that of `bottom`. */
  top: { x: string; where: Where };
  bottom: { x: string; where: Where };
  expect: number;
}
export interface SimilarClaim {
  kind: 'similar';
  /** Groups: one per value of `by` (inside `where`), or the listed slices. */
  by?: string;
  groups?: Where[];
  where: Where;
  /** The largest spread of the groups' best scores still called similar (in score units: 0.005 is half a point). */
  margin: number;
}
/**
 * Claims about which way a quantity moves. `metric` names a recorded metric other than the sweep's score (e.g.
 * one_norm): its point value is then the mean over the point's runs (src/analysis/from-sweep.ts); `log` judges
 * it on the log₂ scale (a norm's relative change).
 */
interface MetricChoice {
  metric?: string;
  log: boolean;
}
export interface TrendClaim extends MetricChoice {
  kind: 'trend';
  /** The axis along which the value rises or falls (slope against log₂ x). */
  x: string;
  expect: Direction;
  where: Where;
}
export interface DifferenceClaim extends MetricChoice {
  kind: 'difference';
  /** Slice a's value against slice b's: 'rises' means a above b. */
  a: Where;
  b: Where;
  expect: Direction;
}
export type Claim = CollapseClaim | OptimumClaim | RatioClaim | SimilarClaim | TrendClaim | DifferenceClaim;

/** A verdict as pages, `sgdlab report --json` and claims.json carry it. */
export interface ClaimResult {
  kind: Claim['kind'];
  /** The claim in words, e.g. "score governed by ε/B (c = 1) rather than ε alone (c = 0)". */
  claim: string;
  rule: ScoreRule;
  /** The fitted exponent (collapse), the best grid value (optimum), log₂ of the ratio (ratio) or the spread (similar). */
  exponent?: number;
  value?: number;
  /** Collapse: how well the curves agree at the fitted exponent (1 perfect, about 0 for shuffled scores). */
  quality?: number;
  /** 90% bootstrap interval of the exponent or the spread. */
  interval?: [number, number];
  /** Optimum and ratio: the bootstrap win shares and the smallest set covering 90%. */
  shares?: Share[];
  set?: number[];
  verdict: string;
  supports: boolean;
  /** How often the rule supports the claim on shuffled scores. */
  falseRate: number;
  /** Points the rule saw and how many of them are diverged (more than half their runs). */
  points: number;
}

export interface EvaluateOptions {
  /** Bootstrap replicates on the data (default REPLICATES). */
  replicates?: number;
  /** Bootstrap replicates on each shuffle of the calibration (default NULL_REPLICATES, never more than `replicates`). */
  nullReplicates?: number;
  permutations?: number;
  /** Only whether the verdict supports the claim is needed (calibration): a rule may skip work that cannot change it. */
  verdictOnly?: boolean;
}

/** The metric a claim is about: the sweep's score unless it names another. */
export const claimMetric = (claim: Claim): string | undefined => ('metric' in claim ? claim.metric : undefined);

type Fail = (message: string) => never;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface KindRule<C extends Claim> {
  /** What the kind checks, for error messages and docs. */
  summary: string;
  parse(raw: Record<string, unknown>, where: string, fail: Fail, parseNumber: (v: unknown, where: string) => number): C;
  /** The points the claim is about (and the rule shuffles among). */
  scope(claim: C, e: Experiment): Experiment;
  /** The rule on (possibly shuffled) data: the verdict and the numbers behind it. */
  run(claim: C, e: Experiment, rule: ScoreRule, options: EvaluateOptions): Omit<ClaimResult, 'falseRate' | 'points' | 'kind' | 'rule' | 'claim'>;
  describe(claim: C): string;
  /** The shuffle its false rate is measured on (default: the points' run sets shuffled among the points). */
  shuffle?: (e: Experiment, rng: Rng) => Experiment;
}

const inSlice = (coords: Record<string, number>, where: Where): boolean => Object.entries(where).every(([k, v]) => sameValue(coords[k], v));
const slice = (e: Experiment, test: (coords: Record<string, number>) => boolean): Experiment => ({ ...e, points: e.points.filter((p) => test(p.coords)) });
const whereText = (where: Where): string => Object.entries(where).map(([k, v]) => `${k} = ${formatPower(v)}`).join(', ');
const atWhere = (where: Where): string => (Object.keys(where).length ? ` (${whereText(where)})` : '');

function parseWhere(raw: unknown, at: string, fail: Fail, parseNumber: (v: unknown, where: string) => number): Where {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) return fail(`${at}: must be a mapping of axis to value (e.g. {lambda: 0})`);
  const out: Where = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(k)) fail(`${at}: '${k.slice(0, 40)}' is not an axis name`);
    out[k] = parseNumber(v, `${at}.${k}`);
  }
  return out;
}

function checkKeys(raw: Record<string, unknown>, allowed: string[], at: string, fail: Fail): void {
  for (const key of Object.keys(raw)) if (!allowed.includes(key)) fail(`${at}: unknown key '${key.slice(0, 40)}' (known: ${allowed.join(', ')})`);
}

function oneOf<T extends string>(value: unknown, table: Record<T, unknown>, at: string, fail: Fail): T {
  if (typeof value !== 'string' || !Object.hasOwn(table, value)) fail(`${at}: must be one of ${Object.keys(table).join(', ')}`);
  return value as T;
}

const collapse: KindRule<CollapseClaim> = {
  summary: 'the exponent c that collapses the curves of x/g^c, against two hypotheses (expect, against)',
  parse(raw, at, fail, parseNumber) {
    checkKeys(raw, ['x', 'by', 'expect', 'against', 'where'], at, fail);
    const x = oneOf(raw.x, COLLAPSE_AXES, `${at}.x`, fail);
    const by = oneOf(raw.by, GROUPINGS, `${at}.by`, fail);
    const expect = parseNumber(raw.expect ?? 1, `${at}.expect`);
    const against = parseNumber(raw.against ?? 0, `${at}.against`);
    if (expect === against) fail(`${at}: expect and against are both ${expect}; a claim needs an alternative`);
    for (const [name, c] of [['expect', expect], ['against', against]] as const) if (c < -1 || c > 2) fail(`${at}.${name}: ${c} is outside the exponents searched (−1 to 2)`);
    return { kind: 'collapse', x, by, expect, against, where: parseWhere(raw.where, `${at}.where`, fail, parseNumber) };
  },
  scope: (claim, e) => slice(e, (c) => inSlice(c, claim.where) && (c[claim.x] ?? 0) > 0 && c[claim.by] !== undefined),
  run(claim, e, rule, options) {
    if (options.verdictOnly) {
      // Curves that do not collapse get no verdict whatever their interval: on shuffled scores that is most
      // permutations, which then cost one fit instead of a bootstrap (the verdict is the same either way).
      const point = fitCollapse(e, scorePoints(e, rule).map((s) => s.score), claim.x, claim.by);
      if (!(point.quality >= MIN_COLLAPSE_QUALITY)) return { ...collapseVerdict({ ...point, interval: [NaN, NaN] }, claim.x, claim.by, claim.expect, claim.against), supports: false };
    }
    const fit = collapseFit(e, rule, claim.x, claim.by, { replicates: options.replicates });
    return { exponent: fit.exponent, interval: fit.interval, quality: fit.quality, ...collapseVerdict(fit, claim.x, claim.by, claim.expect, claim.against) };
  },
  describe(claim) {
    const sym = axisSymbol(claim.x, claim.by);
    const g = GROUPINGS[claim.by];
    return `score governed by ${g.hypothesis(sym, claim.expect)} (c = ${claim.expect}) rather than ${g.hypothesis(sym, claim.against)} (c = ${claim.against})${atWhere(claim.where)}`;
  },
};

const optimum: KindRule<OptimumClaim> = {
  summary: 'the best grid value along x, with the bootstrap share each value wins; matches if expect is in the 90% set',
  parse(raw, at, fail, parseNumber) {
    checkKeys(raw, ['x', 'expect', 'where'], at, fail);
    if (typeof raw.x !== 'string' || !/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(raw.x)) fail(`${at}.x: must name an axis`);
    return { kind: 'optimum', x: raw.x as string, expect: parseNumber(raw.expect, `${at}.expect`), where: parseWhere(raw.where, `${at}.where`, fail, parseNumber) };
  },
  // A rate's or coefficient's optimum is over its positive values: x = 0 is the baseline (λ = 0), not a candidate.
  scope: (claim, e) => slice(e, (c) => inSlice(c, claim.where) && (c[claim.x] ?? 0) > 0),
  run(claim, e, rule, options) {
    if (e.points.length < 2) return { verdict: 'too few points', supports: false };
    const loc = locateOptimum(e, rule, claim.x, { replicates: options.replicates });
    const supports = loc.set.some((v) => sameValue(v, claim.expect));
    const set = `{${loc.set.map(formatPower).join(', ')}}`;
    return { value: loc.best, shares: loc.shares, set: loc.set, supports, verdict: supports ? `matches (${formatPower(claim.expect)} is in the 90% set ${set})` : `does not match (${formatPower(claim.expect)} is outside the 90% set ${set})` };
  },
  describe: (claim) => `the best ${claim.x} is ${formatPower(claim.expect)}${atWhere(claim.where)}`,
};

/** A ratio claim's two slices: each side's points in its slice with x > 0 (ratioShift compares them across settings). */
export function ratioSlices(claim: RatioClaim, e: Experiment): { top: Experiment; bottom: Experiment } {
  const side = ({ x, where }: RatioClaim['top']): Experiment => slice(e, (c) => inSlice(c, where) && (c[x] ?? 0) > 0);
  return { top: side(claim.top), bottom: side(claim.bottom) };
}

const ratio: KindRule<RatioClaim> = {
  summary: 'the ratio of two optima (top.x in its slice over bottom.x in its slice); matches if expect is in the 90% set',
  parse(raw, at, fail, parseNumber) {
    checkKeys(raw, ['top', 'bottom', 'expect'], at, fail);
    const side = (v: unknown, name: string): { x: string; where: Where } => {
      if (!isPlainObject(v)) return fail(`${at}.${name}: must be a mapping {x, where}`);
      checkKeys(v, ['x', 'where'], `${at}.${name}`, fail);
      if (typeof v.x !== 'string' || !/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(v.x)) fail(`${at}.${name}.x: must name an axis`);
      return { x: v.x as string, where: parseWhere(v.where, `${at}.${name}.where`, fail, parseNumber) };
    };
    const expect = parseNumber(raw.expect, `${at}.expect`);
    if (!(expect > 0)) fail(`${at}.expect: a ratio must be positive`);
    return { kind: 'ratio', top: side(raw.top, 'top'), bottom: side(raw.bottom, 'bottom'), expect };
  },
  scope: (claim, e) => slice(e, (c) => (inSlice(c, claim.top.where) && (c[claim.top.x] ?? 0) > 0) || (inSlice(c, claim.bottom.where) && (c[claim.bottom.x] ?? 0) > 0)),
  run(claim, e, rule, options) {
    const { top, bottom } = ratioSlices(claim, e);
    if (top.points.length === 0 || bottom.points.length === 0) return { verdict: 'too few points', supports: false };
    const loc = locateOptimumRatio(top, claim.top.x, bottom, claim.bottom.x, rule, { replicates: options.replicates });
    const target = Math.log2(claim.expect);
    const supports = loc.set.some((v) => Math.abs(v - target) < 1e-6);
    const set = `{${loc.set.map((v) => formatPower(2 ** v)).join(', ')}}`;
    return { value: loc.best, shares: loc.shares, set: loc.set, supports, verdict: supports ? `matches (${formatPower(claim.expect)} is in the 90% set ${set})` : `does not match (${formatPower(claim.expect)} is outside the 90% set ${set})` };
  },
  describe: (claim) => `${claim.top.x}_opt${atWhere(claim.top.where)} / ${claim.bottom.x}_opt${atWhere(claim.bottom.where)} = ${formatPower(claim.expect)}`,
};

const similar: KindRule<SimilarClaim> = {
  summary: "the groups' best scores agree within a margin: the spread's 90% bootstrap interval below the margin",
  parse(raw, at, fail, parseNumber) {
    checkKeys(raw, ['by', 'groups', 'where', 'margin'], at, fail);
    if ((raw.by === undefined) === (raw.groups === undefined)) fail(`${at}: give either by (an axis: one group per value) or groups (a list of slices)`);
    const margin = parseNumber(raw.margin, `${at}.margin`);
    if (!(margin > 0 && margin < 1)) fail(`${at}.margin: ${margin} must be in (0, 1) (score units: 0.005 is half a point of accuracy)`);
    let groups: Where[] | undefined;
    if (raw.groups !== undefined) {
      if (!Array.isArray(raw.groups) || raw.groups.length < 2 || raw.groups.length > 64) fail(`${at}.groups: must be a list of 2 to 64 slices`);
      groups = (raw.groups as unknown[]).map((g, i) => parseWhere(g, `${at}.groups[${i}]`, fail, parseNumber));
    }
    if (raw.by !== undefined && (typeof raw.by !== 'string' || !/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(raw.by))) fail(`${at}.by: must name an axis`);
    return { kind: 'similar', ...(raw.by !== undefined ? { by: raw.by as string } : {}), ...(groups ? { groups } : {}), where: parseWhere(raw.where, `${at}.where`, fail, parseNumber), margin };
  },
  scope: (claim, e) => slice(e, (c) => inSlice(c, claim.where) && (claim.groups ? claim.groups.some((g) => inSlice(c, g)) : c[claim.by!] !== undefined)),
  run(claim, e, rule, options) {
    const groups = claim.groups
      ? claim.groups.map((g) => (c: Record<string, number>) => inSlice(c, g))
      : [...new Set(e.points.map((p) => p.coords[claim.by!]!))].sort((a, b) => a - b).map((v) => (c: Record<string, number>) => sameValue(c[claim.by!], v));
    const r = similarAtBest(e, rule, groups, claim.margin, { replicates: options.replicates, unit: formatScoreDifference });
    return { value: r.spread, interval: r.interval, verdict: r.verdict, supports: r.supports };
  },
  describe: (claim) => `best scores similar across ${claim.by ?? claim.groups!.map((g) => `{${whereText(g)}}`).join(' and ')} (within ${formatScoreDifference(claim.margin)})${atWhere(claim.where)}`,
};

const DIRECTIONS: Record<Direction, string> = { rises: 'rises', falls: 'falls' };

function parseMetricChoice(raw: Record<string, unknown>, at: string, fail: Fail): MetricChoice {
  if (raw.metric !== undefined && (typeof raw.metric !== 'string' || !/^[a-z][a-z0-9_]{0,39}$/.test(raw.metric))) fail(`${at}.metric: must name a recorded metric (e.g. one_norm)`);
  if (raw.log !== undefined && typeof raw.log !== 'boolean') fail(`${at}.log: must be true or false`);
  return { ...(raw.metric !== undefined ? { metric: raw.metric as string } : {}), log: raw.log === true };
}
const metricText = (claim: MetricChoice): string => `${claim.log ? 'log₂ ' : ''}${claim.metric ?? 'the score'}`;
const directionMeasure = (r: DirectionResult) => ({ value: r.value, interval: r.interval });

const trend: KindRule<TrendClaim> = {
  summary: "the direction a value moves along x: the slope against log₂ x, whose 90% bootstrap interval excludes 0, with the points nearly in order",
  parse(raw, at, fail, parseNumber) {
    checkKeys(raw, ['x', 'expect', 'where', 'metric', 'log'], at, fail);
    if (typeof raw.x !== 'string' || !/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(raw.x)) fail(`${at}.x: must name an axis`);
    return { kind: 'trend', x: raw.x as string, expect: oneOf(raw.expect, DIRECTIONS, `${at}.expect`, fail), where: parseWhere(raw.where, `${at}.where`, fail, parseNumber), ...parseMetricChoice(raw, at, fail) };
  },
  scope: (claim, e) => slice(e, (c) => inSlice(c, claim.where) && (c[claim.x] ?? 0) > 0),
  run(claim, e, rule, options) {
    if (new Set(e.points.map((p) => p.coords[claim.x])).size < 2) return { verdict: 'too few points', supports: false };
    const r = trendAlong(e, claim.x, rule, { log: claim.log, replicates: options.replicates });
    const rho = `ρ = ${Number.isFinite(r.rankCorrelation) ? r.rankCorrelation!.toFixed(2) : '—'}`;
    const sure = r.interval[0] > 0 || r.interval[1] < 0;
    const verdict = r.direction !== undefined
      ? `${r.direction} (the slope's 90% interval excludes 0; ${rho})`
      : sure ? `inconclusive (the slope's 90% interval excludes 0 but the points are out of order: ${rho}, needs |ρ| ≥ ${MIN_RANK_CORRELATION})` : "inconclusive (the slope's 90% interval contains 0)";
    return { ...directionMeasure(r), verdict, supports: r.direction === claim.expect };
  },
  describe: (claim) => `${metricText(claim)} ${claim.expect} with ${claim.x}${atWhere(claim.where)}`,
};

const difference: KindRule<DifferenceClaim> = {
  summary: "slice a's value against slice b's: the difference, whose 90% bootstrap interval excludes 0",
  parse(raw, at, fail, parseNumber) {
    checkKeys(raw, ['a', 'b', 'expect', 'metric', 'log'], at, fail);
    const a = parseWhere(raw.a, `${at}.a`, fail, parseNumber);
    const b = parseWhere(raw.b, `${at}.b`, fail, parseNumber);
    if (Object.keys(a).length === 0 || Object.keys(b).length === 0) fail(`${at}: a and b must each name a slice (e.g. {lambda: 0})`);
    return { kind: 'difference', a, b, expect: oneOf(raw.expect, DIRECTIONS, `${at}.expect`, fail), ...parseMetricChoice(raw, at, fail) };
  },
  scope: (claim, e) => slice(e, (c) => inSlice(c, claim.a) || inSlice(c, claim.b)),
  run(claim, e, rule, options) {
    const inA = (c: Record<string, number>) => inSlice(c, claim.a);
    const inB = (c: Record<string, number>) => inSlice(c, claim.b) && !inA(c);
    if (!e.points.some((p) => inA(p.coords)) || !e.points.some((p) => inB(p.coords))) return { verdict: 'too few points', supports: false };
    const r = differenceBetween(e, inA, inB, rule, { log: claim.log, replicates: options.replicates });
    const word = r.direction === 'rises' ? 'a above b' : 'a below b';
    const verdict = r.direction === undefined ? "inconclusive (the difference's 90% interval contains 0)" : `${word} (the difference's 90% interval excludes 0)`;
    return { ...directionMeasure(r), verdict, supports: r.direction === claim.expect };
  },
  // Two points have only two arrangements of their run sets: the runs themselves are shuffled.
  shuffle: permuteEachRun,
  describe: (claim) => `${metricText(claim)} at {${whereText(claim.a)}} ${claim.expect === 'rises' ? 'above' : 'below'} {${whereText(claim.b)}}`,
};

/** Runs a point needs before a bootstrap over its seeds can say anything about it. */
export const MIN_RUNS_PER_POINT = 2;

/** Every claim kind a spec can declare. */
export const CLAIM_KINDS: { [K in Claim['kind']]: KindRule<Extract<Claim, { kind: K }>> } = { collapse, optimum, ratio, similar, trend, difference };

/** A spec's `claims:` list, validated (each entry a mapping with exactly one kind key). */
export function parseClaims(raw: unknown, at: string, fail: Fail, parseNumberAs: (v: unknown, where: string) => number): Claim[] {
  if (raw === undefined) return [];
  // The number parser's own error becomes this spec's one-line error.
  const parseNumber = (v: unknown, where: string): number => {
    try {
      return parseNumberAs(v, where);
    } catch (e) {
      return fail((e instanceof Error ? e.message : String(e)).split('\n')[0]!);
    }
  };
  if (!Array.isArray(raw)) return fail(`${at}: must be a list of claims, e.g. [{collapse: {x: lr, by: batch, expect: 1, against: 0}}]`);
  if (raw.length > 64) fail(`${at}: more than 64 claims`);
  return raw.map((entry, i) => {
    const here = `${at}[${i}]`;
    if (!isPlainObject(entry) || Object.keys(entry).length !== 1) return fail(`${here}: must be a mapping with one key, the claim's kind (${Object.keys(CLAIM_KINDS).join(', ')})`);
    const [kind, body] = Object.entries(entry)[0]!;
    if (!Object.hasOwn(CLAIM_KINDS, kind)) return fail(`${here}: unknown claim kind '${kind.slice(0, 40)}' (known: ${Object.keys(CLAIM_KINDS).join(', ')})`);
    if (!isPlainObject(body)) return fail(`${here}.${kind}: must be a mapping`);
    return CLAIM_KINDS[kind as Claim['kind']].parse(body, `${here}.${kind}`, fail, parseNumber);
  });
}

/** The points a claim is about (and its rule shuffles among). */
export function claimScope(claim: Claim, e: Experiment): Experiment {
  return (CLAIM_KINDS[claim.kind] as KindRule<Claim>).scope(claim, e);
}

/** The claim in words. */
export function describeClaim(claim: Claim): string {
  return (CLAIM_KINDS[claim.kind] as KindRule<Claim>).describe(claim);
}

/**
 * The claim's verdict under a score rule, with its false rate: the same rule run on the claim's points with
 * their runs shuffled among them. A supporting verdict whose rule supports shuffled data more than 10% of the
 * time is printed as inconclusive.
 */
export function evaluateClaim(claim: Claim, e: Experiment, rule: ScoreRule, options: EvaluateOptions = {}): ClaimResult {
  const kind = CLAIM_KINDS[claim.kind] as KindRule<Claim>;
  const scope = kind.scope(claim, e);
  const raw = kind.run(claim, scope, rule, options);
  const rate = falseRate(scope, (shuffled) => kind.run(claim, shuffled, rule, { ...options, replicates: nullReplicatesOf(options), verdictOnly: true }).supports, { permutations: options.permutations, shuffle: kind.shuffle ?? permuteRuns });
  const head = { kind: claim.kind, claim: kind.describe(claim), rule };
  const tail = { falseRate: rate, points: scope.points.length };
  // A point with one run is the same in every bootstrap replicate: its uncertainty would read as zero, and a
  // 90% set or interval from such points claims a certainty one seed cannot give (a sweep part-way through).
  const thin = scope.points.filter((p) => p.runs.length < MIN_RUNS_PER_POINT).length;
  if (thin > 0 && !raw.verdict.startsWith('too few')) {
    const { interval: _interval, shares: _shares, set: _set, ...measured } = raw;
    const verdict = `too few runs (${thin} of ${scope.points.length} points have one run or none; a bootstrap over seeds needs ${MIN_RUNS_PER_POINT} or more at each)`;
    return { ...head, ...measured, verdict, supports: false, ...tail };
  }
  return { ...head, ...raw, ...calibratedVerdict(raw.verdict, raw.supports, rate), ...tail };
}
