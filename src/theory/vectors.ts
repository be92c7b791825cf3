// Small float64 vector helpers for the host-side maths of the checks (SGD epochs, RK4 stages, errors).
// Parameters of the theory models are a few dozen numbers, so plain loops are the fastest option.

/** a + s·b, as a new vector. */
export function axpy(a: Float64Array, s: number, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + s * b[i]!;
  return out;
}

/** Σ_j s_j·v_j over any number of terms. */
export function combine(terms: readonly (readonly [number, Float64Array])[]): Float64Array {
  const out = new Float64Array(terms[0]![1].length);
  for (const [s, v] of terms) for (let i = 0; i < out.length; i++) out[i] += s * v[i]!;
  return out;
}

export function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

export function squaredNorm(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

export function norm(a: Float64Array): number {
  return Math.sqrt(squaredNorm(a));
}
