// The training view's charts from the page state: a diverged run never sets a y range (the batch-cost
// chart stays on the runs that trained), and the accuracy chart zooms to where the runs differ.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartDomains } from '../../src/web/charts.ts';
import { chartSpecs } from '../../src/web/curves.ts';
import { initialState, update, type PageState } from '../../src/web/page-state.ts';
import type { Evaluation, RunStatus } from '../../src/web/engine.ts';

const T = '2026-01-01T00:00:00.000Z';
const COLORS = ['#0072b2', '#d55e00', '#009e73'];
const status = (state: RunStatus['state'], steps: number, losses: number[], extra: Partial<RunStatus> = {}): RunStatus =>
  ({ state, steps, epoch: steps / 75, totalSteps: 1500, losses, stepsPerSecond: 100, ...extra });

/** Runs A and B train normally (costs 2.3 → 0.01, accuracy up to 97.5% and 98.5%); run C blows up to 1e32 and diverges at step 150. */
function threeRuns(): PageState {
  let s = update(initialState('', T), { type: 'started', data: { kind: 'digits', n: 1200 }, createdAt: T });
  const healthy = Array.from({ length: 300 }, (_, i) => 2.3 * Math.exp(-i / 60) + 0.01);
  const blowUp = Array.from({ length: 150 }, (_, i) => (i < 100 ? 2.3 : 10 ** ((i - 100) * 0.64)));
  s = update(s, { type: 'worker', index: 0, message: { type: 'status', status: status('running', 300, healthy) } });
  s = update(s, { type: 'worker', index: 1, message: { type: 'status', status: status('running', 300, healthy.map((l) => l * 1.1)) } });
  s = update(s, { type: 'worker', index: 2, message: { type: 'status', status: status('diverged', 149, [...blowUp, Number.NaN], { divergedAtStep: 149 }) } });
  for (const [index, top] of [[0, 0.975], [1, 0.985], [2, 0.9]] as const) {
    for (let epoch = 0; epoch <= 4; epoch++) {
      if (index === 2 && epoch > 2) break;
      const acc = top - (top - 0.1) * Math.exp(-2 * epoch);
      const evaluation: Evaluation = { step: 75 * epoch, epoch, metrics: { train_acc: acc, test_acc: acc - 0.005, train_loss: 1 - acc + 1e-3, c_reg: index === 2 && epoch === 2 ? 1e30 : 0.01 } };
      s = update(s, { type: 'worker', index, message: { type: 'evaluation', evaluation } });
    }
  }
  return s;
}

test('the batch-cost chart: the diverged run is flagged and named, and its 1e32 never sets the y range', () => {
  const specs = chartSpecs(threeRuns(), COLORS, 'zoom');
  const batch = specs['chart-batch'];
  assert.deepEqual(batch.series.map((s) => s.diverged ?? false), [false, false, true]);
  assert.match(batch.series[2]!.label, /^C \(ε=2\^-3 B=16\) diverged at step 149$/);
  const { y: [, top] } = chartDomains({ ...batch, xLabel: 'epoch' });
  assert.ok(top < Math.log10(5), `y range reaches 10^${top.toFixed(1)}: the diverged run set it`);
  // Without the flag it would (the test can fail): the same chart with C not marked reaches 1e31.
  const unflagged = { ...batch, xLabel: 'epoch', series: batch.series.map((s) => ({ ...s, diverged: false })) };
  assert.ok(chartDomains(unflagged).y[1] > 30);
  // C_reg: the diverged run's last evaluation (1e30) does not set that chart either.
  assert.ok(chartDomains({ ...specs['chart-creg'], xLabel: 'epoch' }).y[1] < 0);
});

test('the accuracy chart: zoomed to the later half of training it spans the 97–99% the runs end at; 0–100% on request', () => {
  const state = threeRuns();
  const zoomed = chartDomains({ ...chartSpecs(state, COLORS, 'zoom')['chart-accuracy'], xLabel: 'epoch' }).y;
  assert.ok(zoomed[0] > 0.9 && zoomed[1] < 1, `zoomed y range ${zoomed.join('..')}`);
  const full = chartDomains({ ...chartSpecs(state, COLORS, 'full')['chart-accuracy'], xLabel: 'epoch' }).y;
  assert.deepEqual(full, [0, 1]);
});
