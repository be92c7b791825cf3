// The panel building block: y ranges fit the trained points (a diverged or non-finite point never sets
// them and is drawn on the edge instead), series without points have no legend entry, figures fill the page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIGURE_WIDTH, figureSpec, panel, trainedDomain, type PanelOptions, type SeriesPoint } from '../../src/report/charts.ts';
import { renderSvg, svgSize } from '../../src/report/index.ts';

type Row = { series: string; lx: number; y: number; value: number; outlier: boolean };
type Scale = { domain?: [number, number]; nice?: boolean };
type Layer = { mark: unknown; transform?: { filter?: unknown }[]; encoding?: { y?: { scale?: Scale }; color?: { scale: { domain: string[]; range: string[] }; legend?: unknown }; shape?: { scale: { range: string[] } } } };

/** Accuracy against ε with a peak near 98.4%, and ε = 1 and 2 diverged (one at chance, one NaN). */
const accuracy: SeriesPoint[] = [
  ...[-6, -5, -4, -3, -2, -1].map((e) => ({ series: 'ε', x: 2 ** e, y: 98.4 - 0.1 * (e + 2) ** 2, std: 0.2 })),
  { series: 'ε', x: 1, y: 10, diverged: true },
  { series: 'ε', x: 2, y: Number.NaN },
];
const options = (points: SeriesPoint[], extra: Partial<PanelOptions> = {}): PanelOptions => ({
  title: 't', xTitle: 'ε', yTitle: 'test accuracy (%)', xLabels: 'power', seriesTitle: 'training', seriesOrder: ['ε', 'λ'], points, ...extra,
});
const rows = (spec: Record<string, unknown>) => (spec.data as { values: Row[] }).values;
const layers = (spec: Record<string, unknown>) => spec.layer as Layer[];

test('trainedDomain: a point flagged diverged, NaN or Inf never sets the y range; error bars and the reference level do', () => {
  const [low, high] = trainedDomain(accuracy)!;
  assert.ok(low > 96 && low < 97.2 && high > 98.6 && high < 99, `domain ${low}..${high}`);
  assert.deepEqual(trainedDomain([...accuracy, { series: 'ε', x: 4, y: Number.POSITIVE_INFINITY }]), [low, high]);
  const [, withReference] = trainedDomain(accuracy, { reference: 99.5 })!;
  assert.ok(withReference > 99.5);
  // On a log axis the padding is in decades, and the blown-up C_reg of a diverged run is ignored.
  const [logLow, logHigh] = trainedDomain([{ series: 'c', x: 1, y: 1e-3 }, { series: 'c', x: 2, y: 1 }, { series: 'c', x: 4, y: 2e24, diverged: true }], { logY: true })!;
  assert.ok(logLow < 1e-3 && logLow > 5e-4 && logHigh > 1 && logHigh < 2, `${logLow}..${logHigh}`);
  assert.equal(trainedDomain([{ series: 'c', x: 1, y: Number.NaN }]), undefined);
});

test('panel: diverged points sit on the bottom edge as marked outliers, off the line, and the rendered y axis spans only the trained points', async () => {
  const spec = panel(options(accuracy));
  const domain = trainedDomain(accuracy)!;
  const outliers = rows(spec).filter((r) => r.outlier);
  assert.deepEqual(outliers.map((r) => [r.lx, r.y]), [[0, domain[0]], [1, domain[0]]]);
  assert.deepEqual(outliers.map((r) => r.value), [10, Number.NaN], 'the measured value stays for the tooltip');
  const [line] = layers(spec);
  assert.deepEqual(line!.encoding!.y!.scale, { zero: false, domain, nice: false });
  assert.ok(JSON.stringify(line!.transform).includes('!datum.outlier'), 'the line joins trained points only');
  const marker = layers(spec).find((l) => l.encoding?.shape);
  assert.deepEqual(marker?.encoding?.shape?.scale.range, ['triangle-down']);
  const svg = await renderSvg(figureSpec([spec]));
  const ticks = [...svg.matchAll(/>(\d+(?:\.\d+)?)<\/text>/g)].map((m) => Number(m[1])).filter((v) => v >= 5 && v <= 100);
  assert.ok(ticks.length >= 3 && ticks.every((v) => v >= 96), `y ticks ${ticks.join(', ')}: a diverged point set the axis`);
  assert.match(svg, /diverged \(most runs\): at the bottom edge/);
  assert.doesNotMatch(svg, /NaN/);
  // Quantities that blow up put their diverged points on the top edge.
  const top = panel(options(accuracy, { divergedEdge: 'top' }));
  assert.ok(rows(top).filter((r) => r.outlier).every((r) => r.y === domain[1]));
});

test('panel: a series without points has no legend entry, and the others keep their colours', () => {
  const spec = panel(options([{ series: 'λ', x: 1, y: 1 }, { series: 'λ', x: 2, y: 2 }]));
  const color = layers(spec)[0]!.encoding!.color!.scale;
  assert.deepEqual(color.domain, ['λ']);
  assert.deepEqual(color.range, ['#ff7f0e'], 'λ stays orange without ε');
  assert.equal(layers(spec).some((l) => l.encoding?.shape), false, 'no diverged legend entry without diverged points');
});

test('figures are about FIGURE_WIDTH wide, whatever their number of panels', async () => {
  for (const count of [1, 2, 3]) {
    const svg = await renderSvg(figureSpec(Array.from({ length: count }, () => panel(options(accuracy)))));
    const { width } = svgSize(svg);
    assert.ok(width > 0.9 * FIGURE_WIDTH && width < 1.15 * FIGURE_WIDTH, `${count} panel(s): ${width} px`);
  }
});
