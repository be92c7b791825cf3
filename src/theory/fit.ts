// Least-squares slopes on log-log axes: the measured order of an error term, error ≈ c·ε^slope.
// Also the local slopes between neighbouring points, which show where an asymptotic law stops holding.

/** Slope of log(error) against log(ε) by least squares over all points. */
export function logLogSlope(epsilons: readonly number[], errors: readonly number[]): number {
  const xs = epsilons.map(Math.log);
  const ys = errors.map(Math.log);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

/** Slopes between consecutive points (length n − 1). */
export function localSlopes(epsilons: readonly number[], errors: readonly number[]): number[] {
  return epsilons.slice(1).map((e, i) => Math.log(errors[i + 1]! / errors[i]!) / Math.log(e / epsilons[i]!));
}

/** `count` values from `largest` down, halving each time: ε, ε/2, …. */
export function halvingGrid(largest: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => largest / 2 ** i);
}
