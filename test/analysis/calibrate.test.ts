// Calibration: a rule that passes on shuffled data is caught (its false rate is high and its supporting verdict is
// not printed), while a rule that needs the structure of the data is not; the false rate is reproducible.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibratedVerdict, collapseFit, collapseVerdict, falseRate, MAX_FALSE_RATE, scorePoints, type Experiment } from '../../src/analysis/index.ts';
import { BATCH_GRID, curveExperiment, gridCoords } from './synthetic.ts';

/** The old Fig. 7c rule: "similar" when the groups' best scores are within 1 point, on a grid spanning about a point. */
function withinOnePoint(e: Experiment): boolean {
  const scores = scorePoints(e, 'best').map((s) => s.score);
  const bests = new Map<number, number>();
  e.points.forEach((p, i) => bests.set(p.coords.batch!, Math.max(bests.get(p.coords.batch!) ?? -Infinity, scores[i]!)));
  return Math.max(...bests.values()) - Math.min(...bests.values()) < 0.01;
}

test('the calibration catches a rule that passes on shuffled data', () => {
  // A grid whose whole range is about a point (like Fig. 7c's 1.1–1.4): the old rule says "similar" on the data…
  const e = curveExperiment(BATCH_GRID, gridCoords(BATCH_GRID), 1, 11, { curvature: 0.0005 });
  assert.equal(withinOnePoint(e), true);
  // …and on nearly every shuffle of it, so it says nothing.
  const rate = falseRate(e, withinOnePoint);
  assert.ok(rate > 0.9, `false rate ${rate}`);
  const printed = calibratedVerdict('similar', true, rate);
  assert.equal(printed.supports, false);
  assert.match(printed.verdict, /^inconclusive: the rule would say "similar" on shuffled scores \d+% of the time$/);
});

test('a collapse verdict that needs the data’s structure has a small false rate', () => {
  const e = curveExperiment(BATCH_GRID, gridCoords(BATCH_GRID), 1, 5);
  const supports = (x: Experiment): boolean => collapseVerdict(collapseFit(x, 'best', 'lr', 'batch', { replicates: 40 }), 'lr', 'batch', 1, 0).supports;
  assert.equal(supports(e), true);
  const rate = falseRate(e, supports, { permutations: 60 });
  assert.ok(rate <= MAX_FALSE_RATE, `false rate ${rate}`);
  assert.deepEqual(calibratedVerdict('ε/B governs', true, rate), { verdict: 'ε/B governs', supports: true });
});

test('false rates are reproducible (fixed seed) and a non-supporting verdict is never rewritten', () => {
  const e = curveExperiment(BATCH_GRID, gridCoords(BATCH_GRID), 1, 11, { curvature: 0.0005 });
  assert.equal(falseRate(e, withinOnePoint, { permutations: 50 }), falseRate(e, withinOnePoint, { permutations: 50 }));
  assert.deepEqual(calibratedVerdict('does not match', false, 1), { verdict: 'does not match', supports: false });
});
