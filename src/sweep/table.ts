// The aggregated table of a sweep as text: one row per grid point, the paper's score and the
// metrics the figures plot, with rates written as powers of two like the paper writes them.

import type { PointSummary, SweepSummary } from './summary.ts';
import { formatAxisValue } from './spec.ts';

const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(1)}%`);
/** 4 significant digits; outside [1e-4, 1e6) in exponent form, so that 1.169e+20 never prints as 21 digits. */
export function num(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  const rounded = Number(x.toPrecision(4));
  const size = Math.abs(rounded);
  if (size !== 0 && (size >= 1e6 || size < 1e-4)) return rounded.toExponential(3).replace(/\.?0+e/, 'e');
  return String(rounded);
}

/** Accuracies as percentages, everything else as numbers. */
function formatMetric(name: string, x: number | undefined): string {
  return /acc/.test(name) ? pct(x) : num(x);
}

export function summaryTable(summary: SweepSummary): string {
  const axisNames = summary.axes.map((a) => a.name);
  const { metric, best, of } = summary.scoring;
  // ε is the rate that updates apply (nα for n-step SGD); a column of its own only where it is not the lr axis.
  const showEpsilon = !axisNames.includes('lr') || summary.points.some((p) => p.effectiveLr !== p.point.lr);
  const header = [...axisNames.map((a) => (a === 'lr' && !showEpsilon ? 'lr = ε' : a)), ...(showEpsilon ? ['ε'] : []), 'runs', 'finished', 'diverged', 'failed', `${metric} (best ${best} of ${of})`, 'train acc', 'test acc', 'C_reg'];
  const rows = summary.points.map((p: PointSummary) => [
    ...axisNames.map((a) => (p.point[a] === undefined ? '' : formatAxisValue(p.point[a]!))),
    ...(showEpsilon ? [formatAxisValue(p.effectiveLr)] : []),
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
