// `sgdlab report --exclude-below SCORE`: grid points scoring below SCORE (diverged or untrainable) are
// not drawn, so the y axis zooms in on the rest, and each figure's caption names what it left out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFigures, renderSvg, ReportInputError, type DrawnFigure, type FigureOutcome } from '../../src/report/index.ts';
import type { SweepSummary } from '../../src/sweep/summary.ts';
import { sgdlab } from '../sgdlab-cli.ts';
import { rateAndLambdaSweep } from './fixtures.ts';

type Row = { series: string; lx: number; y: number; run: string };
const EPS = 'original loss C (λ = 0), vs ε';

/** The paper-shaped ε/λ sweep with ε = 2^-4 at chance level: 2 of 7 runs diverged (a minority, so not a diverged point), the rest score 10%. */
function withChancePoint(): SweepSummary {
  const summary = rateAndLambdaSweep();
  const points = summary.points.map((p) => {
    if (p.point.lr !== 2 ** -4 || p.point.lambda !== 0) return p;
    const score = { mean: 0.1, std: 0.01 };
    return { ...p, diverged: 2, finished: 5, scored: 5, score, metrics: { ...p.metrics, best_test_acc: score, train_acc: { mean: 0.11, std: 0.01 }, c_reg: { mean: 1e22, std: 1e21 } } };
  });
  return { ...summary, points };
}

const drawn = (outcomes: FigureOutcome[], prefix: string): DrawnFigure => {
  const figure = outcomes.find((o) => o.id.startsWith(prefix));
  assert.ok(figure && figure.kind === 'drawn', `${prefix} not drawn`);
  return figure;
};
const rows = (f: DrawnFigure, panel = 0): Row[] => ((f.spec.hconcat as { data: { values: Row[] } }[])[panel]!.data.values).filter((r) => r.run === '');
const yLabels = (svg: string): number[] => [...svg.matchAll(/>(\d+)<\/text>/g)].map((m) => Number(m[1]));

test('without --exclude-below the chance-level point is drawn and the y axis runs down to it', async () => {
  const figure = drawn(buildFigures({ summaries: [withChancePoint()] }), 'fig1b');
  const eps = rows(figure).filter((r) => r.series === EPS);
  assert.ok(eps.some((r) => r.lx === -4 && Math.abs(r.y - 10) < 1e-9));
  assert.doesNotMatch(figure.caption, /left out below/i);
  assert.ok(Math.min(...yLabels(await renderSvg(figure.spec))) <= 10);
});

test('excludeBelow 0.9: the point is absent from the data and the SVG, and each affected caption names it', async () => {
  const outcomes = buildFigures({ summaries: [withChancePoint()], excludeBelow: 0.9 });
  const fig1b = drawn(outcomes, 'fig1b');
  const eps = rows(fig1b).filter((r) => r.series === EPS);
  assert.deepEqual(eps.map((r) => r.lx), [-10, -9, -8, -7, -6, -5]);
  assert.ok(eps.every((r) => r.y >= 90));
  // The y axis no longer reaches down to chance level.
  const labels = yLabels(await renderSvg(fig1b.spec));
  assert.ok(labels.length > 0 && Math.min(...labels) >= 90, `y axis still runs to chance level: ${labels.join(', ')}`);
  assert.match(fig1b.caption, /Left out below 0\.9: .*ε = 2\^-4 \(2\/7 diverged, score 0\.100\)/);
  // ε = 2^-3 (every run diverged) is named as well.
  assert.match(fig1b.caption, /ε = 2\^-3 \(7\/7 diverged, no scored run\)/);
  // Fig. 1c and Fig. 2 draw other quantities of the same runs: the point is left out there too.
  const fig1c = drawn(outcomes, 'fig1c');
  assert.ok(!rows(fig1c).some((r) => r.series === EPS && r.lx === -4));
  assert.match(fig1c.caption, /Left out below 0\.9: .*ε = 2\^-4/);
  const fig2 = drawn(outcomes, 'fig2');
  assert.ok(!rows(fig2).some((r) => r.lx === -4));
  assert.match(fig2.caption, /ε = 2\^-4 \(2\/7 diverged/);
  // Points above the threshold are untouched: the λ series is complete.
  assert.equal(rows(fig1b).filter((r) => r.series.startsWith('modified')).length, 5);
});

test('excludeBelow outside [0, 1] is an input error', () => {
  assert.throws(() => buildFigures({ summaries: [withChancePoint()], excludeBelow: 2 }), ReportInputError);
  assert.throws(() => buildFigures({ summaries: [withChancePoint()], excludeBelow: Number.NaN }), ReportInputError);
});

test('sgdlab report --exclude-below 2 (or not a number) is one line on stderr and exit code 2', async () => {
  for (const bad of ['2', 'abc', '']) {
    const result = await sgdlab(['report', 'some-sweep', '--exclude-below', bad]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^sgdlab: report: --exclude-below .*: must be a score in \[0, 1\].*\n$/);
  }
});
