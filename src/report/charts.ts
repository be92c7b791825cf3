// Vega-Lite building blocks shared by every figure: a panel of lines over a log₂ x axis with error bars,
// an optional dotted reference level, and the page-wide look (fonts, sizes, one legend per panel).

import { log2TickLabels } from './log2.ts';

/** A Vega-Lite spec as plain JSON; vega-lite validates it when it compiles. */
export type VegaLiteSpec = Record<string, unknown>;

export interface SeriesPoint {
  series: string;
  /** The x value itself (a rate, a ratio, a budget); it is plotted at log₂(x). */
  x: number;
  y: number;
  /** One standard deviation; drawn as an error bar when > 0. */
  std?: number;
  /** Extra lines for the tooltip (e.g. runs scored, how many diverged). */
  detail?: string;
  /** Lines of individual runs (Fig. 1a) name their run here; points of one series otherwise share "". */
  run?: string;
}

export interface PanelOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  xLabels: 'power' | 'plain';
  /** x is not a power of two (e.g. epochs during training): plot it on a linear axis. */
  xLinear?: boolean;
  yScale?: 'linear' | 'log';
  /** Legend title, e.g. "batch size B". */
  seriesTitle: string;
  /** Legend order; also fixes colours across panels of one figure. */
  seriesOrder: string[];
  points: SeriesPoint[];
  /** A dotted horizontal level, e.g. the λ = 0 run at the same ε. */
  reference?: { y: number; label: string };
  /** Series drawn dashed (e.g. train accuracy next to test accuracy). */
  dashedSeries?: string[];
  /** Draw individual runs thin and faint (they carry `run`). */
  faintRuns?: boolean;
  /** Colours in series order, when series should share colours (a measurement and its fitted line). */
  colors?: string[];
  /** Series drawn as lines without point markers (fitted lines). */
  markerless?: string[];
}

export const PANEL_WIDTH = 300;
export const PANEL_HEIGHT = 210;

/** The paper's colours: blue for ε (or the first series), orange for λ, then the rest of Tableau 10. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Error bars on a log axis cannot reach zero; stop them at a tenth of the mean instead. */
function errorBarLow(y: number, std: number, logScale: boolean): number {
  const low = y - std;
  return logScale && low <= 0 ? y / 10 : low;
}

export function panel(options: PanelOptions): VegaLiteSpec {
  const logY = options.yScale === 'log';
  const rows = options.points
    .filter((p) => Number.isFinite(p.y) && Number.isFinite(p.x) && p.x > 0 && (!logY || p.y > 0))
    .map((p) => ({
      series: p.series,
      run: p.run ?? '',
      x: p.x,
      lx: options.xLinear ? p.x : Math.log2(p.x),
      y: p.y,
      lo: p.std !== undefined && p.std > 0 ? errorBarLow(p.y, p.std, logY) : null,
      hi: p.std !== undefined && p.std > 0 ? p.y + p.std : null,
      std: p.std ?? 0,
      detail: p.detail ?? '',
    }));
  const color = {
    field: 'series',
    type: 'nominal',
    title: options.seriesTitle,
    scale: { domain: options.seriesOrder, range: options.colors ?? PALETTE.slice(0, Math.max(1, options.seriesOrder.length)) },
    // Placed under the plot's left edge: vega centres 'bottom' legends on its estimate of their width, which
    // pushes the plot right and leaves a blank margin when labels are long.
    legend: { orient: 'none', legendX: 0, legendY: PANEL_HEIGHT + 46, direction: 'vertical', labelLimit: 400, titleLimit: 400 },
  };
  // Explicit ticks at every k-th power of two: at 300 px, more than about eight 2^k labels collide.
  const exponents = rows.map((r) => r.lx);
  const low = Math.ceil(Math.min(...exponents));
  const high = Math.floor(Math.max(...exponents));
  const tickStep = Math.max(1, Math.ceil((high - low) / 7));
  const tickValues = rows.length > 0 && !options.xLinear ? Array.from({ length: Math.floor((high - low) / tickStep) + 1 }, (_, i) => low + i * tickStep) : undefined;
  const x = {
    field: 'lx',
    type: 'quantitative',
    title: options.xTitle,
    scale: { zero: false, nice: false, padding: 12 },
    axis: options.xLinear ? { tickMinStep: 1 } : { labelExpr: log2TickLabels(options.xLabels), labelFlush: false, ...(tickValues ? { values: tickValues } : { tickMinStep: 1 }) },
  };
  // Log axes over many decades: 1e-6 rather than 0.000001.
  const y = { field: 'y', type: 'quantitative', title: options.yTitle, scale: logY ? { type: 'log' } : { zero: false }, ...(logY ? { axis: { format: '.0e' } } : {}) };
  const dashed = options.dashedSeries ?? [];
  const strokeDash = dashed.length > 0
    ? { field: 'series', type: 'nominal', legend: null, scale: { domain: options.seriesOrder, range: options.seriesOrder.map((s) => (dashed.includes(s) ? [5, 3] : [1, 0])) } }
    : undefined;
  const tooltip = [
    { field: 'series', type: 'nominal', title: options.seriesTitle },
    { field: 'x', type: 'quantitative', title: 'x', format: '.4~g' },
    { field: 'y', type: 'quantitative', title: 'mean', format: '.4~g' },
    { field: 'std', type: 'quantitative', title: 'std', format: '.2~g' },
    { field: 'detail', type: 'nominal', title: 'runs' },
  ];
  const lineEncoding = {
    x,
    y,
    color,
    detail: { field: 'run', type: 'nominal' },
    ...(strokeDash ? { strokeDash } : {}),
    ...(options.faintRuns ? { opacity: { condition: { test: "datum.run !== ''", value: 0.25 }, value: 1 } } : {}),
    tooltip,
  };
  const markerless = options.markerless ?? [];
  const layers: VegaLiteSpec[] = [
    {
      ...(markerless.length > 0 ? { transform: [{ filter: { not: { field: 'series', oneOf: markerless } } }] } : {}),
      // Next to fitted lines, measurements are bare points, so that the fits stay visible under them.
      mark: options.faintRuns
        ? { type: 'line', strokeWidth: 1.5, interpolate: 'linear' }
        : markerless.length > 0
          ? { type: 'point', filled: true, size: 40 }
          : { type: 'line', point: { filled: true, size: 36 }, strokeWidth: 2 },
      encoding: lineEncoding,
    },
  ];
  if (markerless.length > 0) {
    layers.push({ transform: [{ filter: { field: 'series', oneOf: markerless } }], mark: { type: 'line', strokeWidth: 1.5 }, encoding: { ...lineEncoding, tooltip: undefined } });
  }
  if (rows.some((r) => r.lo !== null)) {
    layers.push({
      transform: [{ filter: 'datum.lo !== null' }],
      mark: { type: 'errorbar', ticks: { size: 6 }, thickness: 1.5 },
      encoding: { x, y: { field: 'lo', type: 'quantitative', title: options.yTitle }, y2: { field: 'hi' }, color },
    });
  }
  if (options.reference) {
    layers.push({
      data: { values: [{ level: options.reference.y, label: options.reference.label }] },
      layer: [
        { mark: { type: 'rule', strokeDash: [2, 3], color: '#2ca02c', strokeWidth: 1.5 }, encoding: { y: { field: 'level', type: 'quantitative' } } },
        {
          mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -2, color: '#2ca02c', fontSize: 10 },
          encoding: { y: { field: 'level', type: 'quantitative' }, x: { value: PANEL_WIDTH }, text: { field: 'label' } },
        },
      ],
    });
  }
  return { title: { text: options.title, fontSize: 13 }, width: PANEL_WIDTH, height: PANEL_HEIGHT, data: { values: rows }, layer: layers };
}

/** Panels side by side, each with its own legend and y scale; one style for every figure. */
export function figureSpec(panels: VegaLiteSpec[]): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 8,
    hconcat: panels,
    spacing: 28,
    resolve: { scale: { color: 'independent', strokeDash: 'independent', y: 'independent', x: 'independent' }, legend: { color: 'independent' } },
    config: {
      // No ARIA labels per mark: they double the SVG size; the page gives each figure an alt text.
      aria: false,
      font: 'sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', grid: true, gridOpacity: 0.5 },
      legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
      title: { anchor: 'start', fontWeight: 'bold' },
      view: { stroke: '#888' },
    },
  };
}
