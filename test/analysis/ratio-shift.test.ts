// The shift of a ratio of optima between two settings (λ_opt/ε_opt at two widths): found when the optima move,
// not claimed when they do not, refused while a point has one run, and calibrated on the settings' runs pooled.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dealPooled, ratioShift, type Experiment, type OptimumRatioSides } from '../../src/analysis/index.ts';
import { Rng } from '../../src/util/random.ts';

const LOG_RATES = [-9, -8, -7, -6, -5, -4, -3];

/** A peaked curve along `axis` (log₂ grid values), its peak at 2^peak, runs with Gaussian noise. */
function peaked(axis: string, peak: number, extra: Record<string, number>, rng: Rng, runs: number, sigma = 0.002): Experiment {
  return {
    points: LOG_RATES.map((lx) => {
      const f = 0.87 - 0.004 * (lx - peak) ** 2;
      return { coords: { [axis]: 2 ** lx, ...extra }, runs: Array.from({ length: runs }, () => {
        const v = f + sigma * rng.normal();
        return { best: v, final: v, diverged: false };
      }) };
    }),
    bestOf: 3,
    failureScore: 0.1,
  };
}

/** One setting: ε slice peaking at 2^epsPeak, λ slice at 2^lamPeak, so the ratio is 2^(lamPeak − epsPeak). */
function setting(label: string, epsPeak: number, lamPeak: number, seed: number, runs = 5, sigma?: number): OptimumRatioSides {
  const rng = new Rng(seed);
  return { label, bottom: peaked('lr', epsPeak, { lambda: 0 }, rng, runs, sigma), bottomX: 'lr', top: peaked('lambda', lamPeak, { lr: 2 ** -9 }, rng, runs, sigma), topX: 'lambda' };
}

test('a ratio that grows by two octaves is found larger, with its interval, at a low false rate', () => {
  const r = ratioShift(setting('width 256', -4, -3, 1), setting('width 1024', -6, -3, 2), 'best', { permutations: 50 });
  assert.equal(r.shift, 2);
  assert.ok(r.interval[0] > 0 && r.interval[1] >= 2, `interval ${r.interval}`);
  assert.ok(r.larger >= 0.9);
  assert.match(r.verdict, /^larger at width 1024 than at width 256 \(in [\d,]+ of 2,000 replicates\)$/);
  assert.equal(r.supports, true);
  assert.ok(r.falseRate <= 0.1, `false rate ${r.falseRate}`);
});

test('the same optima at both settings are not called larger, over many seeds', () => {
  let larger = 0;
  for (let seed = 0; seed < 20; seed++) {
    // Noisy curves (σ = 0.5 points against a 0.4-point drop one octave from the peak) so the bootstrap has work.
    const r = ratioShift(setting('a', -4, -3, 100 + seed, 5, 0.005), setting('b', -4, -3, 200 + seed, 5, 0.005), 'best', { replicates: 100, permutations: 20 });
    if (r.supports) larger++;
  }
  assert.ok(larger <= 2, `${larger} of 20 said larger`);
});

test('a smaller ratio is named as such and does not support "larger"', () => {
  const r = ratioShift(setting('a', -6, -3, 3), setting('b', -4, -3, 4), 'best', { permutations: 20 });
  assert.equal(r.shift, -2);
  assert.match(r.verdict, /^smaller at b than at a/);
  assert.equal(r.supports, false);
});

test('no verdict while a point has one run, though the shift on the data is kept', () => {
  const r = ratioShift(setting('a', -4, -3, 5, 1), setting('b', -6, -3, 6, 1), 'best', { permutations: 20 });
  assert.equal(r.shift, 2);
  assert.match(r.verdict, /^too few runs \(28 points have one run or none/);
  assert.equal(r.supports, false);
});

test('the null deals each point its own number of runs from the two settings pooled', () => {
  const x = setting('a', -4, -3, 7, 3).bottom;
  const y = setting('b', -4, -3, 8, 5).bottom;
  const [dx, dy] = dealPooled(x, y, new Rng(1));
  for (let i = 0; i < x.points.length; i++) {
    assert.equal(dx.points[i]!.runs.length, 3);
    assert.equal(dy.points[i]!.runs.length, 5);
    const before = [...x.points[i]!.runs, ...y.points[i]!.runs].map((r) => r.best).sort();
    const after = [...dx.points[i]!.runs, ...dy.points[i]!.runs].map((r) => r.best).sort();
    assert.deepEqual(after, before, 'the pool is dealt, not resampled');
    assert.deepEqual(dx.points[i]!.coords, x.points[i]!.coords);
  }
  assert.notDeepEqual(dx.points.map((p) => p.runs), x.points.map((p) => p.runs), 'runs change hands');
});

test('calibration catches a "larger" that pooled data gives too: one made by a grid point only the second setting has', () => {
  // Both settings draw their curves alike, but the second's λ grid has one more point, 2^-2, better than all.
  // The ratio is larger there whatever the runs at the shared points say, so the rule passes on pooled data too.
  const first = setting('a', -4, -3, 9);
  const second = setting('b', -4, -3, 10);
  const extra = { coords: { lambda: 2 ** -2, lr: 2 ** -9 }, runs: [0.9, 0.901, 0.899, 0.9, 0.902].map((v) => ({ best: v, final: v, diverged: false })) };
  const widened = { ...second, top: { ...second.top, points: [...second.top.points, extra] } };
  const r = ratioShift(first, widened, 'best', { permutations: 50 });
  assert.ok(r.larger >= 0.9, 'the rule alone says larger');
  assert.ok(r.falseRate > 0.5, `false rate ${r.falseRate}`);
  assert.equal(r.supports, false);
  assert.match(r.verdict, /^inconclusive: the rule would say "larger at b than at a/);
});

test('an unresolved verdict gives exact counts of the 2,000 replicates, so a share just under the bar never reads as 90%', () => {
  // One octave apart with noise comparable to the curves' drop: the bootstrap cannot settle the direction.
  const r = ratioShift(setting('a', -4, -3, 11, 5, 0.006), setting('b', -5, -3, 12, 5, 0.006), 'best', { permutations: 10 });
  assert.equal(r.replicates, 2000);
  const m = r.verdict.match(/^not resolved: larger at b in ([\d,]+) of 2,000 replicates, equal in ([\d,]+), smaller in ([\d,]+)$/);
  assert.ok(m, r.verdict);
  const [larger, equal, smaller] = m.slice(1).map((c) => Number(c.replace(/,/g, '')));
  assert.equal(larger! + equal! + smaller!, 2000);
  assert.ok(larger! < 1800 && larger! === Math.round(r.larger * 2000));
});
