// Text widths for vega's layout without a canvas. Vega's fallback guesses 0.8 em per character, which
// makes long axis titles look twice their size and pads figures with blank margins; this table holds
// DejaVu Sans advance widths (em), the widest of the usual sans fonts, so text is never cut off.

import * as vega from 'vega';

const NARROW: Record<string, number> = {
  ' ': 0.318, '.': 0.318, ',': 0.318, ':': 0.337, ';': 0.337, '!': 0.4, "'": 0.275, '|': 0.337, '/': 0.337,
  i: 0.278, l: 0.278, j: 0.278, f: 0.352, t: 0.392, r: 0.411, I: 0.295, J: 0.295,
  '(': 0.39, ')': 0.39, '[': 0.39, ']': 0.39, '-': 0.361, '·': 0.318, '²': 0.4, '³': 0.4, '₂': 0.4,
};
const WIDE: Record<string, number> = {
  m: 0.974, w: 0.818, W: 0.989, M: 0.863, '%': 0.95, '^': 0.838, '=': 0.838, '+': 0.838, '±': 0.838, '×': 0.838, '−': 0.838, '…': 1, '—': 1, '~': 0.838,
};

function characterWidth(c: string): number {
  if (c in NARROW) return NARROW[c]!;
  if (c in WIDE) return WIDE[c]!;
  if (c >= '0' && c <= '9') return 0.636;
  if (c >= 'A' && c <= 'Z') return 0.72;
  if (c >= 'a' && c <= 'z') return 0.62;
  return 0.66;
}

export function estimateTextWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const c of text) em += characterWidth(c);
  return em * fontSize * (bold ? 1.1 : 1);
}

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
}

let installed = false;

/** Replace vega's global estimate (vega documents this hook: "user defined textMetrics.width"). */
export function installTextWidthEstimate(): void {
  if (installed) return;
  installed = true;
  const metrics = (vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics;
  metrics.width = (item, text) => {
    const value = text == null ? '' : String(text).trim();
    const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
    const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
    const width = estimateTextWidth(value, size, bold);
    // A label cut to `limit` (with an ellipsis) is never wider than the limit.
    return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width;
  };
}
