// One self-contained HTML page: figures inlined as data: URIs (each SVG isolated, so vega's element ids
// cannot clash), no scripts, no external fonts, and a CSP that forbids every network request.

import type { SkippedFigure } from './figures.ts';

export interface PageFigure {
  id: string;
  paper: string;
  title: string;
  caption: string;
  notes: string[];
  svg: string;
  /** File names next to the page, for the links under each figure. */
  svgFile?: string;
  pngFile?: string;
}

export interface PageInput {
  title: string;
  /** Paragraphs of plain text under the title. */
  intro: string[];
  /** A table of what the page was built from (rows of plain text cells). */
  sources?: { caption: string; header: string[]; rows: string[][] };
  figures: PageFigure[];
  skipped: Pick<SkippedFigure, 'id' | 'paper' | 'title' | 'reason'>[];
  /** Shown at the bottom, e.g. the command and time. */
  footer?: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The pixel size vega wrote on the root element, so the <img> reserves its space before decoding. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const attribute = (name: string) => Number(new RegExp(`\\b${name}="([\\d.]+)"`).exec(root)?.[1] ?? Number.NaN);
  return { width: attribute('width'), height: attribute('height') };
}

const STYLE = `
  body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1.5em; color: #222; line-height: 1.45; }
  h1 { font-size: 1.6em; margin-bottom: 0.2em; }
  h2 { font-size: 1.15em; margin: 0 0 0.5em; }
  figure { margin: 2em 0; padding: 1em; border: 1px solid #ddd; border-radius: 4px; }
  /* Figures are drawn about as wide as the page and scaled to it exactly: vector, so text stays sharp. */
  figure img { display: block; width: 100%; height: auto; }
  figcaption { margin-top: 0.6em; max-width: 70em; }
  ul.notes { color: #555; font-size: 0.92em; margin: 0.4em 0; }
  p.files { font-size: 0.85em; color: #777; margin: 0.3em 0 0; }
  table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1em; }
  th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
  th { background: #f4f4f4; }
  nav li.skipped, section.not-drawn li { color: #666; }
  footer { color: #777; font-size: 0.85em; margin-top: 3em; }
`;

function figureHtml(f: PageFigure): string {
  const { width, height } = svgSize(f.svg);
  const size = Number.isFinite(width) && Number.isFinite(height) ? ` width="${width}" height="${height}"` : '';
  const src = `data:image/svg+xml;base64,${Buffer.from(f.svg, 'utf8').toString('base64')}`;
  const files = [f.svgFile && `<a href="${escapeHtml(f.svgFile)}">SVG</a>`, f.pngFile && `<a href="${escapeHtml(f.pngFile)}">PNG</a>`].filter(Boolean).join(' · ');
  return [
    `<figure id="${escapeHtml(f.id)}" data-figure="${escapeHtml(f.id)}">`,
    `<h2>${escapeHtml(f.paper)} — ${escapeHtml(f.title)}</h2>`,
    `<img src="${src}"${size} alt="${escapeHtml(`${f.paper}: ${f.title}`)}">`,
    `<figcaption>${escapeHtml(f.caption)}</figcaption>`,
    f.notes.length > 0 ? `<ul class="notes">${f.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '',
    files ? `<p class="files">${files}</p>` : '',
    `</figure>`,
  ].join('\n');
}

export function renderPage(page: PageInput): string {
  const table = page.sources
    ? `<table><caption>${escapeHtml(page.sources.caption)}</caption><thead><tr>${page.sources.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>` +
      page.sources.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('') +
      `</tbody></table>`
    : '';
  const contents = [
    ...page.figures.map((f) => `<li><a href="#${escapeHtml(f.id)}">${escapeHtml(f.paper)}</a> — ${escapeHtml(f.title)}</li>`),
    ...page.skipped.map((s) => `<li class="skipped">${escapeHtml(s.paper)} — not drawn: ${escapeHtml(s.reason)}</li>`),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
${page.intro.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${table}
<nav><ul>${contents.join('')}</ul></nav>
${page.figures.map(figureHtml).join('\n')}
${page.skipped.length > 0 ? `<section class="not-drawn"><h2>Not drawn from these sweeps</h2><ul>${page.skipped.map((s) => `<li id="${escapeHtml(s.id)}"><strong>${escapeHtml(s.paper)}</strong> (${escapeHtml(s.title)}): ${escapeHtml(s.reason)}.</li>`).join('')}</ul></section>` : ''}
${page.footer ? `<footer>${escapeHtml(page.footer)}</footer>` : ''}
</body>
</html>
`;
}
