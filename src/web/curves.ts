// The training view's five charts as data, from the page state: which series each draws, which of them
// diverged (so that they never set a y range), and the accuracy chart's axis (full, or zoomed to the data).

import type { ChartSpec, Series } from './charts.ts';
import { runName, type PageState, type RunState } from './page-state.ts';
import { describeRun } from './settings.ts';

/** The accuracy chart's y axis: 0–100%, or zoomed to the later half of training, where the runs differ by a point or two. */
export const ACCURACY_AXES = { zoom: 'zoom: later half', full: '0–100%' } as const;
export type AccuracyAxis = keyof typeof ACCURACY_AXES;

/** Chart id in the page → its spec (without the x axis, which every chart shares). */
export type ChartSpecs = Record<'chart-accuracy' | 'chart-loss' | 'chart-batch' | 'chart-creg' | 'chart-gradnorm', Omit<ChartSpec, 'xDomain' | 'xLabel'>>;

/** At most `limit` points: means over consecutive groups, so the curve of 1500 batch costs stays readable. */
export function thin(points: [number, number][], limit: number): [number, number][] {
  if (points.length <= limit) return points;
  const group = Math.ceil(points.length / limit);
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += group) {
    const slice = points.slice(i, i + group);
    out.push([slice[slice.length - 1]![0], slice.reduce((s, p) => s + p[1], 0) / slice.length]);
  }
  return out;
}

type StartedRunState = RunState & { started: NonNullable<RunState['started']> };

/** "A (ε=2^-8 B=16)", and "A (…) diverged at step 37" once it has. */
export const runLabel = (run: StartedRunState, index: number): string =>
  `${runName(index)} (${describeRun(run.started.run)})${run.status.state === 'diverged' ? ` diverged at step ${run.status.divergedAtStep}` : ''}`;

export function chartSpecs(state: PageState, colors: readonly string[], accuracyAxis: AccuracyAxis): ChartSpecs {
  const active = state.runs.flatMap((r, index) => (r.started ? [{ run: r as StartedRunState, index }] : []));
  const series = (run: StartedRunState, index: number, label: string, points: [number, number][], dashed = false): Series => ({
    label, color: colors[index]!, dashed, points, ...(run.status.state === 'diverged' ? { diverged: true } : {}),
  });
  const metric = (key: string, dashed = false) => ({ run, index }: { run: StartedRunState; index: number }): Series =>
    series(run, index, `${runLabel(run, index)} ${key}`, run.history.filter((h) => h.metrics[key] !== undefined).map((h) => [h.epoch, h.metrics[key]!]), dashed);
  // Zoomed: the y range of the later half of the epochs evaluated so far (the early climb from chance is clipped).
  const lastEpoch = Math.max(0, ...active.flatMap(({ run }) => run.history.map((h) => h.epoch)));
  const accuracy = accuracyAxis === 'full' ? { yDomain: [0, 1] as [number, number] } : { yFitFrom: lastEpoch / 2 };
  return {
    'chart-accuracy': {
      title: 'accuracy: train (solid), test (dashed)', yLabel: accuracyAxis === 'zoom' ? 'accuracy (zoomed)' : 'accuracy', ...accuracy,
      series: [...active.map(metric('train_acc')), ...active.map(metric('test_acc', true))],
    },
    'chart-loss': { title: 'C: train (solid), test (dashed)', yLabel: 'C', logY: true, series: [...active.map(metric('train_loss')), ...active.map(metric('test_loss', true))] },
    'chart-batch': {
      title: 'batch cost Ĉ_k at every step', yLabel: 'Ĉ_k', logY: true,
      series: active.map(({ run, index }) => series(run, index, runLabel(run, index), thin(run.losses, 300).map(([s, l]) => [s / run.started.m, l] as [number, number]))),
    },
    'chart-creg': { title: 'C_reg = (1/4m) Σ_k ‖∇Ĉ_k‖²', yLabel: 'C_reg', logY: true, series: active.map(metric('c_reg')) },
    'chart-gradnorm': { title: '‖∇C‖²', yLabel: '‖∇C‖²', logY: true, series: active.map(metric('grad_norm_sq')) },
  };
}
