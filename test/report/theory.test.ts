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
