// Powers of two, the paper's notation for rates, coefficients and ratios: parsing "2^-9" from sweep
// coordinates, and labels like "2^-6" for plain numbers and for log₂ axis ticks.

/** "0.01", "2^-9", "2**-9" or a number → number; NaN for anything else (the caller names the input). */
export function parsePowerOfTwoNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  const s = value.trim();
  const power = /^([+-]?)(\d+(?:\.\d+)?)\s*(?:\^|\*\*)\s*([+-]?\d+(?:\.\d+)?)$/.exec(s);
  if (power) return (power[1] === '-' ? -1 : 1) * Number(power[2]) ** Number(power[3]);
  return s === '' ? Number.NaN : Number(s);
}

/** 2^-6 → "2^-6", 0 → "0", 0.3 → "0.3": exact powers of two in the paper's notation, others as decimals. */
export function formatPowerOfTwo(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const exponent = Math.log2(Math.abs(x));
  if (Number.isInteger(exponent) && Math.abs(exponent) >= 2) return `${x < 0 ? '-' : ''}2^${exponent}`;
  return Number(x.toPrecision(3)).toString();
}

/**
 * Vega expression for the tick labels of an axis whose field holds log₂ of the value: integer ticks
 * are powers of two ("2^-6", with an ASCII minus: d3's format would write U+2212); a budget axis shows
 * the plain number (64, 128) instead.
 */
export function log2TickLabels(style: 'power' | 'plain'): string {
  return style === 'power'
    ? "'2^' + datum.value"
    : "format(pow(2, datum.value), ',.0f')";
}
