// The text table of a sweep: numbers a reader can compare at a glance (no 21-digit integers beside
// exponents), and the learning rate in one column unless the applied rate ε differs from it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { num, summaryTable } from '../../src/sweep/table.ts';
import type { PointSummary, SweepSummary } from '../../src/sweep/summary.ts';

test('num: 4 significant digits, exponent form outside [1e-4, 1e6)', () => {
  const cases: [number | undefined, string][] = [
    [1.169e20, '1.169e+20'], [2.003e24, '2.003e+24'], [1e6, '1e+6'], [999999, '1e+6'], [123456, '123500'],
    [0.0245, '0.0245'], [0.0001, '0.0001'], [4.63e-6, '4.63e-6'], [0, '0'], [-3.5e-7, '-3.5e-7'], [NaN, '—'], [Infinity, '—'], [undefined, '—'],
  ];
  for (const [x, text] of cases) assert.equal(num(x), text, String(x));
});

const point = (lr: number, effectiveLr: number, cReg: number): PointSummary => ({
  point: { lr }, effectiveLr, runs: 5, finished: 5, diverged: 0, failed: 0, scored: 3,
  score: { mean: 0.98, std: 0.001 }, metrics: { train_acc: { mean: 1, std: 0 }, test_acc: { mean: 0.97, std: 0 }, c_reg: { mean: cReg, std: 0 } },
  runIds: [1, 2, 3, 4, 5], scoredRunIds: [1, 2, 3],
});
const sweep = (points: PointSummary[]): SweepSummary => ({
  sweepId: 's1', name: 'tiny', axes: [{ name: 'lr', values: points.map((p) => p.point.lr!) }, { name: 'seed', values: [0, 1, 2, 3, 4] }].slice(0, 1),
  scoring: { metric: 'best_test_acc', best: 3, of: 5 }, base: {}, points,
});

test('summaryTable: one rate column when ε is the lr axis, two when n-step makes them differ', () => {
  const plain = summaryTable(sweep([point(2 ** -3, 2 ** -3, 1.169e20), point(2 ** -2, 2 ** -2, 2.003e24)])).split('\n');
  assert.match(plain[1]!, /^lr = ε\s+runs\s/);
  assert.match(plain[3]!, /^2\^-3\s+5\s+5\s+0\s+0\s+98\.0% ± 0\.1%\s+100\.0%\s+97\.0%\s+1\.169e\+20$/);
  assert.match(plain[4]!, /2\.003e\+24$/);
  const nStep = summaryTable(sweep([point(2 ** -3, 2 ** -1, 0.5)])).split('\n');
  assert.match(nStep[1]!, /^lr\s+ε\s+runs\s/);
  assert.match(nStep[3]!, /^2\^-3\s+2\^-1\s+5\s/);
});
