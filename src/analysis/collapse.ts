// The collapse exponent: for a claim "the score is governed by x / g^c", the c that lines the curves (one per g)
// up best on the axis log₂x − c·log₂g, with a bootstrap interval over seeds and a verdict naming the hypotheses inside.
//
// Conventions (so that pages, `sgdlab report` and independent recomputations agree): ε/B^c and λ/B^c (c = 1 the
// paper's ratio to the batch size), α·n^c for n-step SGD (c = 0 the bare rate, c = 1 the SDE's ε = nα),
// ε/(1−β)^c for momentum (c = 1 the effective rate η).

import { BOOTSTRAP_SEED, REPLICATES, Rng, quantile, resampleRuns, scorePoints, type Experiment, type ScoreRule } from './experiment.ts';

/** How a grouping axis enters the collapsed coordinate: u = log₂x + sign·c·log₂(g(value)). */
export interface Grouping {
  /** The grouping variable as printed: B, n, 1−β. */
  symbol: string;
  log2: (value: number) => number;
  sign: 1 | -1;
  /** The printed name of the hypothesis x/g^c (or x·g^c) for this exponent. */
  hypothesis: (x: string, c: number) => string;
  /** The symbol of the rate axis under this grouping (n-step SGD calls its bare rate α). */
  lrSymbol: string;
}

const power = (c: number): string => (c === 1 ? '' : `^${c}`);

/** The grouping axes a collapse claim can name, with their conventions. */
export const GROUPINGS = {
  batch: { symbol: 'B', log2: Math.log2, sign: -1, lrSymbol: 'ε', hypothesis: (x, c) => (c === 0 ? `${x} alone` : `${x}/B${power(c)}`) },
  nStep: { symbol: 'n', log2: Math.log2, sign: 1, lrSymbol: 'α', hypothesis: (x, c) => (c === 0 ? `${x} alone` : c === 1 ? `n${x}` : `${x}·n${power(c)}`) },
  momentum: { symbol: '1−β', log2: (beta) => Math.log2(1 - beta), sign: -1, lrSymbol: 'ε', hypothesis: (x, c) => (c === 0 ? `${x} alone` : `${x}/(1−β)${power(c)}`) },
} satisfies Record<string, Grouping>;
export type GroupingAxis = keyof typeof GROUPINGS;

/** The rate-like axes a collapse can be taken along, and their symbols. */
export const COLLAPSE_AXES = { lr: 'ε', lambda: 'λ' } as const;
export type CollapseAxis = keyof typeof COLLAPSE_AXES;

export const axisSymbol = (x: CollapseAxis, by: GroupingAxis): string => (x === 'lr' ? GROUPINGS[by].lrSymbol : COLLAPSE_AXES[x]);

export interface CollapseOptions {
  /** The exponents searched (default −1 to 2). */
  range?: [number, number];
  /** A pair of curves is compared only where they overlap by at least this many octaves (default 1). */
  minOverlap?: number;
  /** Bootstrap replicates for the 90% interval (default 200). */
  replicates?: number;
  seed?: number;
}

interface Curve {
  logx: number[];
  logg: number;
  y: number[];
}

/** One curve per value of the grouping axis, points in increasing x (as indices into the experiment); curves with fewer than 2 points dropped. */
function curvePoints(e: Experiment, x: CollapseAxis, by: GroupingAxis): { logx: number[]; logg: number; index: number[] }[] {
  const byValue = new Map<number, { logx: number; index: number }[]>();
  e.points.forEach((p, index) => {
    const xv = p.coords[x];
    const gv = p.coords[by];
    if (xv === undefined || gv === undefined || !(xv > 0) || !Number.isFinite(GROUPINGS[by].log2(gv))) return;
    (byValue.get(gv) ?? byValue.set(gv, []).get(gv)!).push({ logx: Math.log2(xv), index });
  });
  const out: { logx: number[]; logg: number; index: number[] }[] = [];
  for (const [g, pts] of [...byValue].sort((p, q) => p[0] - q[0])) {
    if (pts.length < 2) continue;
    pts.sort((p, q) => p.logx - q.logx);
    out.push({ logx: pts.map((p) => p.logx), logg: GROUPINGS[by].log2(g), index: pts.map((p) => p.index) });
  }
  return out;
}

/** Exponents are searched on a grid of this step (coarse passes first, see argmin). */
const C_STEP = 0.005;

/**
 * Where each point sits on which curve. For a fixed exponent the mismatch is a quadratic form in the points'
 * scores, so it is computed once per exponent (and shared by every bootstrap replicate and permutation, which
 * move scores, never coordinates).
 */
class CollapseGeometry {
  readonly curves: { logx: number[]; logg: number; index: number[] }[];
  /** Experiment index of each point the forms act on. */
  private readonly members: number[];
  private readonly forms = new Map<number, Float64Array | null>();

  constructor(e: Experiment, x: CollapseAxis, by: GroupingAxis, private readonly sign: 1 | -1, private readonly minOverlap: number, private readonly from: number) {
    this.curves = curvePoints(e, x, by);
    this.members = this.curves.flatMap((k) => k.index);
  }

  /** The quadratic form Q of the mismatch at exponent from + k·C_STEP (null: no pair overlaps enough), by polarisation of basis vectors. */
  private form(k: number): Float64Array | null {
    if (this.forms.has(k)) return this.forms.get(k)!;
    const c = this.from + k * C_STEP;
    const m = this.members.length;
    const y = new Float64Array(this.members.length);
    const at = (): number => {
      let offset = 0;
      const cs = this.curves.map((curve) => {
        const values = Array.from(y.subarray(offset, offset + curve.index.length));
        offset += curve.index.length;
        return { logx: curve.logx, logg: curve.logg, y: values };
      });
      return collapseMismatch(cs, c, this.sign, this.minOverlap);
    };
    let q: Float64Array | null = new Float64Array(m * m);
    for (let i = 0; i < m && q; i++) {
      y.fill(0);
      y[i] = 1;
      const d = at();
      if (!Number.isFinite(d)) q = null;
      else q[i * m + i] = d;
    }
    for (let i = 0; i < m && q; i++) {
      for (let j = i + 1; j < m; j++) {
        y.fill(0);
        y[i] = 1;
        y[j] = 1;
        const off = (at() - q[i * m + i]! - q[j * m + j]!) / 2;
        q[i * m + j] = off;
        q[j * m + i] = off;
      }
    }
    this.forms.set(k, q);
    return q;
  }

  /** The form's nonzero entries (i ≤ j, off-diagonal ones doubled) as flat triples, for a fast sparse product. */
  private sparse(k: number): Float64Array | null {
    const cached = this.sparseForms.get(k);
    if (cached !== undefined) return cached;
    const q = this.form(k);
    let out: Float64Array | null = null;
    if (q) {
      const m = this.members.length;
      const entries: number[] = [];
      for (let i = 0; i < m; i++) {
        for (let j = i; j < m; j++) {
          const v = q[i * m + j]!;
          if (Math.abs(v) > 1e-15) entries.push(i, j, i === j ? v : 2 * v);
        }
      }
      out = Float64Array.from(entries);
    }
    this.sparseForms.set(k, out);
    return out;
  }
  private readonly sparseForms = new Map<number, Float64Array | null>();

  /** The scores of the points the forms act on, in their order. */
  gather(scores: readonly number[]): Float64Array {
    return Float64Array.from(this.members, (i) => scores[i]!);
  }

  mismatch(k: number, y: Float64Array): number {
    const q = this.sparse(k);
    if (!q) return NaN;
    let sum = 0;
    for (let t = 0; t < q.length; t += 3) sum += q[t + 2]! * y[q[t]!]! * y[q[t + 1]!]!;
    return sum;
  }

  /**
   * The grid index of the least mismatch, or −1 when no exponent has overlapping curves: every 20th grid
   * value (0.1), then every 4th within 0.1 of the best (0.02), then every value within 0.02 of that (0.005).
   */
  argmin(scores: readonly number[], last: number): number {
    const y = this.gather(scores);
    let best = -1;
    let bestValue = Infinity;
    const consider = (k: number): void => {
      const v = this.mismatch(k, y);
      if (v < bestValue - 1e-15) {
        bestValue = v;
        best = k;
      }
    };
    for (let k = 0; k <= last; k += 20) consider(k);
    if (best < 0) return -1;
    for (const [step, reach] of [[4, 20], [1, 4]] as const) {
      const centre = best;
      for (let k = Math.max(0, centre - reach); k <= Math.min(last, centre + reach); k += step) if (k !== centre) consider(k);
    }
    return best;
  }
}

/**
 * Geometries of recent collapses, found by the points' coordinate objects: a claim's bootstrap replicates and
 * permutations keep those objects (they move runs, never coordinates), so they share one geometry.
 */
const geometries = new WeakMap<object, { coords: object[]; key: string; geometry: CollapseGeometry }[]>();

function geometryOf(e: Experiment, x: CollapseAxis, by: GroupingAxis, minOverlap: number, from: number): CollapseGeometry {
  const key = `${x} ${by} ${minOverlap} ${from}`;
  const anchor = e.points[0]?.coords ?? geometries;
  const list = geometries.get(anchor) ?? [];
  const found = list.find((g) => g.key === key && g.coords.length === e.points.length && g.coords.every((c, i) => c === e.points[i]!.coords));
  if (found) return found.geometry;
  const geometry = new CollapseGeometry(e, x, by, GROUPINGS[by].sign, minOverlap, from);
  list.push({ coords: e.points.map((p) => p.coords), key, geometry });
  if (list.length > 16) list.shift();
  geometries.set(anchor, list);
  return geometry;
}

/**
 * Mean squared difference between the curves shifted by c, over their pairwise overlaps: for each pair of
 * curves that overlap by at least `minOverlap` octaves, the integral of the squared difference of their
 * linear interpolants over the overlap (exact: the difference is linear between merged knots); the sum of
 * the integrals over the sum of the overlaps' widths. NaN when no pair overlaps enough.
 */
export function collapseMismatch(cs: readonly Curve[], c: number, sign: 1 | -1, minOverlap: number): number {
  let integral = 0;
  let width = 0;
  for (let i = 0; i < cs.length; i++) {
    for (let j = i + 1; j < cs.length; j++) {
      const a = cs[i]!;
      const b = cs[j]!;
      const sa = sign * c * a.logg;
      const sb = sign * c * b.logg;
      const na = a.logx.length;
      const nb = b.logx.length;
      const lo = Math.max(a.logx[0]! + sa, b.logx[0]! + sb);
      const hi = Math.min(a.logx[na - 1]! + sa, b.logx[nb - 1]! + sb);
      if (hi - lo < minOverlap - 1e-9) continue;
      // Walk the merged knots of both curves from lo to hi; ia/ib index the segment each curve is on.
      let ia = 0;
      let ib = 0;
      let t = lo;
      let prev = NaN;
      let tPrev = lo;
      for (;;) {
        while (ia < na - 2 && a.logx[ia + 1]! + sa <= t) ia++;
        while (ib < nb - 2 && b.logx[ib + 1]! + sb <= t) ib++;
        const d = lerp(a, ia, sa, t) - lerp(b, ib, sb, t);
        if (t > lo) integral += ((prev * prev + prev * d + d * d) / 3) * (t - tPrev);
        if (t >= hi) break;
        prev = d;
        tPrev = t;
        const nextA = ia + 1 < na ? a.logx[ia + 1]! + sa : Infinity;
        const nextB = ib + 1 < nb ? b.logx[ib + 1]! + sb : Infinity;
        let next = Math.min(nextA, nextB, hi);
        if (next <= t) next = Math.min(nextA > t ? nextA : Infinity, nextB > t ? nextB : Infinity, hi);
        t = next;
      }
      width += hi - lo;
    }
  }
  return width === 0 ? NaN : integral / width;
}
/** The curve's linear interpolant at t on its segment k (knots shifted by s). */
function lerp(k: Curve, seg: number, s: number, t: number): number {
  const u0 = k.logx[seg]! + s;
  const u1 = k.logx[seg + 1]! + s;
  const w = u1 > u0 ? (t - u0) / (u1 - u0) : 0;
  return k.y[seg]! + w * (k.y[seg + 1]! - k.y[seg]!);
}

/**
 * The exponent with the least mismatch (coarse to fine, to 0.005; NaN without overlapping curves) and the
 * collapse's quality there: 1 − mismatch / (2 × the variance of the curves' scores), the mismatch against that
 * of two points drawn at random from the curves. 1 is a perfect collapse; shuffled scores give about 0.
 */
export function fitCollapse(e: Experiment, scores: readonly number[], x: CollapseAxis, by: GroupingAxis, options: CollapseOptions = {}): { exponent: number; quality: number } {
  const [from, to] = options.range ?? [-1, 2];
  const g = geometryOf(e, x, by, options.minOverlap ?? 1, from);
  if (g.curves.length < 2) return { exponent: NaN, quality: NaN };
  const k = g.argmin(scores, Math.round((to - from) / C_STEP));
  if (k < 0) return { exponent: NaN, quality: NaN };
  const y = g.gather(scores);
  const mean = y.reduce((a, v) => a + v, 0) / y.length;
  const variance = y.reduce((a, v) => a + (v - mean) ** 2, 0) / y.length;
  return { exponent: Math.round((from + k * C_STEP) * 1000) / 1000, quality: variance > 0 ? 1 - g.mismatch(k, y) / (2 * variance) : NaN };
}

/** The exponent alone (see fitCollapse). */
export function fitExponent(e: Experiment, scores: readonly number[], x: CollapseAxis, by: GroupingAxis, options: CollapseOptions = {}): number {
  return fitCollapse(e, scores, x, by, options).exponent;
}

/** A collapse names a governing variable only if its curves agree at least this well (see fitCollapse). */
export const MIN_COLLAPSE_QUALITY = 0.5;

export interface CollapseFit {
  exponent: number;
  /** The 90% bootstrap interval over seeds (5th and 95th percentiles of the refitted exponent). */
  interval: [number, number];
  /** How well the curves agree at the fitted exponent (see fitCollapse). */
  quality: number;
  /** Replicates whose fit failed (no overlapping curves), out of `replicates`. */
  failedReplicates: number;
  replicates: number;
}

/** The exponent on the data and its 90% interval: each replicate redraws every point's runs and recomputes its best-k score. */
export function collapseFit(e: Experiment, rule: ScoreRule, x: CollapseAxis, by: GroupingAxis, options: CollapseOptions = {}): CollapseFit {
  const { exponent, quality } = fitCollapse(e, scorePoints(e, rule).map((s) => s.score), x, by, options);
  const replicates = options.replicates ?? REPLICATES;
  const rng = new Rng(options.seed ?? BOOTSTRAP_SEED);
  const fits: number[] = [];
  for (let r = 0; r < replicates; r++) {
    const sample = resampleRuns(e, rng);
    fits.push(fitExponent(sample, scorePoints(sample, rule).map((s) => s.score), x, by, options));
  }
  // Resampling n runs with replacement has (n−1)/n of their variance: with 3 seeds the percentile interval
  // would cover the true exponent ~87% of the time, not 90%. Its ends are widened about the estimate by
  // √(n/(n−1)) (n: the median number of runs per point), which restores the coverage (test/analysis/collapse.test.ts).
  const counts = e.points.map((p) => p.runs.length).sort((a, b) => a - b);
  const n = counts.length ? counts[Math.floor(counts.length / 2)]! : 1;
  const widen = n > 1 ? Math.sqrt(n / (n - 1)) : 1;
  const [from, to] = options.range ?? [-1, 2];
  const end = (q: number): number => Math.min(to, Math.max(from, exponent + (q - exponent) * widen));
  const interval: [number, number] = Number.isFinite(exponent) ? [end(quantile(fits, 0.05)), end(quantile(fits, 0.95))] : [NaN, NaN];
  return { exponent, quality, interval, failedReplicates: fits.filter((f) => !Number.isFinite(f)).length, replicates };
}

export interface CollapseVerdict {
  verdict: string;
  /** The verdict is the claim's own hypothesis governing (the paper's side). */
  supports: boolean;
}

/**
 * The hypotheses the interval contains: the expected one inside and the alternative outside is the claim
 * ("governs"); the reverse is the alternative governing; both or neither is inconclusive. Curves that do not
 * collapse at all (quality below MIN_COLLAPSE_QUALITY) are governed by neither.
 */
export function collapseVerdict(fit: Pick<CollapseFit, 'exponent' | 'interval' | 'quality'>, x: CollapseAxis, by: GroupingAxis, expect: number, against: number): CollapseVerdict {
  const [lo, hi] = fit.interval;
  if (!Number.isFinite(fit.exponent) || !Number.isFinite(lo) || !Number.isFinite(hi)) return { verdict: 'no fit (too few curves overlap)', supports: false };
  if (!(fit.quality >= MIN_COLLAPSE_QUALITY)) return { verdict: `inconclusive: the curves do not collapse (quality ${fit.quality.toFixed(2)} < ${MIN_COLLAPSE_QUALITY})`, supports: false };
  const sym = axisSymbol(x, by);
  const name = (c: number): string => `c = ${c} (${GROUPINGS[by].hypothesis(sym, c)})`;
  const inside = (c: number): boolean => lo - 1e-9 <= c && c <= hi + 1e-9;
  const expectIn = inside(expect);
  const againstIn = inside(against);
  if (expectIn && !againstIn) return { verdict: `${name(expect)} inside, ${name(against)} outside: ${GROUPINGS[by].hypothesis(sym, expect)} governs`, supports: true };
  if (againstIn && !expectIn) return { verdict: `${name(against)} inside, ${name(expect)} outside: ${GROUPINGS[by].hypothesis(sym, against)} governs`, supports: false };
  if (expectIn) return { verdict: `inconclusive: the interval contains both ${name(expect)} and ${name(against)}`, supports: false };
  return { verdict: `inconclusive: neither ${name(expect)} nor ${name(against)} is inside`, supports: false };
}
