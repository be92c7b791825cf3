// SVG → PNG: the files are valid PNGs of the expected size, text is drawn (a font was found), and
// `writeReport` writes one SVG and one PNG per drawn figure next to index.html.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { buildFigures, pngFont, renderSvg, svgSize, svgToPng, writeReport, type DrawnFigure } from '../../src/report/index.ts';
import { batchSweep, nStepSweep, rateAndLambdaSweep, syntheticHistory } from './fixtures.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the IHDR chunk, after checking the signature and the chunk's name. */
function pngDimensions(png: Buffer): { width: number; height: number } {
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  assert.equal(png.subarray(png.length - 8, png.length - 4).toString('latin1'), 'IEND', 'PNG ends with IEND');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const firstDrawn = () => buildFigures({ summaries: [rateAndLambdaSweep()] }).find((f): f is DrawnFigure => f.kind === 'drawn' && f.id.startsWith('fig1b'))!;

test('svgToPng writes a valid PNG at twice the SVG size', async () => {
  const svg = await renderSvg(firstDrawn().spec);
  const { width, height } = svgSize(svg);
  assert.ok(width > 300 && height > 200, `SVG size ${width}×${height}`);
  assert.deepEqual(pngDimensions(svgToPng(svg)), { width: 2 * width, height: 2 * height });
});

test('text is drawn in the PNG: removing every <text> changes the pixels', async (t) => {
  const font = pngFont();
  if (!font) {
    const message = 'no DejaVu/Liberation/Noto Sans under /usr/share/fonts: PNG text cannot render (apt-get install -y fonts-dejavu-core)';
    if (process.env.CI) assert.fail(message);
    t.skip(message);
    return;
  }
  t.diagnostic(`PNG font: ${font.family} (${font.files.join(', ')})`);
  const svg = await renderSvg(firstDrawn().spec);
  const pixels = (s: string) => new Resvg(s, { font: { loadSystemFonts: false, fontFiles: font.files, defaultFontFamily: font.family, sansSerifFamily: font.family } }).render().pixels;
  const withText = pixels(svg);
  const withoutText = pixels(svg.replace(/<text\b[^>]*>[^<]*<\/text>/g, ''));
  let differing = 0;
  for (let i = 0; i < withText.length; i += 4) if (withText[i] !== withoutText[i]) differing++;
  // Tick labels, titles and legend: thousands of pixels; a font that failed to load gives zero.
  assert.ok(differing > 2000, `only ${differing} pixels differ`);
});

test('writeReport: one SVG and one valid PNG per drawn figure, and index.html', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-report-'));
  const report = await writeReport({ summaries: [rateAndLambdaSweep(), batchSweep(), nStepSweep()], loadHistory: syntheticHistory }, dir);
  assert.equal(report.figures.length, 7);
  assert.equal(report.skipped.length, 0);
  const files = readdirSync(dir).sort();
  assert.equal(files.filter((f) => f.endsWith('.svg')).length, 7);
  assert.equal(files.filter((f) => f.endsWith('.png')).length, 7);
  for (const f of report.figures) {
    const svg = readFileSync(f.svgPath, 'utf8');
    assert.match(svg, /^<svg /);
    const { width, height } = pngDimensions(readFileSync(f.pngPath!));
    assert.ok(width > 0 && height > 0);
  }
  const html = readFileSync(report.htmlPath, 'utf8');
  assert.equal(html.match(/<figure /g)?.length, 7);
  // Self-contained: nothing to fetch, no scripts.
  assert.doesNotMatch(html, /<script|<link|src="http|url\(/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});
