// Small shared pieces for the compiler tests: deterministic random host tensors and comparisons.

import { HostTensor } from '../../src/graph/index.ts';

export function randomArray(n: number, seed: number, scale = 1): Float64Array {
  let s = seed >>> 0 || 7;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export const host64 = (shape: number[], seed: number, scale = 1) =>
  new HostTensor(randomArray(shape.reduce((a, b) => a * b, 1), seed, scale), shape);

export const to32 = (t: HostTensor) => new HostTensor(Float32Array.from(t.data as Float64Array), t.shape);

export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / Math.max(den, 1e-30);
}
