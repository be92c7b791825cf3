// Figures from hand-made sweep summaries: which figures the axes support, the points and error bars
// each spec carries, log₂ axes with 2^k ticks, and the labels in the rendered SVG.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFigures, renderPage, renderSvg, type DrawnFigure, type FigureOutcome } from '../../src/report/index.ts';
import { settingsOf } from '../../src/report/pool.ts';
import type { SweepSummary } from '../../src/sweep/summary.ts';
import { batchSweep, nStepSweep, rateAndLambdaSweep, rateOnlySweep, syntheticHistory } from './fixtures.ts';

type Row = { series: string; x: number; lx: number; y: number; lo: number | null; hi: number | null; run: string; outlier: boolean };
type Panel = { title: { text: string }; data: { values: Row[] }; layer: { mark: unknown; encoding?: Record<string, { axis?: { labelExpr?: string }; title?: string }>; data?: { values: { level: number; label: string }[] }; layer?: unknown[] }[] };

const drawn = (outcomes: FigureOutcome[], prefix: string): DrawnFigure => {
  const figure = outcomes.find((o) => o.id.startsWith(prefix));
  assert.ok(figure, `no figure ${prefix}`);
  assert.equal(figure.kind, 'drawn', figure.kind === 'skipped' ? `${prefix} skipped: ${figure.reason}` : '');
  return figure as DrawnFigure;
};
const panels = (f: DrawnFigure): Panel[] => (f.spec.hconcat as Panel[]);
/** The trained points of a panel (its diverged outliers apart). */
const rowsOf = (p: Panel, series?: string) => p.data.values.filter((r) => (series === undefined || r.series === series) && r.run === '' && !r.outlier);
const outliersOf = (p: Panel, series?: string) => p.data.values.filter((r) => (series === undefined || r.series === series) && r.outlier);

test('Fig. 1b: one point per ε (λ = 0) and per λ (fixed ε) on one log₂ axis, error bars, the λ = 0 level, diverged points named', () => {
  const figure = drawn(buildFigures({ summaries: [rateAndLambdaSweep()] }), 'fig1b');
  const [p] = panels(figure);
  const eps = rowsOf(p!, 'original loss C (λ = 0), vs ε');
  const lambda = rowsOf(p!, 'modified loss C_mod, ε = 2^-9, vs λ');
  // ε = 2^-10..2^-3, but every run at 2^-3 diverged: 7 points; λ = 2^-10..2^-2 step 2: 5 points.
  assert.deepEqual(eps.map((r) => r.lx), [-10, -9, -8, -7, -6, -5, -4]);
  assert.deepEqual(lambda.map((r) => r.lx), [-10, -8, -6, -4, -2]);
  assert.ok([...eps, ...lambda].every((r) => r.lo !== null && r.hi !== null && Math.abs(r.hi - r.lo - 0.8) < 1e-9), 'error bars of ±0.4% (std 0.004 as percent)');
  assert.ok(Math.abs(eps.find((r) => r.lx === -6)!.y - 97.5) < 1e-9, 'accuracy in percent');
  const x = p!.layer[0]!.encoding!.x!;
  assert.equal(x.axis!.labelExpr, "'2^' + datum.value");
  const reference = p!.layer.find((l) => l.data)!.data!.values[0]!;
  assert.equal(reference.label, 'λ = 0 at ε = 2^-9');
  // ε = 2^-3 diverged (7/7): a marked outlier off the line, named in the caption.
  assert.deepEqual(outliersOf(p!, 'original loss C (λ = 0), vs ε').map((r) => r.lx), [-3]);
  assert.match(figure.caption, /Diverged .*: ε = 2\^-3 \(7\/7 runs diverged\)/);
  assert.match(figure.caption, /best 5 of 7/);
});

test('Fig. 1b SVG: 2^k tick labels, axis titles with units, both series in the legend', async () => {
  const figure = drawn(buildFigures({ summaries: [rateAndLambdaSweep()] }), 'fig1b');
  const svg = await renderSvg(figure.spec);
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
  for (const label of ['2^-10', '2^-6', '2^-2', 'test accuracy (%)', 'original loss C (λ = 0), vs ε', 'modified loss C_mod, ε = 2^-9, vs λ', 'λ = 0 at ε = 2^-9']) {
    assert.ok(texts.includes(label), `SVG lacks "${label}"; has ${texts.join(' | ')}`);
  }
  assert.ok(texts.some((t) => t.startsWith('learning rate ε')), 'x axis title');
  // 12 error bars: vega draws each as one <line> in the errorbar's rule mark group.
  const errorBarGroup = /<g class="mark-rule role-mark concat_0_layer_1_layer_2_marks"[^>]*>(.*?)<\/g>/s.exec(svg);
  assert.ok(errorBarGroup, 'error bar marks');
  assert.equal(errorBarGroup[1]!.match(/<line /g)?.length, 12);
});

test('the README tour\'s sweep (ε only, diverged at ε ≥ 1): no λ series anywhere, axes on the trained points, diverged points marked and named', async () => {
  const outcomes = buildFigures({ summaries: [rateOnlySweep()] });
  for (const prefix of ['fig1b', 'fig1c', 'fig2', 'fig5']) {
    const figure = drawn(outcomes, prefix);
    const spec = JSON.stringify(figure.spec);
    assert.doesNotMatch(spec, /NaN|C_mod/, `${prefix}: a phantom λ series`);
    assert.doesNotMatch(figure.caption, /Orange|NaN|Dotted/, `${prefix} caption names what is not drawn: ${figure.caption}`);
    assert.match(figure.caption, /Diverged .*: ε = 1 \(4\/5 runs diverged\), ε = 2 \(4\/5 runs diverged\)/);
    const svg = await renderSvg(figure.spec);
    assert.doesNotMatch(svg, />[^<]*(NaN|C_mod)[^<]*</, `${prefix} SVG`);
    for (const p of panels(figure)) {
      // Every trained point sits inside the y range, and the range is no wider than the trained points need.
      const yScale = (p.layer[0]!.encoding!.y as unknown as { scale: { domain: [number, number]; type?: string } }).scale;
      const trained = rowsOf(p).map((r) => r.y);
      const [low, high] = yScale.domain;
      const span = yScale.type === 'log' ? Math.log10(high / low) / Math.log10(Math.max(...trained) / Math.min(...trained)) : (high - low) / (Math.max(...trained) - Math.min(...trained) || 1);
      assert.ok(trained.every((y) => y >= low && y <= high), `${prefix} ${p.title.text}`);
      assert.ok(span < 2, `${prefix} ${p.title.text}: y range ${low}..${high} for trained points ${Math.min(...trained)}..${Math.max(...trained)}`);
      assert.equal(outliersOf(p).length > 0, true, `${prefix} ${p.title.text}: diverged points drawn`);
    }
  }
});

test('a sweep without batch or n-step axes yields no Fig. 3 or Fig. 4, and the page says why instead of drawing empty plots', () => {
  const outcomes = buildFigures({ summaries: [rateAndLambdaSweep()], loadHistory: syntheticHistory });
  const skipped = outcomes.filter((o) => o.kind === 'skipped');
  assert.deepEqual(skipped.map((o) => o.paper), ['Fig. 3', 'Fig. 4 / Fig. 7']);
  assert.match((skipped[0] as { reason: string }).reason, /batch-size axis/);
  assert.match((skipped[1] as { reason: string }).reason, /n-step axis/);
  const html = renderPage({ title: 't', intro: [], figures: [], skipped: skipped.map((s) => s as never) });
  assert.match(html, /Not drawn from these sweeps/);
  assert.match(html, /Fig\. 3<\/strong> \([^)]*\): needs a batch-size axis/);
});

test('Fig. 1a: best test accuracy over epochs for λ = 0 and the best λ at the same ε, from the run histories', () => {
  const summary = rateAndLambdaSweep();
  const figure = drawn(buildFigures({ summaries: [summary], loadHistory: syntheticHistory }), 'fig1a');
  const [p] = panels(figure);
  const series = [...new Set(p!.data.values.map((r) => r.series))];
  assert.deepEqual(series, ['C, ε = 2^-9', 'C_mod, ε = 2^-9, λ = 2^-6']);
  // 5 scored runs × 20 evaluations each, plus a 20-point mean, per series.
  for (const s of series) {
    assert.equal(p!.data.values.filter((r) => r.series === s && r.run !== '').length, 100);
    assert.equal(rowsOf(p!, s).length, 20);
  }
  const noHistories = buildFigures({ summaries: [summary] }).find((o) => o.id.startsWith('fig1a'))!;
  assert.equal(noHistories.kind, 'skipped');
});

test('Fig. 1c and Fig. 5: C_reg, train accuracy and train loss against ε and λ; C_reg spanning decades goes on a log scale', () => {
  const outcomes = buildFigures({ summaries: [rateAndLambdaSweep()] });
  const creg = panels(drawn(outcomes, 'fig1c'))[0]!;
  assert.equal((creg.layer[0]!.encoding!.y as unknown as { scale: { type?: string } }).scale.type, 'log');
  assert.equal(rowsOf(creg).length, 12);
  const fig5 = panels(drawn(outcomes, 'fig5'));
  assert.deepEqual(fig5.map((p) => p.title.text), ['(a) Final training accuracy', '(b) Final training loss']);
  assert.equal(rowsOf(fig5[0]!).length, 12);
});

test('Fig. 2: one panel per λ with two learning rates or more, test (solid) and train (dashed) accuracy', () => {
  const figure = drawn(buildFigures({ summaries: [rateAndLambdaSweep()] }), 'fig2');
  // λ > 0 exists only at ε = 2^-9 in this sweep, so only the λ = 0 panel has an ε axis.
  assert.deepEqual(panels(figure).map((p) => p.title.text), ['(a) λ = 0']);
  assert.ok(figure.notes.some((n) => /No λ > 0 panel/.test(n)));
  const grid: SweepSummary = { ...rateAndLambdaSweep(), points: [...rateAndLambdaSweep().points, ...rateAndLambdaSweep().points.filter((p) => p.point.lambda === 0).map((p) => ({ ...p, point: { ...p.point, lambda: 2 ** -6 } }))] };
  const both = drawn(buildFigures({ summaries: [grid] }), 'fig2');
  assert.deepEqual(panels(both).map((p) => p.title.text), ['(a) λ = 0', '(b) λ = 2^-6']);
  const [a] = panels(both);
  assert.equal(rowsOf(a!, 'train (final)').length, 7);
  assert.equal(rowsOf(a!, 'test (test accuracy)').length, 7);
});

test('Fig. 3: test accuracy against ε/B and λ/B, one line per batch size; other sweeps in the pool do not leak in', () => {
  const figure = drawn(buildFigures({ summaries: [rateAndLambdaSweep(), batchSweep()] }), 'fig3');
  const [rate, coefficient] = panels(figure);
  assert.deepEqual([...new Set(rowsOf(rate!).map((r) => r.series))], ['B = 8', 'B = 16', 'B = 32']);
  assert.equal(rowsOf(rate!).length, 18);
  const b16 = rowsOf(rate!, 'B = 16');
  assert.deepEqual(b16.map((r) => r.lx), [-13, -12, -11, -10, -9, -8], 'x = log2(ε/B)');
  assert.equal(rowsOf(coefficient!).length, 9);
  assert.deepEqual(rowsOf(coefficient!, 'B = 8').map((r) => r.lx), [-11, -9, -7], 'x = log2(λ/B)');
  // Fig. 1b comes from the sweep made for it, not from the batch sweep's B = 16 points.
  const fig1b = panels(drawn(buildFigures({ summaries: [rateAndLambdaSweep(), batchSweep()] }), 'fig1b'))[0]!;
  assert.equal(rowsOf(fig1b, 'original loss C (λ = 0), vs ε').length, 7);
});

test('Fig. 4/7: accuracy against α per n at a fixed epoch budget and a fixed number of updates, best over α against the budget, and against ε = nα', () => {
  const figure = drawn(buildFigures({ summaries: [nStepSweep(), rateAndLambdaSweep()] }), 'fig4');
  const ps = panels(figure);
  assert.deepEqual(ps.map((p) => p.title.text), ['(a) 32 epochs', '(b) 2000 updates', '(c) best over α', '(d) 32 epochs, against ε = nα']);
  // n = 1, 2, 4 stable for α ≤ 2^-3, 2^-4, 2^-5: 6 + 5 + 4 points.
  assert.equal(rowsOf(ps[0]!).length, 15);
  assert.deepEqual(rowsOf(ps[2]!, 'n = 1').map((r) => r.x), [8, 16, 32], 'the epoch budgets of the n-step sweep only');
  assert.deepEqual(rowsOf(ps[3]!, 'n = 4').map((r) => r.lx), [-6, -5, -4, -3], 'ε = 4α');
  assert.match(figure.caption, /Diverged .*n = 4, α = 2\^-4 \(7\/7 runs diverged\)/, 'diverged settings are named');
  assert.equal(outliersOf(ps[0]!).length, 3, 'n = 1, 2, 4 diverge at α = 2^-2.. (0, 1, 2 points): drawn as outliers');
});

test('coordinates: "2^-9" strings, derived axes lrPerBatch/lambdaPerBatch/updates, budgets from the base config', () => {
  const base = rateAndLambdaSweep();
  const point = base.points[0]!;
  const settings = settingsOf({
    ...base,
    base: { batch: 16, epochs: 40 },
    points: [
      { ...point, point: { lr: '2^-9', lambda: '2^-6' } },
      { ...point, point: { lrPerBatch: 2 ** -12, batch: 32 }, effectiveLr: 2 ** -7 },
      { ...point, point: { lambdaPerBatch: 2 ** -10, batch: 8, lr: 2 ** -9, nStep: 2, updates: 4000 } },
    ],
  });
  assert.deepEqual(settings.map((s) => [s.lr, s.lambda, s.batch, s.budget]), [
    [2 ** -9, 2 ** -6, 16, { unit: 'epochs', value: 40 }],
    [2 ** -7, 0, 32, { unit: 'epochs', value: 40 }],
    [2 ** -9, 2 ** -7, 8, { unit: 'updates', value: 4000 }],
  ]);
  assert.equal(settings[0]!.sweepVaries.batch, true);
  assert.throws(() => settingsOf({ ...base, points: [{ ...point, point: { lr: 'fast' } }] }), /lr="fast" is not a number/);
});
