// Small SVG line charts for the page: linear or log y axis, a few series, redrawn whole on each
// update (a few hundred points), so there is no charting library to ship.

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  /** Drawn as dots instead of a line (measured points next to a fitted line). */
  dots?: boolean;
  /** Dots as rings, so that a series lying on another stays visible. */
  rings?: boolean;
  /**
   * The run diverged: its points never set the y range (a blow-up to 1e32 would flatten every other
   * line), its line is clipped to the plot, and its last point is marked by a triangle on the edge.
   */
  diverged?: boolean;
  points: [number, number][];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  /** Fixed x range (e.g. 0..epochs), otherwise the data's. */
  xDomain?: [number, number];
  /** Fixed y range, otherwise the data's (of the series that did not diverge). */
  yDomain?: [number, number];
  /** Zoom: fit the y range to the points at x ≥ fromX only (e.g. the later half of training); the rest is clipped. */
  yFitFrom?: number;
  series: Series[];
}

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 340;
const HEIGHT = 210;
const MARGIN = { left: 52, right: 10, top: 24, bottom: 34 };

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** "Nice" tick values covering [lo, hi]: 1-2-5 steps on linear axes, powers of ten on log axes. */
function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    const step = Math.max(1, Math.ceil((Math.floor(hi) - Math.ceil(lo) + 1) / 6));
    for (let p = Math.ceil(lo); p <= Math.floor(hi); p += step) out.push(p);
    if (out.length >= 3) return out;
    // Less than three decades: 1-2-5 steps within them.
    const fine: number[] = [];
    for (let p = Math.floor(lo); p <= Math.ceil(hi); p++) {
      for (const m of [1, 2, 5]) {
        const v = p + Math.log10(m);
        if (v >= lo && v <= hi) fine.push(v);
      }
    }
    return fine;
  }
  const span = hi - lo || 1;
  const raw = span / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const formatTick = (v: number, log: boolean): string => {
  if (log) {
    const p = Math.floor(v + 1e-9);
    const m = Math.round(10 ** (v - p));
    return `${m}e${p}`;
  }
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
};

/**
 * The axes' ranges in axis units (log₁₀ on log axes): x from xDomain or the data; y from yDomain, or
 * padded by 5% around the finite points of the series that did not diverge (from x ≥ yFitFrom when
 * zoomed). Diverged series set the y range only when no other series has a point.
 */
export function chartDomains(spec: ChartSpec): { x: [number, number]; y: [number, number] } {
  const fx = (x: number) => (spec.logX ? Math.log10(x) : x);
  const fy = (y: number) => (spec.logY ? Math.log10(y) : y);
  const usable = (p: [number, number]) => Number.isFinite(fx(p[0])) && Number.isFinite(fy(p[1]));
  const all = spec.series.flatMap((s) => s.points.filter(usable));
  const trained = spec.series.filter((s) => !s.diverged).flatMap((s) => s.points.filter(usable));
  const fitted = (trained.length > 0 ? trained : all).filter((p) => spec.yFitFrom === undefined || p[0] >= spec.yFitFrom);
  let [x0, x1] = spec.xDomain ? spec.xDomain.map(fx) as [number, number] : [Math.min(...all.map((p) => fx(p[0]))), Math.max(...all.map((p) => fx(p[0])))];
  let [y0, y1] = spec.yDomain ? spec.yDomain.map(fy) as [number, number] : [Math.min(...fitted.map((p) => fy(p[1]))), Math.max(...fitted.map((p) => fy(p[1])))];
  if (!Number.isFinite(x0) || !Number.isFinite(x1)) [x0, x1] = [0, 1];
  if (!Number.isFinite(y0) || !Number.isFinite(y1)) [y0, y1] = [0, 1];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  if (!spec.yDomain) {
    const pad = (y1 - y0) * 0.05;
    [y0, y1] = [y0 - pad, y1 + pad];
  }
  return { x: [x0, x1], y: [y0, y1] };
}

let clipIds = 0;

/** Draw `spec` into `svg` (its content is replaced). */
export function drawChart(svg: SVGSVGElement, spec: ChartSpec): void {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('role', 'img');
  const fx = (x: number) => (spec.logX ? Math.log10(x) : x);
  const fy = (y: number) => (spec.logY ? Math.log10(y) : y);
  const usable = (p: [number, number]) => Number.isFinite(fx(p[0])) && Number.isFinite(fy(p[1]));
  const summary = spec.series.map((s) => `${s.label}: ${s.points.length ? s.points[s.points.length - 1]![1].toPrecision(4) : 'no data'}${s.diverged ? ' (diverged)' : ''}`).join('; ');
  svg.setAttribute('aria-label', `${spec.title}. ${summary}`);
  svg.append(el('text', { x: MARGIN.left, y: 15, class: 'chart-title' }, spec.title));
  const { x: [x0, x1], y: [y0, y1] } = chartDomains(spec);
  const px = (x: number) => MARGIN.left + ((fx(x) - x0) / (x1 - x0)) * (WIDTH - MARGIN.left - MARGIN.right);
  const py = (y: number) => HEIGHT - MARGIN.bottom - ((fy(y) - y0) / (y1 - y0)) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const axes = el('g', { class: 'axes' });
  for (const t of ticks(y0, y1, spec.logY ?? false)) {
    const y = py(spec.logY ? 10 ** t : t);
    axes.append(el('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y, y2: y, class: 'grid' }));
    axes.append(el('text', { x: MARGIN.left - 4, y: y + 3, 'text-anchor': 'end' }, formatTick(t, spec.logY ?? false)));
  }
  for (const t of ticks(x0, x1, spec.logX ?? false)) {
    const x = px(spec.logX ? 10 ** t : t);
    axes.append(el('line', { x1: x, x2: x, y1: HEIGHT - MARGIN.bottom, y2: HEIGHT - MARGIN.bottom + 4 }));
    axes.append(el('text', { x, y: HEIGHT - MARGIN.bottom + 14, 'text-anchor': 'middle' }, formatTick(t, spec.logX ?? false)));
  }
  axes.append(el('rect', { x: MARGIN.left, y: MARGIN.top, width: WIDTH - MARGIN.left - MARGIN.right, height: HEIGHT - MARGIN.top - MARGIN.bottom, class: 'frame' }));
  axes.append(el('text', { x: (MARGIN.left + WIDTH - MARGIN.right) / 2, y: HEIGHT - 4, 'text-anchor': 'middle', class: 'axis-label' }, spec.xLabel));
  axes.append(el('text', { x: 12, y: (MARGIN.top + HEIGHT - MARGIN.bottom) / 2, transform: `rotate(-90 12 ${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2})`, 'text-anchor': 'middle', class: 'axis-label' }, spec.yLabel));
  svg.append(axes);
  // Lines outside the y range (a diverged run, the early epochs when zoomed) are clipped to the frame.
  const clipId = `chart-clip-${++clipIds}`;
  const clip = el('clipPath', { id: clipId });
  clip.append(el('rect', { x: MARGIN.left, y: MARGIN.top, width: WIDTH - MARGIN.left - MARGIN.right, height: HEIGHT - MARGIN.top - MARGIN.bottom }));
  svg.append(clip);
  const plot = el('g', { 'clip-path': `url(#${clipId})` });
  svg.append(plot);
  for (const s of spec.series) {
    const pts = s.points.filter(usable);
    if (pts.length === 0) continue;
    if (s.dots) {
      const g = el('g', s.rings ? { fill: 'none', stroke: s.color, 'stroke-width': 1.5 } : { fill: s.color });
      for (const [x, y] of pts) g.append(el('circle', { cx: px(x).toFixed(1), cy: py(y).toFixed(1), r: s.rings ? 5 : 3 }));
      plot.append(g);
      continue;
    }
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join('');
    plot.append(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 1.8, ...(s.dashed ? { 'stroke-dasharray': '5 3' } : {}) }));
    if (s.diverged) {
      // A hollow triangle on the edge the run left by (top when it blew up), at its last finite point.
      const [lx, ly] = pts[pts.length - 1]!;
      const above = fy(ly) >= y1;
      const below = fy(ly) <= y0;
      const cx = px(lx);
      const cy = above ? MARGIN.top : below ? HEIGHT - MARGIN.bottom : py(ly);
      const tip = above || !below ? -6 : 6;
      const marker = el('path', { d: `M${cx.toFixed(1)},${(cy + tip).toFixed(1)}l5,${-tip}h-10z`, fill: '#fff', stroke: s.color, 'stroke-width': 1.8, class: 'diverged-marker' });
      marker.append(el('title', {}, `${s.label}: diverged`));
      svg.append(marker);
    }
  }
}
