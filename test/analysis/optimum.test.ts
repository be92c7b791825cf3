// Optimum location: bootstrap win shares, the smallest set covering 90%, and the ratio of two optima; "similar at
// their best" judged against a margin, in both directions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locateOptimum, locateOptimumRatio, sharesOf, similarAtBest, type Experiment, type RunOutcome } from '../../src/analysis/index.ts';

const runs = (...v: number[]): RunOutcome[] => v.map((x) => ({ best: x, final: x, diverged: false }));
const curve = (axis: string, values: [number, number[]][], extra: Record<string, number> = {}): Experiment => ({
  points: values.map(([x, r]) => ({ coords: { [axis]: x, ...extra }, runs: runs(...r) })),
  bestOf: 2,
  failureScore: 0.1,
});

test('shares are sorted by wins and the 90% set is the fewest values covering 90%', () => {
  const winners = [...Array(70).fill(1), ...Array(25).fill(2), ...Array(5).fill(4)];
  const { shares, set } = sharesOf(winners);
  assert.deepEqual(shares, [{ value: 1, share: 0.7 }, { value: 2, share: 0.25 }, { value: 4, share: 0.05 }]);
  assert.deepEqual(set, [1, 2]);
  assert.deepEqual(sharesOf(Array(100).fill(3)).set, [3]);
});

test('a clear optimum wins every replicate; two tied points share them', () => {
  const clear = locateOptimum(curve('lr', [[2 ** -6, [0.85, 0.851, 0.849]], [2 ** -5, [0.87, 0.871, 0.869]], [2 ** -4, [0.86, 0.861, 0.859]]]), 'best', 'lr');
  assert.equal(clear.best, 2 ** -5);
  assert.deepEqual(clear.set, [2 ** -5]);
  const tied = locateOptimum(curve('lr', [[2 ** -6, [0.85, 0.851, 0.849]], [2 ** -5, [0.87, 0.865, 0.873]], [2 ** -4, [0.871, 0.864, 0.869]]]), 'best', 'lr');
  assert.deepEqual([...tied.set].sort(), [2 ** -5, 2 ** -4].sort());
});

test('the ratio of two optima is given in log₂ with its own shares', () => {
  const eps = curve('lr', [[2 ** -6, [0.85, 0.85, 0.85]], [2 ** -5, [0.87, 0.87, 0.87]], [2 ** -4, [0.86, 0.86, 0.86]]], { lambda: 0 });
  const lam = curve('lambda', [[2 ** -3, [0.85, 0.85, 0.85]], [2 ** -2, [0.87, 0.87, 0.87]]], { lr: 2 ** -9 });
  const r = locateOptimumRatio(lam, 'lambda', eps, 'lr', 'best');
  assert.equal(r.best, 3);
  assert.deepEqual(r.set, [3]);
});

test('similar at their best: below the margin, above it, or straddling it', () => {
  const groups = [(c: Record<string, number>) => c.n === 1, (c: Record<string, number>) => c.n === 2];
  const two = (a: number[], b: number[]): Experiment => ({ points: [{ coords: { n: 1 }, runs: runs(...a) }, { coords: { n: 2 }, runs: runs(...b) }], bestOf: 2, failureScore: 0.1 });
  assert.equal(similarAtBest(two([0.87, 0.871, 0.869], [0.869, 0.87, 0.868]), 'best', groups, 0.005).supports, true);
  const apart = similarAtBest(two([0.87, 0.871, 0.869], [0.85, 0.851, 0.849]), 'best', groups, 0.005);
  assert.equal(apart.supports, false);
  assert.match(apart.verdict, /^different/);
  assert.match(similarAtBest(two([0.87, 0.865, 0.875], [0.865, 0.86, 0.87]), 'best', groups, 0.005).verdict, /^inconclusive/);
});
