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
  /**
   * The point diverged (most of its runs did): drawn as a hollow triangle at the plot's edge, off the
   * line, and never allowed to set the y range. A point whose y is NaN or ±Inf is drawn the same way.
   */
  diverged?: boolean;
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
  /** Legend order; also fixes colours across panels of one figure. Series without points are left out of the legend. */
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
  /**
   * Where diverged points are drawn: 'bottom' (default) where lower is worse (accuracy), 'top' where
   * higher is worse (a loss, C_reg).
   */
  divergedEdge?: 'top' | 'bottom';
}

/** The whole figure is about this wide (SVG pixels), whatever its number of panels, so that it fills the page. */
export const FIGURE_WIDTH = 1240;
/** Room a panel needs left of its plot for the y axis's labels and title. */
const Y_AXIS_ROOM = 62;
const PANEL_SPACING = 28;
/** Below this, 2^k tick labels and axis titles collide: wider figures are scaled down by the page instead. */
const MIN_PANEL_WIDTH = 280;

/** The plot size of each of `count` panels side by side, so that the figure is FIGURE_WIDTH wide. */
export function panelSize(count: number): { width: number; height: number } {
  const n = Math.max(1, count);
  const width = Math.max(MIN_PANEL_WIDTH, Math.floor((FIGURE_WIDTH - n * Y_AXIS_ROOM - (n - 1) * PANEL_SPACING) / n));
  return { width, height: Math.round(Math.min(420, Math.max(260, 0.6 * width))) };
}

/** The paper's colours: blue for ε (or the first series), orange for λ, then the rest of Tableau 10. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Error bars on a log axis cannot reach zero; stop them at a tenth of the mean instead. */
function errorBarLow(y: number, std: number, logScale: boolean): number {
  const low = y - std;
  return logScale && low <= 0 ? y / 10 : low;
}

/** A point that must not set the y range: flagged diverged, or a y that is NaN or infinite (or ≤ 0 on a log axis). */
export const isOutlier = (p: SeriesPoint, logY: boolean): boolean => p.diverged === true || !Number.isFinite(p.y) || (logY && p.y <= 0);

/**
 * The y range of a panel: the trained points with their error bars and the reference level, padded by
 * 6% (of the decades on a log axis), so that the diverged points can sit on its edge. Undefined when
 * there is no trained point (vega then fits what there is).
 */
export function trainedDomain(points: readonly SeriesPoint[], options: { logY?: boolean; reference?: number } = {}): [number, number] | undefined {
  const logY = options.logY === true;
  const values: number[] = [];
  for (const p of points) {
    if (isOutlier(p, logY) || !Number.isFinite(p.x)) continue;
    values.push(p.y);
    if (p.std !== undefined && p.std > 0 && Number.isFinite(p.std)) values.push(errorBarLow(p.y, p.std, logY), p.y + p.std);
  }
  if (options.reference !== undefined && Number.isFinite(options.reference) && (!logY || options.reference > 0)) values.push(options.reference);
  if (values.length === 0) return undefined;
  const toAxis = logY ? Math.log10 : (v: number) => v;
  const fromAxis = logY ? (v: number) => 10 ** v : (v: number) => v;
  const low = Math.min(...values.map(toAxis));
  const high = Math.max(...values.map(toAxis));
  const span = high > low ? high - low : Math.abs(high) > 0 ? Math.abs(high) * 0.1 : 1;
  return [fromAxis(low - 0.06 * span), fromAxis(high + 0.06 * span)];
}

const DIVERGED_MARKER = (edge: 'top' | 'bottom') => `diverged (most runs): at the ${edge} edge`;

export function panel(options: PanelOptions): VegaLiteSpec {
  const logY = options.yScale === 'log';
  const edge = options.divergedEdge ?? 'bottom';
  // With no trained point at all, the diverged ones still need an edge to sit on.
  const domain = trainedDomain(options.points, { logY, reference: options.reference?.y })
    ?? (options.points.some((p) => isOutlier(p, logY)) ? (logY ? [0.1, 1] as [number, number] : [0, 1] as [number, number]) : undefined);
  const rows = options.points
    .filter((p) => Number.isFinite(p.x) && p.x > 0)
    .map((p) => {
      const outlier = isOutlier(p, logY);
      // An outlier is drawn on the edge of the trained range; its own value stays in the tooltip.
      const drawnY = outlier ? (domain ? domain[edge === 'top' ? 1 : 0] : null) : p.y;
      return {
        series: p.series,
        run: p.run ?? '',
        x: p.x,
        lx: options.xLinear ? p.x : Math.log2(p.x),
        y: drawnY,
        value: p.y,
        outlier,
        lo: !outlier && p.std !== undefined && p.std > 0 ? errorBarLow(p.y, p.std, logY) : null,
        hi: !outlier && p.std !== undefined && p.std > 0 ? p.y + p.std : null,
        std: p.std ?? 0,
        detail: p.detail ?? '',
      };
    })
    .filter((r) => r.y !== null);
  const trained = rows.filter((r) => !r.outlier);
  const outliers = rows.filter((r) => r.outlier);
  // Series with no point at all are not named: a legend entry for nothing is a phantom. Colours stay
  // those of the full order, so that "blue" and "orange" keep their meaning when one series is missing.
  const palette = options.colors ?? PALETTE;
  const shown = options.seriesOrder.map((s, i) => ({ s, color: palette[i % palette.length]! })).filter(({ s }) => rows.some((r) => r.series === s));
  const seriesShown = shown.map(({ s }) => s);
  const color = {
    field: 'series',
    type: 'nominal',
    title: options.seriesTitle,
    scale: { domain: seriesShown, range: shown.length > 0 ? shown.map(({ color }) => color) : [palette[0]!] },
    // Placed under the plot's left edge: vega centres 'bottom' legends on its estimate of their width, which
    // pushes the plot right and leaves a blank margin when labels are long.
    legend: { orient: 'none', legendX: 0, legendY: { expr: 'height + 46' }, direction: 'vertical', labelLimit: 400, titleLimit: 400 },
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
  // The y range is the trained points' (never a diverged one's); log axes over many decades: 1e-6 rather than 0.000001.
  const yScaleSpec = { ...(logY ? { type: 'log' } : { zero: false }), ...(domain ? { domain, nice: false } : {}) };
  const y = { field: 'y', type: 'quantitative', title: options.yTitle, scale: yScaleSpec, ...(logY ? { axis: { format: '.0e' } } : {}) };
  const dashed = options.dashedSeries ?? [];
  const strokeDash = dashed.length > 0
    ? { field: 'series', type: 'nominal', legend: null, scale: { domain: seriesShown, range: seriesShown.map((s) => (dashed.includes(s) ? [5, 3] : [1, 0])) } }
    : undefined;
  const tooltip = [
    { field: 'series', type: 'nominal', title: options.seriesTitle },
    { field: 'x', type: 'quantitative', title: 'x', format: '.4~g' },
    { field: 'value', type: 'quantitative', title: 'mean', format: '.4~g' },
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
  const onlyTrained = { filter: '!datum.outlier' };
  const layers: VegaLiteSpec[] = [
    {
      transform: [onlyTrained, ...(markerless.length > 0 ? [{ filter: { not: { field: 'series', oneOf: markerless } } }] : [])],
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
    layers.push({ transform: [onlyTrained, { filter: { field: 'series', oneOf: markerless } }], mark: { type: 'line', strokeWidth: 1.5 }, encoding: { ...lineEncoding, tooltip: undefined } });
  }
  if (trained.some((r) => r.lo !== null)) {
    layers.push({
      transform: [{ filter: 'datum.lo !== null' }],
      mark: { type: 'errorbar', ticks: { size: 6 }, thickness: 1.5 },
      encoding: { x, y: { field: 'lo', type: 'quantitative', title: options.yTitle }, y2: { field: 'hi' }, color },
    });
  }
  if (outliers.length > 0) {
    // Hollow triangles pointing off the plot, in their series' colour, with a legend entry of their own
    // stacked under the series legend (about 15 px per entry plus the title).
    const marker = DIVERGED_MARKER(edge);
    layers.push({
      transform: [{ filter: 'datum.outlier' }, { calculate: JSON.stringify(marker), as: 'marker' }],
      mark: { type: 'point', filled: false, size: 110, strokeWidth: 2, opacity: 1 },
      encoding: {
        x,
        y,
        color: { ...color, legend: null },
        shape: {
          field: 'marker',
          type: 'nominal',
          title: null,
          scale: { domain: [marker], range: [edge === 'top' ? 'triangle-up' : 'triangle-down'] },
          legend: { orient: 'none', legendX: 0, legendY: { expr: `height + ${46 + 22 + 18 * seriesShown.length}` }, labelLimit: 400, symbolStrokeColor: '#444', symbolFillColor: 'transparent' },
        },
        tooltip,
      },
    });
  }
  if (options.reference) {
    layers.push({
      data: { values: [{ level: options.reference.y, label: options.reference.label }] },
      layer: [
        { mark: { type: 'rule', strokeDash: [2, 3], color: '#2ca02c', strokeWidth: 1.5 }, encoding: { y: { field: 'level', type: 'quantitative' } } },
        {
          mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -2, color: '#2ca02c', fontSize: 10 },
          encoding: { y: { field: 'level', type: 'quantitative' }, x: { value: 'width' }, text: { field: 'label' } },
        },
      ],
    });
  }
  const { width, height } = panelSize(1);
  return { title: { text: options.title, fontSize: 13 }, width, height, data: { values: rows }, layer: layers };
}

/** The series a panel draws (points or diverged markers), and 'reference' when it draws the dotted level. */
export function drawnSeries(panelSpec: VegaLiteSpec): Set<string> {
  const rows = ((panelSpec.data as { values?: { series: string }[] } | undefined)?.values ?? []);
  const drawn = new Set(rows.map((r) => r.series));
  if ((panelSpec.layer as { data?: unknown }[] | undefined)?.some((l) => l.data !== undefined)) drawn.add('reference');
  return drawn;
}

/** Panels side by side, each with its own legend and y scale; one style for every figure. */
export function figureSpec(panels: VegaLiteSpec[]): VegaLiteSpec {
  const size = panelSize(panels.length);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 8,
    // Every panel of a figure shares one size, chosen so that the figure fills the page's width.
    hconcat: panels.map((p) => ({ ...p, ...size })),
    spacing: PANEL_SPACING,
    resolve: { scale: { color: 'independent', strokeDash: 'independent', shape: 'independent', y: 'independent', x: 'independent' }, legend: { color: 'independent', shape: 'independent' } },
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
