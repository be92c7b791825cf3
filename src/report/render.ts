// Vega-Lite spec → SVG (vega's headless renderer, no browser or canvas) → PNG (resvg). PNG text needs
// a font file: we pick one from the usual system font folders and say so when there is none.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { VegaLiteSpec } from './charts.ts';
import { installTextWidthEstimate } from './text-width.ts';

export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  installTextWidthEstimate();
  // Warnings (e.g. a legend hidden on one layer and shown on another) would go to stderr: keep errors only.
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec, { logger: vega.logger(vega.Error) }).spec;
  // renderer 'none' with no loader: the spec's data is inline, so nothing is fetched.
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Sans-serif families in order of preference (all have Greek letters, so ε and λ render). */
const PREFERRED_FONTS: { family: string; files: string[] }[] = [
  { family: 'DejaVu Sans', files: ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'] },
  { family: 'Liberation Sans', files: ['LiberationSans-Regular.ttf', 'LiberationSans-Bold.ttf'] },
  { family: 'Noto Sans', files: ['NotoSans-Regular.ttf', 'NotoSans-Bold.ttf'] },
];
const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', join(process.env.HOME ?? '/nonexistent', '.fonts')];

export interface PngFont {
  family: string;
  files: string[];
}

function findFiles(dir: string, names: Set<string>, found: Map<string, string>, depth = 0): void {
  if (depth > 4 || !existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (names.has(entry) && !found.has(entry)) found.set(entry, path);
    else if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) findFiles(path, names, found, depth + 1);
  }
}

let cachedFont: PngFont | null | undefined;

/** The font PNGs are drawn with, or null when no preferred font file is installed (then PNGs carry no text). */
export function pngFont(): PngFont | null {
  if (cachedFont !== undefined) return cachedFont;
  const found = new Map<string, string>();
  const wanted = new Set(PREFERRED_FONTS.flatMap((f) => f.files));
  for (const dir of FONT_DIRS) findFiles(dir, wanted, found);
  const choice = PREFERRED_FONTS.find((f) => found.has(f.files[0]!));
  cachedFont = choice ? { family: choice.family, files: choice.files.filter((f) => found.has(f)).map((f) => found.get(f)!) } : null;
  return cachedFont;
}

export const NO_FONT_WARNING =
  'no DejaVu/Liberation/Noto Sans font found under /usr/share/fonts: PNG figures are drawn without text (SVG and HTML are unaffected); on Debian: apt-get install -y fonts-dejavu-core';

/** PNG at `zoom`× the SVG's pixel size; vega writes font-family "sans-serif", mapped to the chosen font. */
export function svgToPng(svg: string, zoom = 2): Buffer {
  const font = pngFont();
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: zoom },
    background: 'white',
    font: font
      ? { loadSystemFonts: false, fontFiles: font.files, defaultFontFamily: font.family, sansSerifFamily: font.family }
      : { loadSystemFonts: true },
    logLevel: 'off',
  });
  return resvg.render().asPng();
}
