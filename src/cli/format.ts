// Small text helpers for the CLI: aligned tables, numbers, and a progress line that redraws
// itself on a TTY and prints plain lines elsewhere.

export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const pct = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(1)}%`);
export const num = (x: number | undefined, digits = 4): string => (x === undefined || Number.isNaN(x) ? '—' : Number(x.toPrecision(digits)).toString());

/** `1 epoch`, `2 epochs`, `0.5 epochs`: a number and its noun, singular only for exactly one. */
export const count = (n: number, noun: string, text = String(n)): string => `${text} ${noun}${n === 1 ? '' : 's'}`;

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Progress output: one redrawn line on a TTY, at most one plain line per `every` ms otherwise. */
export class ProgressLine {
  private last = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly every = 5000) {}
  update(text: string): void {
    const now = Date.now();
    if (this.stream.isTTY) {
      if (now - this.last < 100) return;
      this.stream.write(`\r\x1b[K${text}`);
    } else {
      if (now - this.last < this.every) return;
      this.stream.write(`${text}\n`);
    }
    this.last = now;
  }
  done(): void {
    if (this.stream.isTTY) this.stream.write('\r\x1b[K');
  }
}
