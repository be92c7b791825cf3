// Small shared pieces for the compiler tests: deterministic random host tensors, comparisons, and
// the float32-against-float64 check of a three-convolution net to second order.

import assert from 'node:assert/strict';
import { compile, grad, hvp, spec, HostTensor, type CompileOptions, type Tensor } from '../../src/graph/index.ts';

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

export type ThreeConvParams = { w1: Tensor; w2: Tensor; w3: Tensor };

/**
 * The gradient and Hessian-vector product of Σ net(p, x) for a net of three convolutions (channels
 * c0 → c1 → c2 → c3, input [2, c0, size, size]), compiled in float32 (ONNX Runtime's kernels) and in
 * float64 (the im2col lowering) on the same draws: asserts they agree to 1e-4 relative, and returns
 * the float32 model for the caller's checks on how it was lowered.
 */
export async function checkThreeConvNet(
  net: (p: ThreeConvParams, x: Tensor) => Tensor,
  [c0, c1, c2, c3]: [number, number, number, number],
  size: number,
  o: { seeds: [number, number, number, number]; scale: number; options?: CompileOptions },
): Promise<Uint8Array> {
  const shapes = { w1: [c1, c0, 3, 3], w2: [c2, c1, 3, 3], w3: [c3, c2, 3, 3] };
  const build = (dtype: 'float32' | 'float64') =>
    compile(
      ({ p, x }: { p: ThreeConvParams; x: Tensor }) => {
        const loss = (q: ThreeConvParams) => net(q, x).sum();
        const g = grad(loss)(p);
        return { g, hv: hvp(loss, p, g) };
      },
      { p: { w1: spec(shapes.w1, dtype), w2: spec(shapes.w2, dtype), w3: spec(shapes.w3, dtype) }, x: spec([2, c0, size, size], dtype) },
      o.options,
    );
  const [s1, s2, s3, sx] = o.seeds;
  const p = { w1: host64(shapes.w1, s1, o.scale / c0), w2: host64(shapes.w2, s2, o.scale / c1), w3: host64(shapes.w3, s3, o.scale / c2) };
  const x = host64([2, c0, size, size], sx);
  const r64 = (await (await build('float64')).run({ p, x })) as { g: Record<string, HostTensor>; hv: Record<string, HostTensor> };
  const f32 = await build('float32');
  const r32 = (await f32.run({ p: { w1: to32(p.w1), w2: to32(p.w2), w3: to32(p.w3) }, x: to32(x) })) as typeof r64;
  for (const part of ['g', 'hv'] as const) {
    for (const k of ['w1', 'w2', 'w3']) {
      const d = maxRelDiff(r32[part][k]!.data as Float32Array, r64[part][k]!.data as Float64Array);
      assert.ok(d < 1e-4, `${part}.${k}: float32 vs float64 ${d}`);
    }
  }
  return f32.model;
}
