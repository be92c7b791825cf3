// `sgdlab report` and `sgdlab verify --report` as functions: sweep summaries (or theory JSON) in,
// SVG + PNG files and one self-contained HTML page out. The CLI only opens the store and calls these.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepSummary } from '../sweep/summary.ts';
import { buildFigures, type DrawnFigure, type FigureOutcome, type ReportInput, type SkippedFigure } from './figures.ts';
import { renderPage, type PageFigure, type PageInput } from './html.ts';
import { formatPowerOfTwo } from './log2.ts';
import { NO_FONT_WARNING, pngFont, renderSvg, svgToPng } from './render.ts';
import { buildTheoryFigures, parseTheoryJson } from './theory.ts';

export { buildFigures, type DrawnFigure, type FigureOutcome, type HistoryRow, type ReportInput, type SkippedFigure } from './figures.ts';
export { buildTheoryFigures, parseTheoryJson, TheoryJsonError, type TheoryJson } from './theory.ts';
export { renderSvg, svgToPng, pngFont, NO_FONT_WARNING } from './render.ts';
export { renderPage, svgSize } from './html.ts';
export { ReportInputError } from './pool.ts';
export { formatPowerOfTwo } from './log2.ts';

export interface WrittenFigure {
  id: string;
  paper: string;
  svgPath: string;
  pngPath: string | null;
}

export interface WrittenReport {
  htmlPath: string;
  figures: WrittenFigure[];
  skipped: SkippedFigure[];
  /** Set when PNGs were drawn without a font (their text is missing). */
  warnings: string[];
}

export interface WriteOptions {
  /** Also write PNGs (default true). */
  png?: boolean;
  /** PNG size relative to the SVG (default 2, sharp on high-density screens). */
  pngZoom?: number;
  /** Page title. */
  title?: string;
  /** Extra text for the page footer (e.g. the command that made it). */
  footer?: string;
}

async function writeFigures(outcomes: FigureOutcome[], outDir: string, options: WriteOptions): Promise<{ page: PageFigure[]; written: WrittenFigure[]; warnings: string[] }> {
  mkdirSync(outDir, { recursive: true });
  const page: PageFigure[] = [];
  const written: WrittenFigure[] = [];
  const drawn = outcomes.filter((o): o is DrawnFigure => o.kind === 'drawn');
  const warnings = options.png !== false && drawn.length > 0 && pngFont() === null ? [NO_FONT_WARNING] : [];
  for (const figure of drawn) {
    const svg = await renderSvg(figure.spec);
    const svgFile = `${figure.id}.svg`;
    writeFileSync(join(outDir, svgFile), svg);
    let pngFile: string | undefined;
    if (options.png !== false) {
      pngFile = `${figure.id}.png`;
      writeFileSync(join(outDir, pngFile), svgToPng(svg, options.pngZoom ?? 2));
    }
    page.push({ ...figure, svg, svgFile, pngFile });
    written.push({ id: figure.id, paper: figure.paper, svgPath: join(outDir, svgFile), pngPath: pngFile ? join(outDir, pngFile) : null });
  }
  return { page, written, warnings };
}

/** Rates and coefficients in the paper's 2^k notation; batch sizes, budgets and n as plain numbers. */
const POWER_OF_TWO_KEYS = new Set(['lr', 'lambda', 'lrPerBatch', 'lambdaPerBatch', 'weightDecay']);
const formatValue = (key: string, v: unknown): string => (typeof v === 'number' && POWER_OF_TWO_KEYS.has(key) ? formatPowerOfTwo(v) : String(v));

function sweepRows(summaries: SweepSummary[]): string[][] {
  return summaries.map((s) => {
    const base = s.base;
    const setting = ['data', 'model', 'batch', 'lr', 'lambda', 'nStep', 'epochs', 'steps', 'schedule', 'sampler']
      .filter((k) => base[k] !== undefined && !s.axes.some((a) => a.name === k))
      .map((k) => `${k} ${formatValue(k, base[k])}`)
      .join(', ');
    const runs = s.points.reduce((n, p) => n + p.runs, 0);
    const diverged = s.points.reduce((n, p) => n + p.diverged, 0);
    return [
      s.sweepId,
      s.name,
      s.axes.map((a) => `${a.name}: ${a.values.map((v) => formatValue(a.name, v)).join(', ')}`).join('; '),
      setting,
      `${s.points.length} points, ${runs} runs${diverged > 0 ? `, ${diverged} diverged` : ''}`,
      `best ${s.scoring.best} of ${s.scoring.of} by ${s.scoring.metric}`,
    ];
  });
}

/** The paper's figures from sweep summaries, written to `outDir` as SVG, PNG and index.html. */
export async function writeReport(input: ReportInput, outDir: string, options: WriteOptions = {}): Promise<WrittenReport> {
  return writePage(buildFigures(input), outDir, options, {
    title: options.title ?? `sgdlab report: ${input.summaries.map((s) => s.name).join(', ')}`,
    intro: [
      'The figure types of Smith, Dherin, Barrett & De (ICLR 2021), drawn from this project\'s own sweeps. Rates, coefficients and ratios are on log axes of base 2 (ticks 2^k), as in the paper.',
      'Figures that the sweeps\' axes cannot support are listed at the end with the reason, rather than drawn empty.',
    ],
    sources: { caption: 'Sweeps', header: ['id', 'name', 'axes', 'fixed', 'size', 'scoring'], rows: sweepRows(input.summaries) },
  });
}

/** Slope plots of `sgdlab verify --json` output, written to `outDir` as SVG, PNG and index.html. */
export async function writeTheoryReport(json: unknown, outDir: string, options: WriteOptions = {}): Promise<WrittenReport> {
  return writePage(buildTheoryFigures(parseTheoryJson(json)), outDir, options, {
    title: options.title ?? 'sgdlab verify: the backward error analysis, checked numerically',
    intro: ['Each panel: the distance after the same time between the discrete iterates (GD, SGD averaged over batch orders, n-step SGD, momentum, Adam, RMSProp) and a gradient flow, against ε (the step h for Adam and RMSProp) on log-log axes, with the fitted power laws.'],
  });
}

/** Figures to files, then the page that shows them (and lists the ones that could not be drawn). */
async function writePage(
  outcomes: FigureOutcome[],
  outDir: string,
  options: WriteOptions,
  text: Pick<PageInput, 'title' | 'intro' | 'sources'>,
): Promise<WrittenReport> {
  const { page, written, warnings } = await writeFigures(outcomes, outDir, options);
  const skipped = outcomes.filter((o): o is SkippedFigure => o.kind === 'skipped');
  const htmlPath = join(outDir, 'index.html');
  writeFileSync(htmlPath, renderPage({ ...text, figures: page, skipped, footer: options.footer }));
  return { htmlPath, figures: written, skipped, warnings };
}
