// Trends and differences (src/analysis/direction.ts): the slope and rank correlation against values worked by
// hand, the trend rule's rate of "rises" on pure noise, the run-by-run shuffle, and a metric's experiment.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { differenceBetween, experimentFromRuns, permuteEachRun, rankCorrelation, slopeAgainstLog2, trendAlong, type Experiment } from '../../src/analysis/index.ts';
import { buildSweep } from '../../src/sweep/index.ts';
import type { RunRecord } from '../../src/store/index.ts';
import { Rng } from '../../src/util/random.ts';

test('slope per doubling and Spearman ρ, by hand', () => {
  // y = 3 + 0.5·log₂x exactly: slope 0.5; one neighbouring swap among five: ρ = 1 − 6·2/(5·24) = 0.9.
  assert.equal(slopeAgainstLog2([1, 2, 4, 8], [3, 3.5, 4, 4.5]), 0.5);
  assert.ok(Math.abs(rankCorrelation([1, 2, 3, 4, 5], [10, 30, 20, 40, 50]) - 0.9) < 1e-12);
  assert.equal(rankCorrelation([1, 2, 3], [3, 2, 1]), -1);
  assert.ok(Number.isNaN(slopeAgainstLog2([2, 2], [1, 5])), 'one x: no slope');
  assert.ok(Number.isNaN(rankCorrelation([1, 2], [1, 2])), 'two points: no ρ');
});

/** Five rates whose values are noise: each point's runs drawn around a level of its own, in no order. */
function noise(seed: number): Experiment {
  const rng = new Rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.uniform())) * Math.cos(2 * Math.PI * rng.uniform());
  return {
    points: Array.from({ length: 5 }, (_, i) => {
      const level = 0.85 + 0.01 * gauss();
      return { coords: { lr: 2 ** (i - 12) }, runs: Array.from({ length: 3 }, () => ({ best: level + 0.001 * gauss(), final: level + 0.001 * gauss(), diverged: false })) };
    }),
    bestOf: 2,
    failureScore: 0.1,
  };
}

test('on 300 noise experiments the trend rule says "rises" about as often as a random order of five is nearly sorted (8 in 120)', () => {
  let rises = 0;
  let sureSlope = 0;
  for (let seed = 0; seed < 300; seed++) {
    const r = trendAlong(noise(seed), 'lr', 'best', { replicates: 100 });
    if (r.direction === 'rises') rises++;
    if (r.interval[0] > 0) sureSlope++;
  }
  // The slope's interval alone excludes 0 upwards about half the time on such data: the order condition is what makes the rule fail.
  assert.ok(sureSlope > 90, `slope interval above 0 on ${sureSlope} of 300`);
  assert.ok(rises / 300 < 0.1, `rises on ${rises} of 300`);
});

test('a difference: its interval over seeds, and the run-by-run shuffle keeps every run and each point\'s count', () => {
  const e: Experiment = {
    points: [{ coords: { lambda: 0 }, runs: [1, 2, 3] }, { coords: { lambda: 1 }, runs: [4, 5] }].map((p) => ({ coords: p.coords, runs: p.runs.map((v) => ({ best: v, final: v, diverged: false })) })),
    bestOf: Infinity,
    failureScore: NaN,
  };
  const d = differenceBetween(e, (c) => c.lambda === 1, (c) => c.lambda === 0, 'final');
  assert.equal(d.value, 4.5 - 2);
  assert.equal(d.direction, 'rises');
  assert.ok(d.interval[0] > 0 && d.interval[1] <= 3.5, `${d.interval}`);
  const shuffled = permuteEachRun(e, new Rng(1));
  assert.deepEqual(shuffled.points.map((p) => p.runs.length), [3, 2]);
  assert.deepEqual(shuffled.points.flatMap((p) => p.runs.map((r) => r.final)).sort(), [1, 2, 3, 4, 5]);
});

test("a metric's experiment: each point the mean of all its runs, at the end and at the best evaluation; a diverged point has none", () => {
  const sweep = buildSweep({ name: 'm', base: { data: 'digits', model: 'mlp:8x1', epochs: 1 }, axes: { lr: ['2^-10', '2^-9'], seed: 3 }, scoring: { best: 2, of: 3 } });
  const runs = sweep.trials.map((t, i) => ({
    trialKey: t.key,
    status: t.config.lr === 2 ** -9 && i % 3 !== 0 ? 'diverged' : 'finished',
    final: { one_norm: 10 + i, best_test_acc: 0.5 },
    best: { one_norm: 100 + i, test_acc: 0.5 },
  })) as unknown as RunRecord[];
  const e = experimentFromRuns(sweep, runs, 'one_norm');
  assert.equal(e.bestOf, Infinity);
  const point = e.points.find((p) => p.coords.lr === 2 ** -10)!;
  const keys = sweep.trials.map((t, i) => [t, i] as const).filter(([t]) => t.config.lr === 2 ** -10).map(([, i]) => i);
  assert.deepEqual(point.runs.map((r) => r.final), keys.map((i) => 10 + i));
  assert.deepEqual(point.runs.map((r) => r.best), keys.map((i) => 100 + i));
  const trend = trendAlong(e, 'lr', 'final');
  assert.ok(Number.isNaN(trend.value), 'the diverged point (2 of 3 runs) leaves one point: no slope');
});
