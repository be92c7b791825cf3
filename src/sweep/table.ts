// The aggregated table of a sweep as text: one row per grid point, the paper's score and the
// metrics the figures plot, with rates written as powers of two like the paper writes them.

import type { PointSummary, SweepSummary } from './summary.ts';
import { formatAxisValue } from './spec.ts';

const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : Number(x.toPrecision(4)).toString());

/** Accuracies as percentages, everything else as numbers. */
function formatMetric(name: string, x: number | undefined): string {
  return /acc/.test(name) ? pct(x) : num(x);
}

export function summaryTable(summary: SweepSummary): string {
  const axisNames = summary.axes.map((a) => a.name);
  const { metric, best, of } = summary.scoring;
  const header = [...axisNames, 'ε', 'runs', 'finished', 'diverged', 'failed', `${metric} (best ${best} of ${of})`, 'train acc', 'test acc', 'C_reg'];
  const rows = summary.points.map((p: PointSummary) => [
    ...axisNames.map((a) => (p.point[a] === undefined ? '' : formatAxisValue(p.point[a]!))),
    formatAxisValue(p.effectiveLr),
    String(p.runs),
    String(p.finished),
    String(p.diverged),
    String(p.failed),
    p.score === null ? '—' : `${formatMetric(metric, p.score.mean)} ± ${formatMetric(metric, p.score.std)}${p.scored < best ? ` (${p.scored})` : ''}`,
    formatMetric('train_acc', p.metrics.train_acc?.mean),
    formatMetric('test_acc', p.metrics.test_acc?.mean),
    num(p.metrics.c_reg?.mean),
  ]);
  const cells = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < axisNames.length ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `sweep ${summary.sweepId} (${summary.name}): ${summary.points.length} points; score = mean of the best ${best} of ${of} runs by ${metric}; (n) = fewer runs scored`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
  ].join('\n');
}
