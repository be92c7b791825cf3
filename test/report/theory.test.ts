// Slope plots of `sgdlab verify --json`: measured errors and the fitted power law on log-log axes,
// one panel per model, identity checks listed as not drawn, malformed JSON rejected in one line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTheoryFigures, parseTheoryJson, renderSvg, writeTheoryReport, type DrawnFigure } from '../../src/report/index.ts';

const EPSILONS = [2 ** -3, 2 ** -4, 2 ** -5, 2 ** -6, 2 ** -7];

/** Like src/theory's resultsToJson: exact power laws, the smallest ε unresolved (left out of the fit). */
function gdCheck(model: string) {
  return {
    name: 'gd',
    model,
    slopes: { plain: 2, modified: 3 },
    expected: { plain: 2, modified: 3 },
    pass: true,
    verdict: 'GD step vs flow of C: slope 2.00 (theory 2)',
    points: EPSILONS.map((epsilon, i) => ({ epsilon, plain: 0.5 * epsilon ** 2, modified: 0.1 * epsilon ** 3, integratorRatio: i === 4 ? 0.5 : 1e-6, resolved: i === 4 ? 0 : 1 })),
  };
}
const THEORY_JSON = {
  checks: [
    gdCheck('quadratic'),
    gdCheck('logistic'),
    { name: 'n-step', model: 'quadratic', n: 2, slopes: { plain: 2, modified: 3, plainSgdModified: null }, pass: true, verdict: 'n=2', points: EPSILONS.map((epsilon) => ({ epsilon, plain: epsilon ** 2, modified: epsilon ** 3, plainSgdModified: null })) },
    { name: 'appendix-a', model: 'quadratic', maxRelError: 1e-14, pass: true, verdict: 'identity', points: [{ batchSize: 1, enumerated: 1, formula: 1, relError: 0 }] },
  ],
  pass: true,
};

test('one figure per check (and n), one panel per model; the identity check is listed as not drawn', () => {
  const outcomes = buildTheoryFigures(parseTheoryJson(THEORY_JSON));
  assert.deepEqual(outcomes.map((o) => [o.id, o.kind]), [['theory-gd', 'drawn'], ['theory-n-step-n-2', 'drawn'], ['theory-appendix-a', 'skipped']]);
  const gd = outcomes[0] as DrawnFigure;
  const panels = gd.spec.hconcat as { title: { text: string }; data: { values: { series: string; x: number; y: number; lx: number }[] } }[];
  assert.deepEqual(panels.map((p) => p.title.text), ['quadratic — pass', 'logistic — pass']);
  const rows = panels[0]!.data.values;
  assert.equal(rows.filter((r) => r.series === 'vs flow of C').length, 5);
  // The fitted line spans the resolved ε only and lies on the exact power law.
  const fit = rows.filter((r) => r.series === 'vs modified flow: fitted slope 3.00 (theory 3)');
  assert.deepEqual(fit.map((r) => r.x), [2 ** -6, 2 ** -3]);
  for (const r of fit) assert.ok(Math.abs(r.y / (0.1 * r.x ** 3) - 1) < 1e-12);
  // An entry that states no expected slopes (JSON of an older sgdlab) gets no theory note, never a guessed one.
  const { expected: _dropped, ...older } = gdCheck('quadratic');
  const olderPanel = ((buildTheoryFigures(parseTheoryJson({ checks: [older] }))[0] as DrawnFigure).spec.hconcat as typeof panels)[0]!;
  assert.ok(olderPanel.data.values.some((r) => r.series === 'vs modified flow: fitted slope 3.00'));
  // null (NaN in src/theory) errors are left out rather than drawn at zero.
  const nStep = (outcomes[1] as DrawnFigure).spec.hconcat as { data: { values: { series: string }[] } }[];
  assert.ok(!nStep[0]!.data.values.some((r) => r.series.includes('plain-SGD')));
});

test('momentum checks get one figure per β, with an ASCII id and the momentum caption', () => {
  const momentum = (beta: number) => ({ ...gdCheck('linear'), name: 'gd-momentum', beta });
  const outcomes = buildTheoryFigures(parseTheoryJson({ checks: [momentum(0), momentum(0.5), { ...momentum(0.5), model: 'mlp' }] }));
  assert.deepEqual(outcomes.map((o) => [o.id, o.paper]), [['theory-gd-momentum-beta-0', 'verify gd-momentum (β = 0)'], ['theory-gd-momentum-beta-0-5', 'verify gd-momentum (β = 0.5)']]);
  const second = outcomes[1] as DrawnFigure;
  assert.equal((second.spec.hconcat as unknown[]).length, 2);
  assert.match(second.caption, /momentum-free point z = w − ηβv/);
});

/** An Adam/RMSProp entry shaped like src/theory/adam-checks.ts's: exact power laws in h, and the slopes the check says to expect. */
function adaptiveCheck(name: 'adam' | 'rmsprop', model: string, beta1: number, beta2: number, epsRegime: 'small' | 'large', expected: Record<string, number>) {
  const exponents: Record<string, number> = { plain: 2, modified: 3, withoutEpsilonTerm: 2.4, flippedOneNorm: 2, fromRest: name === 'adam' ? 2 : 1, ...(name === 'adam' ? { fromRestCorrected: 3 } : {}) };
  return {
    name,
    model,
    beta1,
    beta2,
    eps: epsRegime === 'small' ? 0.0625 : 625,
    epsRegime,
    steps: Math.ceil(1 / (1 - beta2) - 1e-9),
    slopes: exponents,
    expected,
    pass: true,
    verdict: `${name} ${beta1} ${beta2} ${epsRegime}`,
    points: EPSILONS.map((epsilon) => ({ epsilon, time: epsilon, ...Object.fromEntries(Object.entries(exponents).map(([k, p]) => [k, epsilon ** p])), integratorRatio: 1e-6, resolved: 1 })),
  };
}
const ADAM_EXPECTED = { plain: 2, modified: 3, flippedOneNorm: 2, fromRest: 2, fromRestCorrected: 3 };
const RMSPROP_EXPECTED = { plain: 2, modified: 3, flippedOneNorm: 2, fromRest: 1 };
type Panel = { title: { text: string }; height: number; data: { values: { series: string; x: number; y: number }[] }; layer: { encoding?: { color?: { legend?: { values?: string[]; legendY?: unknown } } } }[] };
/** The figure's panels as rows of its grid (`columns` panels a row). */
function gridOf(figure: DrawnFigure): Panel[][] {
  const panels = figure.spec.concat as Panel[];
  const columns = figure.spec.columns as number;
  return Array.from({ length: Math.ceil(panels.length / columns) }, (_, i) => panels.slice(i * columns, (i + 1) * columns));
}
const fitNames = (p: Panel) => [...new Set(p.data.values.map((r) => r.series).filter((s) => s.includes('fitted slope')))];

test('Adam/RMSProp: one figure per (β₁, β₂), a row per ε̂ regime and a panel per model; the legend\'s theory slope is the entry\'s own', () => {
  const checks = [];
  for (const beta1 of [0, 0.9]) {
    for (const beta2 of [0.9, 0.999]) {
      for (const regime of ['small', 'large'] as const) {
        for (const model of ['linear', 'mlp']) {
          // ε̂ large: the theory predicts A6 without its ε̂ term at slope 2; ε̂ small: no slope (the entry leaves it out).
          checks.push(adaptiveCheck('adam', model, beta1, beta2, regime, regime === 'large' ? { ...ADAM_EXPECTED, withoutEpsilonTerm: 2 } : ADAM_EXPECTED));
        }
      }
    }
  }
  for (const regime of ['small', 'large'] as const) for (const model of ['linear', 'mlp']) checks.push(adaptiveCheck('rmsprop', model, 0, 0.99, regime, RMSPROP_EXPECTED));
  // One entry states a slope no table holds: the legend must show it, so a slope taken from anywhere else fails here.
  checks[1] = adaptiveCheck('adam', 'mlp', 0, 0.9, 'small', { ...ADAM_EXPECTED, plain: 7 });
  const outcomes = buildTheoryFigures(parseTheoryJson({ checks })) as DrawnFigure[];
  assert.deepEqual(outcomes.map((o) => [o.id, o.paper, o.kind]), [
    ['theory-adam-beta1-0-beta2-0-9', 'verify adam (β₁ = 0, β₂ = 0.9)', 'drawn'],
    ['theory-adam-beta1-0-beta2-0-999', 'verify adam (β₁ = 0, β₂ = 0.999)', 'drawn'],
    ['theory-adam-beta1-0-9-beta2-0-9', 'verify adam (β₁ = 0.9, β₂ = 0.9)', 'drawn'],
    ['theory-adam-beta1-0-9-beta2-0-999', 'verify adam (β₁ = 0.9, β₂ = 0.999)', 'drawn'],
    ['theory-rmsprop-alpha-0-99', 'verify rmsprop (α = 0.99)', 'drawn'],
  ]);
  const adam = outcomes[3]!;
  assert.equal((adam.spec.title as { text: string }).text, 'adam, β₁ = 0.9, β₂ = 0.999, K = 1000 steps per measurement');
  assert.deepEqual(gridOf(adam).map((row) => row.map((p) => p.title.text)), [
    ['linear, ε̂ small (6.3e-2) — pass', 'mlp, ε̂ small (6.3e-2) — pass'],
    ['linear, ε̂ large (6.3e+2) — pass', 'mlp, ε̂ large (6.3e+2) — pass'],
  ]);
  const [[small], [large]] = gridOf(adam) as [[Panel], [Panel]];
  assert.deepEqual(fitNames(large), [
    'vs flow of −P∇C: fitted slope 2.00 (theory 2)',
    'vs modified flow (Eq. A6): fitted slope 3.00 (theory 3)',
    'vs A6 without its ε̂P³ term: fitted slope 2.40 (theory 2)',
    "vs A6, one-norm's sign flipped: fitted slope 2.00 (theory 2)",
    'from rest (m₀ = v₀ = 0) vs A6: fitted slope 2.00 (theory 2)',
    'from rest, less the shift of Eq. A10: fitted slope 3.00 (theory 3)',
  ]);
  assert.ok(fitNames(small).includes('vs A6 without its ε̂P³ term: fitted slope 2.40 (no theory slope)'));
  // One legend entry per comparison: the fitted line's, whose colour the points share.
  for (const layer of small.layer) {
    if (!layer.encoding?.color?.legend) continue;
    assert.deepEqual(layer.encoding.color.legend.values, fitNames(small));
    // Under the plot: a wrapped grid has no `height` signal for charts.ts's expression, so the figure fixes it.
    assert.equal(layer.encoding.color.legend.legendY, small.height + 46);
  }
  assert.ok(fitNames(gridOf(outcomes[0]!)[0]![1]!).includes('vs flow of −P∇C: fitted slope 2.00 (theory 7)'));
  // RMSProp from rest without bias correction: slope 1 by its entry, not the 2 of Adam from rest.
  const rmsprop = outcomes[4]!;
  assert.match((rmsprop.spec.title as { text: string }).text, /^rmsprop, α = β₂ = 0\.99 \(β₁ = 0, no bias correction\), K = 100 steps/);
  for (const p of gridOf(rmsprop).flat()) assert.ok(fitNames(p).includes('from rest (m₀ = v₀ = 0) vs A6: fitted slope 1.00 (theory 1)'), p.title.text);
  assert.match(rmsprop.caption, /Rows: ε̂ small and large .* columns: models/);
  assert.deepEqual(rmsprop.notes, ['linear, ε̂ small: rmsprop 0 0.99 small', 'mlp, ε̂ small: rmsprop 0 0.99 small', 'linear, ε̂ large: rmsprop 0 0.99 large', 'mlp, ε̂ large: rmsprop 0 0.99 large']);
});

test('Adam/RMSProp: an entry whose h is out of reach is drawn as undecided, not failed; one model puts the ε̂ regimes side by side', () => {
  const reached = adaptiveCheck('rmsprop', 'linear', 0, 0.999, 'small', RMSPROP_EXPECTED);
  const unreached = { ...adaptiveCheck('rmsprop', 'linear', 0, 0.999, 'large', RMSPROP_EXPECTED), pass: false, outOfReach: 'only 3 of 5 values of h resolved above RK4/round-off error (need 4)' };
  const [figure] = buildTheoryFigures(parseTheoryJson({ checks: [reached, unreached] })) as [DrawnFigure];
  assert.deepEqual(gridOf(figure).map((row) => row.map((p) => p.title.text)), [['linear, ε̂ small (6.3e-2) — pass', 'linear, ε̂ large (6.3e+2) — h out of reach']]);
  assert.match(figure.notes[1]!, /^linear, ε̂ large: h out of reach \(only 3 of 5 values of h resolved/);
  assert.match(figure.caption, /Panels: ε̂ small and large/);
  assert.match(figure.caption, /undecided, not failed/);
});

test('Adam slope plot SVG: the figure title names β₁ and β₂, the panels ε̂, the legend the predicted slopes', async () => {
  const checks = (['small', 'large'] as const).map((regime) => adaptiveCheck('adam', 'logistic', 0.5, 0.99, regime, ADAM_EXPECTED));
  const svg = await renderSvg((buildTheoryFigures(parseTheoryJson({ checks }))[0] as DrawnFigure).spec);
  for (const label of ['adam, β₁ = 0.5, β₂ = 0.99, K = 100 steps per measurement', 'logistic, ε̂ large (6.3e+2) — pass', 'step h (log scale, base 2)', 'from rest, less the shift of Eq. A10: fitted slope 3.00 (theory 3)']) {
    assert.ok(svg.includes(`>${label}<`), label);
  }
  assert.ok(!svg.includes('>from rest (m₀ = v₀ = 0) vs A6<'), 'measured points have no legend entry of their own');
});

test('slope plot SVG: log-log axes with 2^k ticks on ε and the fitted slopes in the legend', async () => {
  const gd = buildTheoryFigures(parseTheoryJson(THEORY_JSON))[0] as DrawnFigure;
  const svg = await renderSvg(gd.spec);
  for (const label of ['2^-5', 'vs flow of C: fitted slope 2.00 (theory 2)', 'learning rate ε (log scale, base 2)']) assert.ok(svg.includes(`>${label}<`), label);
});

test('writeTheoryReport writes the page; malformed JSON is one clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-theory-'));
  const report = await writeTheoryReport(THEORY_JSON, dir, { png: false });
  assert.equal(report.figures.length, 2);
  assert.match(readFileSync(report.htmlPath, 'utf8'), /appendix-a/);
  assert.throws(() => parseTheoryJson({ results: [] }), /theory JSON: expected an object \{"checks": \[\.\.\.\]\}/);
  assert.throws(() => parseTheoryJson({ checks: [{ name: 'gd' }] }), /checks\[0\] needs a name, a model and points/);
});
