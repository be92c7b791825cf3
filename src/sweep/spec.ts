// Sweep specs: a YAML or JSON file naming a base training config, the axes to sweep and the scoring
// rule, validated like user input and expanded into trials with a stable sweep id and trial keys.

import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { resolveConfig, parseNumber, type TrainConfig } from '../train/index.ts';
import type { GridPoint } from './summary.ts';
import { describeValue } from '../util/describe.ts';
import { UserError } from '../util/user-error.ts';
import { readInputText } from '../util/input-file.ts';
import { parseClaims, type Claim } from '../analysis/claims.ts';
import { OPTIMIZER_OPTIONS } from '../optim/index.ts';

/** A malformed spec; its message is one line naming the file, the key and what is wrong. */
export class SpecError extends UserError {
  override name = 'SpecError';
}

export type AxisValue = number | string;

/** One swept axis and its values, in the order they are run. */
export interface Axis {
  name: string;
  values: AxisValue[];
}

/**
 * One dimension of the grid: a single axis, or a zip group whose axes move together (value i of
 * every axis in the group belongs to the same point). The grid is the cross product of dimensions.
 */
export interface Dimension {
  axes: Axis[];
}

export interface Scoring {
  /** A metric of the run's final record (best_test_acc is the best test accuracy during training). */
  metric: string;
  /** The score is the mean of the best `best` runs of the `of` seeds. */
  best: number;
  of: number;
  /** Whether a larger metric is better. */
  order: 'max' | 'min';
  /**
   * include: a diverged run competes with its value from before it diverged (so best-k-of-n drops it
   * when it is among the worst); exclude: diverged runs are dropped before the best k are chosen.
   */
  diverged: 'include' | 'exclude';
}

/** A validated spec in normal form: what is stored with the sweep and hashed into its id. */
export interface SweepSpec {
  name: string;
  description?: string;
  /** The training config keys shared by all trials, as given (values validated by resolveConfig). */
  base: Record<string, unknown>;
  dimensions: Dimension[];
  seeds: number[];
  scoring: Scoring;
  /** Hypotheses to test on the results (src/analysis/claims.ts), e.g. [{collapse: {x: lr, by: batch, expect: 1, against: 0}}], as written. */
  claims?: unknown[];
}

export interface Trial {
  /** Stable within the sweep: the point's coordinates and the seed, e.g. "lr=2^-5,lambda=0,seed=3". */
  key: string;
  /** The key of the grid point (the trial key without the seed). */
  pointKey: string;
  point: GridPoint;
  seed: number;
  config: TrainConfig;
}

export interface Sweep {
  id: string;
  spec: SweepSpec;
  trials: Trial[];
}

/** Axes that are not TrainConfig keys: each sets one from its value and the trial's other keys. */
export const DERIVED_AXES: Record<string, string> = {
  lrPerBatch: 'lr = value × batch (hold ε/B constant)',
  lambdaPerBatch: 'lambda = value × batch (hold λ/B constant)',
  updates: 'steps = value / nStep (a fixed number of parameter updates for n-step SGD)',
};

/** TrainConfig keys a spec cannot set: file paths one trial would write over another's, or read on another machine. */
const FORBIDDEN_KEYS: Record<string, string> = {
  save: 'each trial keeps its parameters in its checkpoint; export one with sgdlab export',
  init: 'a queue worker on another machine cannot read a local file',
};

/** The optimizers' hyperparameters (src/optim/options.ts) by kind: switches are boolean axes, the rest numeric. */
const optimizerKeys = (switches: boolean) => Object.entries(OPTIMIZER_OPTIONS).filter(([, o]) => (o.kind === 'switch') === switches).map(([key]) => key);
const NUMERIC_KEYS = new Set(['batch', 'lr', 'lambda', 'nStep', 'epochs', 'steps', 'weightDecay', 'evalEvery', 'stepsPerCall', 'trainSize', 'testSize', 'labelNoise', 'threads', ...optimizerKeys(false), ...Object.keys(DERIVED_AXES)]);
const BOOLEAN_KEYS = new Set(['augment', 'dropLast', 'exactGamma', 'decoupledWeightDecay', ...optimizerKeys(true)]);
/** Words a numeric axis takes besides numbers: lambda "implicit" (src/train/config.ts). */
const NUMERIC_WORDS: Record<string, readonly string[]> = { lambda: ['implicit'] };
const STRING_KEYS = new Set(['data', 'dataDir', 'preprocess', 'model', 'regGrad', 'sampler', 'schedule', 'dtype', 'optimizer']);
/** Axes that set a trial's training budget: a spec sweeps at most one, and then `--epochs` has nothing to replace. */
const BUDGET_AXES = ['epochs', 'steps', 'updates'];
const TOP_LEVEL_KEYS = ['name', 'description', 'base', 'axes', 'zip', 'scoring', 'claims'];
const SCORING_KEYS = ['metric', 'best', 'of', 'order', 'diverged'];
const MAX_TRIALS = 100_000;
const MAX_RANGE = 1000;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value as it appears in trial keys and tables: integers as such, other powers of two as 2^e. */
export function formatAxisValue(value: AxisValue): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return String(value);
  const e = Math.log2(Math.abs(value));
  return Number.isInteger(e) ? `${value < 0 ? '-' : ''}2^${e}` : String(value);
}

/** Read and validate a spec file (YAML, or JSON when the name ends in .json). */
export function loadSweepSpec(path: string): Sweep {
  const text = readInputText(path, 'spec');
  let parsed: unknown;
  if (path.endsWith('.json')) {
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new SpecError(`${path}: not valid JSON (${firstLine(e)})`);
    }
  } else {
    try {
      // The yaml package builds plain data only (no tags that construct objects or run code).
      parsed = parseYaml(text, { maxAliasCount: 100 });
    } catch (e) {
      throw new SpecError(`${path}: not valid YAML (${firstLine(e).replace(/:$/, '')})`);
    }
  }
  return buildSweep(parsed, path);
}

/** Validate a parsed spec and expand it into trials; `source` names it in error messages. */
export function buildSweep(raw: unknown, source = 'spec'): Sweep {
  const spec = normalizeSpec(raw, source);
  const trials = expandTrials(spec, source);
  return { id: sweepId(spec.name, trials), spec, trials };
}

/** A smaller (or longer) pass over a spec's grid, as `sweep run|show|import|export` and `report` take it in flags. */
export interface SweepBudget {
  /** Every trial trains this many epochs, in place of the base's epochs or steps. */
  epochs?: number;
  /** Only the spec's first this many seeds run (and are scored: the best min(best, seeds) of seeds). */
  seeds?: number;
}

/**
 * The sweep with its budget replaced. It is a sweep of its own: its name says the flags that made it,
 * and its id hashes the changed trials, so a quick pass never resumes into, mixes with or is scored
 * with the full sweep's runs (in the store or in a results file), and `sweep show ID` finds it again
 * from its stored spec. A budget that changes nothing is the spec's own sweep.
 */
export function withBudget(sweep: Sweep, budget: SweepBudget, source = sweep.spec.name): Sweep {
  const { spec } = sweep;
  const flags: string[] = [];
  let { base, seeds, scoring } = spec;
  if (budget.epochs !== undefined) {
    const swept = spec.dimensions.flatMap((d) => d.axes.map((a) => a.name)).find((name) => BUDGET_AXES.includes(name));
    if (swept !== undefined) throw new SpecError(`--epochs ${budget.epochs}: ${source} sweeps ${swept}, so its trials have no one budget to replace`);
    if (!sweep.trials.every((t) => t.config.epochs === budget.epochs)) {
      const { steps: _steps, ...rest } = base;
      base = { ...rest, epochs: budget.epochs };
      flags.push(`--epochs ${budget.epochs}`);
    }
  }
  if (budget.seeds !== undefined) {
    if (budget.seeds > seeds.length) throw new SpecError(`--seeds ${budget.seeds}: ${source} has ${seeds.length} seed${seeds.length === 1 ? '' : 's'} per point`);
    if (budget.seeds < seeds.length) {
      seeds = seeds.slice(0, budget.seeds);
      scoring = { ...scoring, best: Math.min(scoring.best, budget.seeds), of: budget.seeds };
      flags.push(`--seeds ${budget.seeds}`);
    }
  }
  if (flags.length === 0) return sweep;
  const budgeted: SweepSpec = { ...spec, name: `${spec.name} (${flags.join(' ')})`, base, seeds, scoring };
  const trials = expandTrials(budgeted, source);
  return { id: sweepId(budgeted.name, trials), spec: budgeted, trials };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}

function normalizeSpec(raw: unknown, source: string): SweepSpec {
  const fail = (message: string): never => {
    throw new SpecError(`${source}: ${message}`);
  };
  if (!isPlainObject(raw)) fail('a sweep spec must be a mapping with name, base, axes (and optionally zip, scoring)');
  const spec = raw as Record<string, unknown>;
  for (const key of Object.keys(spec)) if (!TOP_LEVEL_KEYS.includes(key)) fail(`unknown key '${key}' (known: ${TOP_LEVEL_KEYS.join(', ')})`);

  if (typeof spec.name !== 'string' || spec.name.trim() === '') fail('name: must be a non-empty string');
  const name = (spec.name as string).trim();
  if (name.length > 80 || /[\n\r]/.test(name)) fail('name: must be one line of at most 80 characters');
  if (spec.description !== undefined && typeof spec.description !== 'string') fail('description: must be a string');

  const base = spec.base ?? {};
  if (!isPlainObject(base)) fail('base: must be a mapping of training config keys (e.g. model: mlp:64x1)');
  for (const key of Object.keys(base)) {
    if (Object.hasOwn(FORBIDDEN_KEYS, key)) fail(`base.${key}: not allowed in a sweep (${FORBIDDEN_KEYS[key]})`);
    if (Object.hasOwn(DERIVED_AXES, key)) fail(`base.${key}: a derived axis, only allowed under axes or zip`);
  }
  try {
    resolveConfig(base as Record<string, unknown>, 'base');
  } catch (e) {
    fail(`base: ${firstLine(e).replace(/^base: /, '')}`);
  }

  const dimensions: Dimension[] = [];
  const seen = new Set<string>();
  let seeds: number[] | undefined;
  const claim = (axisName: string, where: string): void => {
    if (seen.has(axisName)) fail(`${where}: axis '${axisName}' is swept twice`);
    seen.add(axisName);
  };
  const axes = spec.axes ?? {};
  if (!isPlainObject(axes)) fail("axes: must be a mapping of axis name to values (e.g. lr: 2^-10..2^-3, seed: 7)");
  for (const [axisName, value] of Object.entries(axes as Record<string, unknown>)) {
    const where = `axes.${axisName}`;
    if (axisName === 'seed') {
      seeds = parseSeeds(value, where, fail);
      continue;
    }
    checkAxisName(axisName, where, fail);
    claim(axisName, where);
    dimensions.push({ axes: [{ name: axisName, values: parseAxisValues(axisName, value, where, fail) }] });
  }
  const zip = spec.zip ?? [];
  if (!Array.isArray(zip)) fail('zip: must be a list of groups, each a mapping of axes with equally many values');
  (zip as unknown[]).forEach((group, g) => {
    const where = `zip[${g}]`;
    if (!isPlainObject(group) || Object.keys(group).length === 0) fail(`${where}: must be a mapping of axes with equally many values`);
    const groupAxes: Axis[] = [];
    for (const [axisName, value] of Object.entries(group as Record<string, unknown>)) {
      if (axisName === 'seed') fail(`${where}.seed: seeds cannot be zipped; give them under axes`);
      checkAxisName(axisName, `${where}.${axisName}`, fail);
      claim(axisName, `${where}.${axisName}`);
      groupAxes.push({ name: axisName, values: parseAxisValues(axisName, value, `${where}.${axisName}`, fail, true) });
    }
    const lengths = groupAxes.map((a) => a.values.length);
    if (new Set(lengths).size > 1) fail(`${where}: zipped axes need equally many values, got ${groupAxes.map((a) => `${a.name} ${a.values.length}`).join(', ')}`);
    const tuples = new Map<string, number>();
    for (let i = 0; i < lengths[0]!; i++) {
      const tuple = groupAxes.map((a) => `${a.name}=${formatAxisValue(a.values[i]!)}`).join(',');
      if (tuples.has(tuple)) fail(`${where}: entry ${i} (${tuple}) repeats entry ${tuples.get(tuple)}`);
      tuples.set(tuple, i);
    }
    dimensions.push({ axes: groupAxes });
  });
  if (seen.has('lr') && seen.has('lrPerBatch')) fail('axes: lr and lrPerBatch both set the learning rate; sweep one of them');
  if (seen.has('lambda') && seen.has('lambdaPerBatch')) fail('axes: lambda and lambdaPerBatch both set λ; sweep one of them');
  const budgets = BUDGET_AXES.filter((k) => seen.has(k));
  if (budgets.length > 1) fail(`axes: ${budgets.join(' and ')} are all budgets; sweep one of them`);

  const baseSeed = (base as Record<string, unknown>).seed;
  seeds ??= [baseSeed === undefined ? 0 : parseNumber(baseSeed, 'base.seed')];
  const scoring = parseScoring(spec.scoring, seeds.length, fail);
  // Checked here like every other key; kept as written (and parsed again where verdicts are computed).
  parseClaims(spec.claims, 'claims', fail, parseClaimNumber(fail));
  return {
    name,
    ...(typeof spec.description === 'string' ? { description: spec.description } : {}),
    base: base as Record<string, unknown>,
    dimensions,
    seeds,
    scoring,
    ...(spec.claims !== undefined ? { claims: spec.claims as unknown[] } : {}),
  };
}

type Fail = (message: string) => never;

/** Numbers in claims are written like axis values (2^-5, 0.5). */
const parseClaimNumber = (fail: Fail) => (value: unknown, where: string): number => {
  try {
    return parseNumber(value, where);
  } catch (e) {
    return fail(firstLine(e));
  }
};

/** The claims a sweep declares, parsed (a stored spec's claims are checked again: the store is a file too). */
export function sweepClaims(sweep: Sweep, source = sweep.spec.name): Claim[] {
  const fail = (message: string): never => {
    throw new SpecError(`${source}: ${message}`);
  };
  return parseClaims(sweep.spec.claims, 'claims', fail, parseClaimNumber(fail));
}

function checkAxisName(axisName: string, where: string, fail: Fail): void {
  if (Object.hasOwn(FORBIDDEN_KEYS, axisName)) fail(`${where}: not allowed in a sweep (${FORBIDDEN_KEYS[axisName]})`);
  if (!NUMERIC_KEYS.has(axisName) && !BOOLEAN_KEYS.has(axisName) && !STRING_KEYS.has(axisName)) {
    fail(`${where}: unknown axis '${axisName}' (training config keys, seed, or ${Object.keys(DERIVED_AXES).join(', ')})`);
  }
}

const POW2_RANGE = /^2\s*\^\s*(-?\d+)\s*\.\.\s*2\s*\^\s*(-?\d+)(?:\s+step\s+(\d+))?$/;
const INT_RANGE = /^(-?\d+)\s*\.\.\s*(-?\d+)(?:\s+step\s+(\d+))?$/;

/** `2^a..2^b [step s]` (every s-th power of two) or `a..b [step s]` (integers), inclusive; else undefined. */
function parseRange(text: string, where: string, fail: Fail): number[] | undefined {
  const pow = POW2_RANGE.exec(text.trim());
  const int = pow ? undefined : INT_RANGE.exec(text.trim());
  const match = pow ?? int;
  if (!match) return undefined;
  const from = Number(match[1]);
  const to = Number(match[2]);
  const step = match[3] === undefined ? 1 : Number(match[3]);
  if (step < 1) fail(`${where}: '${text}' has step ${step}; the step must be a positive integer`);
  if (to < from) fail(`${where}: '${text}' is an empty range (it must go from the smaller to the larger value)`);
  if ((to - from) / step + 1 > MAX_RANGE) fail(`${where}: '${text}' has more than ${MAX_RANGE} values`);
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(pow ? 2 ** v : v);
  return values;
}

/** Values of one axis; within a zip group values may repeat (only whole tuples must differ). */
function parseAxisValues(axisName: string, value: unknown, where: string, fail: Fail, allowRepeats = false): AxisValue[] {
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string' && NUMERIC_KEYS.has(axisName) && parseRange(value, where, fail) !== undefined) items = parseRange(value, where, fail)!;
  else if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') items = [value];
  else return fail(`${where}: give a list of values${NUMERIC_KEYS.has(axisName) ? " or a range such as '2^-10..2^-3'" : ''}`);
  if (items.length === 0) fail(`${where}: has no values`);
  // An axis longer than the trial cap can never run: refused before any value is looked at.
  if (items.length > MAX_TRIALS) fail(`${where}: ${items.length} values is more than the ${MAX_TRIALS} trials a sweep may have; split the sweep`);
  const values: AxisValue[] = [];
  const listed = new Set<AxisValue>();
  for (const item of items) {
    let v: AxisValue;
    if (NUMERIC_KEYS.has(axisName)) {
      if (typeof item !== 'number' && typeof item !== 'string') fail(`${where}: ${describeValue(item)} is not a number`);
      if (typeof item === 'string' && parseRange(item, where, fail) !== undefined) fail(`${where}: a range cannot be an item of a list; give the range alone`);
      if (typeof item === 'string' && Object.hasOwn(NUMERIC_WORDS, axisName) && NUMERIC_WORDS[axisName]!.includes(item)) v = item;
      else {
        try {
          v = parseNumber(item, where);
        } catch (e) {
          return fail(firstLine(e));
        }
      }
    } else if (BOOLEAN_KEYS.has(axisName)) {
      if (item !== true && item !== false && item !== 'true' && item !== 'false') fail(`${where}: ${describeValue(item)} is not true or false`);
      v = String(item);
    } else {
      if (typeof item !== 'string' || item === '') fail(`${where}: ${describeValue(item)} is not a non-empty string`);
      v = item as string;
      if (/[,=\n]/.test(v)) fail(`${where}: '${v}' cannot contain ',', '=' or a line break (values name trials)`);
    }
    if (!allowRepeats && listed.has(v)) fail(`${where}: value ${formatAxisValue(v)} is listed twice`);
    listed.add(v);
    values.push(v);
  }
  return values;
}

function parseSeeds(value: unknown, where: string, fail: Fail): number[] {
  const isSeed = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  let seeds: number[];
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 1 || value > MAX_RANGE) fail(`${where}: ${value} is not a count of seeds (1 to ${MAX_RANGE}; 7 means seeds 0..6)`);
    seeds = Array.from({ length: value }, (_, i) => i);
  } else if (typeof value === 'string' && INT_RANGE.test(value.trim())) {
    seeds = parseRange(value, where, fail)!;
    if (seeds[0]! < 0) fail(`${where}: seeds must be non-negative`);
  } else if (Array.isArray(value)) {
    if (value.length === 0) fail(`${where}: has no seeds`);
    if (value.length > MAX_TRIALS) fail(`${where}: ${value.length} seeds is more than the ${MAX_TRIALS} trials a sweep may have; split the sweep`);
    for (const s of value) if (!isSeed(s)) fail(`${where}: ${describeValue(s)} is not a non-negative integer seed`);
    seeds = value as number[];
    if (new Set(seeds).size !== seeds.length) fail(`${where}: a seed is listed twice`);
  } else {
    return fail(`${where}: give a count (7 means seeds 0..6), a range '0..6' or a list of seeds`);
  }
  return seeds;
}

function parseScoring(raw: unknown, seedCount: number, fail: Fail): Scoring {
  const scoring = raw ?? {};
  if (!isPlainObject(scoring)) return fail('scoring: must be a mapping (metric, best, of, order, diverged)');
  for (const key of Object.keys(scoring)) if (!SCORING_KEYS.includes(key)) fail(`scoring: unknown key '${key}' (known: ${SCORING_KEYS.join(', ')})`);
  const metric = scoring.metric ?? 'best_test_acc';
  if (typeof metric !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(metric)) fail(`scoring.metric: ${describeValue(metric)} is not a metric name (e.g. best_test_acc, train_acc)`);
  const best = scoring.best ?? Math.min(5, seedCount);
  if (typeof best !== 'number' || !Number.isInteger(best) || best < 1) fail(`scoring.best: must be a positive integer, got ${describeValue(best)}`);
  if ((best as number) > seedCount) fail(`scoring.best: ${best} is more than the ${seedCount} seed${seedCount === 1 ? '' : 's'} per point`);
  if (scoring.of !== undefined && scoring.of !== seedCount) fail(`scoring.of: ${describeValue(scoring.of)} does not match the ${seedCount} seeds per point given under axes.seed`);
  const order = scoring.order ?? 'max';
  if (order !== 'max' && order !== 'min') fail(`scoring.order: ${describeValue(order)} is not one of max, min`);
  const diverged = scoring.diverged ?? 'include';
  if (diverged !== 'include' && diverged !== 'exclude') fail(`scoring.diverged: ${describeValue(diverged)} is not one of include, exclude`);
  return { metric: metric as string, best: best as number, of: seedCount, order: order as Scoring['order'], diverged: diverged as Scoring['diverged'] };
}

/** Every grid point (cross product of the dimensions, first dimension outermost) and its coordinates. */
export function gridPoints(spec: SweepSpec): GridPoint[] {
  let points: GridPoint[] = [{}];
  for (const dimension of spec.dimensions) {
    const length = dimension.axes[0]!.values.length;
    const next: GridPoint[] = [];
    for (const point of points) {
      for (let i = 0; i < length; i++) {
        const extended = { ...point };
        for (const axis of dimension.axes) extended[axis.name] = axis.values[i]!;
        next.push(extended);
      }
    }
    points = next;
  }
  return points;
}

export function pointKey(point: GridPoint): string {
  return Object.entries(point).map(([k, v]) => `${k}=${formatAxisValue(v)}`).join(',');
}

export function trialKey(point: GridPoint, seed: number): string {
  const coordinates = pointKey(point);
  return coordinates === '' ? `seed=${seed}` : `${coordinates},seed=${seed}`;
}

/** The training config of one trial: base, then the point's values, then derived axes, then the seed. */
export function trialConfig(spec: SweepSpec, point: GridPoint, seed: number, source = 'spec'): TrainConfig {
  const partial: Record<string, unknown> = { ...spec.base };
  // Trials of a sweep run side by side, one per core: one ORT thread each unless the spec says otherwise.
  if (partial.threads === undefined) partial.threads = 1;
  for (const [name, value] of Object.entries(point)) {
    if (Object.hasOwn(DERIVED_AXES, name)) continue;
    partial[name] = value;
  }
  const has = (k: string): boolean => Object.hasOwn(point, k);
  if (has('epochs')) delete partial.steps;
  if (has('steps') || has('updates')) delete partial.epochs;
  const key = trialKey(point, seed);
  const fail = (message: string): never => {
    throw new SpecError(`${source}: trial ${key}: ${message}`);
  };
  const numberOf = (k: string, fallback: number): number => (partial[k] === undefined ? fallback : parseNumber(partial[k], k));
  try {
    if (has('lrPerBatch')) partial.lr = (point.lrPerBatch as number) * numberOf('batch', 16);
    if (has('lambdaPerBatch')) partial.lambda = (point.lambdaPerBatch as number) * numberOf('batch', 16);
    if (has('updates')) {
      const nStep = numberOf('nStep', 1);
      const steps = (point.updates as number) / nStep;
      if (!Number.isInteger(steps)) fail(`updates ${point.updates} is not a multiple of nStep ${nStep}`);
      partial.steps = steps;
    }
    partial.seed = seed;
    return resolveConfig(partial, `trial ${key}`);
  } catch (e) {
    if (e instanceof SpecError) throw e;
    return fail(firstLine(e).replace(`trial ${key}: `, ''));
  }
}

/** Trials a spec expands to, from the dimension lengths alone (so an oversized grid is refused before it is built). */
export function trialCount(spec: SweepSpec): number {
  return spec.dimensions.reduce((n, d) => n * (d.axes[0]?.values.length ?? 1), 1) * spec.seeds.length;
}

function expandTrials(spec: SweepSpec, source: string): Trial[] {
  const count = trialCount(spec);
  if (count > MAX_TRIALS) throw new SpecError(`${source}: ${count} trials is more than ${MAX_TRIALS}; split the sweep`);
  const points = gridPoints(spec);
  const trials: Trial[] = [];
  for (const point of points) {
    for (const seed of spec.seeds) {
      // Every trial's config is validated up front: a typo fails before the first trial trains.
      trials.push({ key: trialKey(point, seed), pointKey: pointKey(point), point, seed, config: trialConfig(spec, point, seed, source) });
    }
  }
  return trials;
}

/**
 * A stable id: the name as a slug and a hash of every trial's key and resolved config. Two specs
 * that expand to the same trials share an id (so '2^-5' and 0.03125 are the same sweep); the
 * scoring rule is not part of it, since changing it re-aggregates the same runs.
 */
export function sweepId(name: string, trials: readonly Trial[]): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'sweep';
  const hash = createHash('sha256').update(JSON.stringify({ name, trials: trials.map((t) => [t.key, t.config]) })).digest('hex');
  return `${slug}-${hash.slice(0, 12)}`;
}

/** The sweep again from its stored normalized spec (for `sweep show ID`); keeps the id it was stored under. */
export function sweepFromStoredSpec(id: string, stored: unknown, source: string): Sweep {
  // The stored normal form, checked as strictly as the spec it came from (the store is a file too).
  const isValue = (v: unknown): boolean => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
  const isAxis = (a: unknown): boolean => isPlainObject(a) && typeof a.name === 'string' && Array.isArray(a.values) && a.values.length > 0 && a.values.every(isValue);
  const isDimension = (d: unknown): boolean =>
    isPlainObject(d) && Array.isArray(d.axes) && d.axes.length > 0 && d.axes.every(isAxis) && new Set(d.axes.map((a) => (a as Axis).values.length)).size === 1;
  const isSeed = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (
    !isPlainObject(stored) || !isPlainObject(stored.base) || !Array.isArray(stored.dimensions) || !stored.dimensions.every(isDimension) ||
    !Array.isArray(stored.seeds) || stored.seeds.length === 0 || !stored.seeds.every(isSeed)
  ) {
    throw new SpecError(`${source}: the stored sweep spec is not in the expected form`);
  }
  const spec = stored as unknown as SweepSpec;
  return { id, spec, trials: expandTrials(spec, source) };
}
