// A point's score under both rules and the divergence rule; bootstrap replicates and permutations move whole runs
// and keep every point's coordinates.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { permuteRuns, quantile, resampleRuns, scoreRuns, type RunOutcome } from '../../src/analysis/index.ts';
import { Rng } from '../../src/util/random.ts';

const run = (best: number, final: number, diverged = false): RunOutcome => ({ best, final, diverged });

test('the score is the mean of the best k runs, under the rule asked for', () => {
  const runs = [run(0.86, 0.85), run(0.88, 0.8), run(0.84, 0.84)];
  assert.equal(scoreRuns(runs, 'best', 2, 0.1).score, (0.88 + 0.86) / 2);
  assert.equal(scoreRuns(runs, 'final', 2, 0.1).score, (0.85 + 0.84) / 2);
  assert.equal(scoreRuns(runs, 'best', 2, 0.1).diverged, false);
});

test('a point where more than half the runs diverged is a failure; fewer compete as the rule says', () => {
  // 2 of 3 diverged: the point is diverged and scores the failure value, whatever its runs reached before.
  assert.deepEqual(scoreRuns([run(0.85, 0.85, true), run(0.84, 0.84, true), run(0.86, 0.86)], 'best', 2, 0.1), { score: 0.1, diverged: true });
  // 1 of 3 diverged: best-during-training lets it compete with its peak from before; final counts it as the failure value.
  const partly = [run(0.87, 0.5, true), run(0.84, 0.84), run(0.86, 0.86)];
  assert.equal(scoreRuns(partly, 'best', 2, 0.1).score, (0.87 + 0.86) / 2);
  assert.equal(scoreRuns(partly, 'final', 2, 0.1).score, (0.86 + 0.84) / 2);
  // A run that diverged before its first evaluation has no value and adds nothing to the mean.
  assert.equal(scoreRuns([run(NaN, NaN, true), run(0.8, 0.8), run(0.9, 0.9)], 'best', 2, 0.1).score, (0.9 + 0.8) / 2);
});

test('replicates and permutations keep coordinates and move whole runs', () => {
  const e = { points: [0, 1, 2, 3].map((i) => ({ coords: { lr: 2 ** -i }, runs: [run(i, i), run(i + 0.5, i + 0.5)] })), bestOf: 1, failureScore: 0 };
  const rng = new Rng(1);
  const resampled = resampleRuns(e, rng);
  resampled.points.forEach((p, i) => {
    assert.equal(p.coords, e.points[i]!.coords);
    for (const r of p.runs) assert.ok(e.points[i]!.runs.includes(r), 'a replicate draws from the point’s own runs');
  });
  const permuted = permuteRuns(e, rng);
  assert.deepEqual(permuted.points.map((p) => p.coords), e.points.map((p) => p.coords));
  assert.deepEqual(new Set(permuted.points.map((p) => p.runs)), new Set(e.points.map((p) => p.runs)));
});

test('quantiles interpolate between order statistics and skip non-finite values', () => {
  assert.equal(quantile([3, 1, 2, NaN], 0.5), 2);
  assert.equal(quantile([0, 10], 0.05), 0.5);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});
