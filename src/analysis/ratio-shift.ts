// Does a ratio of optima move between two settings, e.g. λ_opt/ε_opt (Fig. 6a's two slices) at width 256 and at
// width 1024? The shift, in octaves, is log₂ ratio(second) − log₂ ratio(first). It is bootstrapped over seeds with
// each setting's runs resampled, and it "rises" when at least 90% of replicates put the second ratio above the first.
// The null for its false rate is "the setting does not matter": at each grid point, the two settings' runs are
// pooled and dealt back at random in the same numbers (dealPooled).

import { PERMUTATIONS, calibratedVerdict } from './calibrate.ts';
import { MIN_RUNS_PER_POINT, ratioSlices, type RatioClaim } from './claims.ts';
import { BOOTSTRAP_SEED, PERMUTATION_SEED, REPLICATES, Rng, nullReplicatesOf, quantile, resampleRuns, sameValue, scorePoints, type Experiment, type ExperimentPoint, type ScoreRule } from './experiment.ts';
import { argBest } from './optimum.ts';

/** One setting's ratio of optima: the optimum of `top` along topX over that of `bottom` along bottomX. */
export interface OptimumRatioSides {
  /** The setting's name in verdicts, e.g. "width 1024". */
  label: string;
  top: Experiment;
  topX: string;
  bottom: Experiment;
  bottomX: string;
}

/** A setting's two slices as a ratio claim declares them (the same slices the claim's own rule takes). */
export function ratioSides(label: string, claim: RatioClaim, e: Experiment): OptimumRatioSides {
  return { label, ...ratioSlices(claim, e), topX: claim.top.x, bottomX: claim.bottom.x };
}

export interface RatioShiftResult {
  /** log₂ ratio(second) − log₂ ratio(first) on the data, in octaves. */
  shift: number;
  /** 90% bootstrap interval of the shift. */
  interval: [number, number];
  /** Bootstrap replicates on the data (the shares' denominator). */
  replicates: number;
  /** Shares of bootstrap replicates in which the second ratio is larger, equal or smaller. */
  larger: number;
  equal: number;
  smaller: number;
  verdict: string;
  /** Whether the verdict supports "the ratio is larger in the second setting". */
  supports: boolean;
  /** How often the rule says "larger" when the settings' runs are pooled and dealt back at random. */
  falseRate: number;
}

/** A direction is decided when the second ratio is larger (or smaller) in at least this share of replicates. */
const DECISIVE_SHARE = 0.9;

const log2Ratio = (s: OptimumRatioSides, rule: ScoreRule): number => {
  const at = (e: Experiment, x: string): number => argBest(e, scorePoints(e, rule).map((p) => p.score), x);
  return Math.log2(at(s.top, s.topX) / at(s.bottom, s.bottomX));
};

const withExperiments = (s: OptimumRatioSides, top: Experiment, bottom: Experiment): OptimumRatioSides => ({ ...s, top, bottom });

interface Measured {
  replicates: number;
  shift: number;
  interval: [number, number];
  larger: number;
  equal: number;
  smaller: number;
}

function bootstrapShift(first: OptimumRatioSides, second: OptimumRatioSides, rule: ScoreRule, replicates: number, seed: number): Measured {
  const rng = new Rng(seed);
  const shifts: number[] = [];
  for (let r = 0; r < replicates; r++) {
    const a = withExperiments(first, resampleRuns(first.top, rng), resampleRuns(first.bottom, rng));
    const b = withExperiments(second, resampleRuns(second.top, rng), resampleRuns(second.bottom, rng));
    shifts.push(log2Ratio(b, rule) - log2Ratio(a, rule));
  }
  // Grid ratios are powers of 2 (or of 2^½): shifts are multiples of small fractions, compared with a tolerance.
  const share = (test: (d: number) => boolean): number => shifts.filter(test).length / shifts.length;
  return {
    replicates,
    shift: log2Ratio(second, rule) - log2Ratio(first, rule),
    interval: [quantile(shifts, 0.05), quantile(shifts, 0.95)],
    larger: share((d) => d > 1e-9),
    equal: share((d) => Math.abs(d) <= 1e-9),
    smaller: share((d) => d < -1e-9),
  };
}

/**
 * The null of "the setting does not matter": every point of `x` that `y` also has (the same coordinates) gets
 * as many runs as it had, drawn without replacement from the two points' runs pooled; `y` gets the rest.
 */
export function dealPooled(x: Experiment, y: Experiment, rng: Rng): [Experiment, Experiment] {
  const yPoints: ExperimentPoint[] = y.points.map((p) => ({ ...p }));
  const xPoints = x.points.map((p) => {
    const twin = yPoints.find((q) => Object.keys(p.coords).length === Object.keys(q.coords).length && Object.entries(p.coords).every(([k, v]) => sameValue(q.coords[k], v)));
    if (!twin) return p;
    const pooled = [...p.runs, ...twin.runs];
    const dealt = Array.from(rng.permutation(pooled.length), (i) => pooled[i]!);
    twin.runs = dealt.slice(p.runs.length);
    return { ...p, runs: dealt.slice(0, p.runs.length) };
  });
  return [{ ...x, points: xPoints }, { ...y, points: yPoints }];
}

function verdictOf(m: Measured, first: string, second: string): { verdict: string; supports: boolean } {
  // Counts, not rounded percentages: a share just under the bar must not read as 90%.
  const count = (share: number): string => Math.round(share * m.replicates).toLocaleString('en-US');
  const of = `of ${m.replicates.toLocaleString('en-US')} replicates`;
  if (m.larger >= DECISIVE_SHARE) return { verdict: `larger at ${second} than at ${first} (in ${count(m.larger)} ${of})`, supports: true };
  if (m.smaller >= DECISIVE_SHARE) return { verdict: `smaller at ${second} than at ${first} (in ${count(m.smaller)} ${of})`, supports: false };
  return { verdict: `not resolved: larger at ${second} in ${count(m.larger)} ${of}, equal in ${count(m.equal)}, smaller in ${count(m.smaller)}`, supports: false };
}

/**
 * Whether the ratio of optima is larger in the second setting than in the first, with the shift's bootstrap
 * interval and the rule's false rate. Like every claim, no verdict is given while a point has fewer than
 * MIN_RUNS_PER_POINT runs: one run is the same in every replicate, and would read as certainty.
 */
export function ratioShift(first: OptimumRatioSides, second: OptimumRatioSides, rule: ScoreRule, options: { replicates?: number; nullReplicates?: number; permutations?: number } = {}): RatioShiftResult {
  const measured = bootstrapShift(first, second, rule, options.replicates ?? REPLICATES, BOOTSTRAP_SEED);
  const nullReplicates = nullReplicatesOf(options);
  // The false rate: the same rule on the two settings' runs pooled and dealt back (each point of both slices).
  const rng = new Rng(PERMUTATION_SEED);
  const permutations = options.permutations ?? PERMUTATIONS;
  let hits = 0;
  for (let i = 0; i < permutations; i++) {
    const [aTop, bTop] = dealPooled(first.top, second.top, rng);
    const [aBottom, bBottom] = dealPooled(first.bottom, second.bottom, rng);
    const m = bootstrapShift(withExperiments(first, aTop, aBottom), withExperiments(second, bTop, bBottom), rule, nullReplicates, BOOTSTRAP_SEED + 1 + i);
    if (verdictOf(m, first.label, second.label).supports) hits++;
  }
  const rate = permutations === 0 ? NaN : hits / permutations;
  const thin = [first.top, first.bottom, second.top, second.bottom].flatMap((e) => e.points).filter((p) => p.runs.length < MIN_RUNS_PER_POINT).length;
  if (thin > 0) {
    return { ...measured, verdict: `too few runs (${thin} points have one run or none; a bootstrap over seeds needs ${MIN_RUNS_PER_POINT} or more at each)`, supports: false, falseRate: rate };
  }
  const raw = verdictOf(measured, first.label, second.label);
  return { ...measured, ...calibratedVerdict(raw.verdict, raw.supports, rate), falseRate: rate };
}
