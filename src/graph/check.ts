// Gradient checking in float64, after JAX's check_grads: the directional derivative (J·t, by
// transposed reverse mode) against central differences, and the inner-product identity
// <t, Jᵀc> = <J·t, c>. Order 2 applies the same checks to x ↦ Jᵀ(x)·c.

import { jvp, vjp } from './autodiff.ts';
import { HostTensor } from './host.ts';
import { compile } from './session.ts';
import { spec } from './trace.ts';
import { flatten, type Tree } from './pytree.ts';
import { placeholder, type Tensor } from './tensor.ts';
import type { Shape } from './types.ts';

export interface GradCheckResult {
  /** ‖FD − J·t‖ / ‖J·t‖ (absolute when ‖J·t‖ is tiny). */
  fdError: number;
  /** |<t, Jᵀc> − <J·t, c>| relative to the size of the terms. */
  identityError: number;
}

export interface GradCheckOptions {
  order: 1 | 2;
  /** Sample an argument value; default: standard normal. */
  sample?: (argIndex: number, rand: () => number) => number;
  step?: number;
  seed?: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());
}

const dot = (a: Float64Array[], b: Float64Array[]): number =>
  a.reduce((s, x, k) => s + x.reduce((t, v, i) => t + v * b[k]![i]!, 0), 0);
const norm = (a: Float64Array[]): number => Math.sqrt(dot(a, a));

/** Check the derivatives of `fn` (arguments of the given shapes, float64) at a random point. */
export async function checkGrads(fn: (...xs: Tensor[]) => Tensor | Tensor[], shapes: Shape[], options: GradCheckOptions): Promise<GradCheckResult> {
  const rand = rng(options.seed ?? 1234);
  const h = options.step ?? 1e-5;
  const atOrder = (xs: Tensor[], c1: Tensor[]): Tensor[] => {
    const out = fn(...xs);
    const outs = Array.isArray(out) ? out : [out];
    if (options.order === 1) return outs;
    const [, pullback] = vjp((ys: Tensor[]) => {
      const o = fn(...ys);
      return Array.isArray(o) ? o : [o];
    }, xs);
    return pullback(c1);
  };
  // Trace once to learn the output shapes of F (order 1) and of F's pullback (order 2).
  const outShapes1 = outputShapes(fn, shapes);
  const argSpecs = shapes.map((s) => spec(s, 'float64'));
  const c1Specs = outShapes1.map((s) => spec(s, 'float64'));
  const outShapes = options.order === 1 ? outShapes1 : shapes;
  const c2Specs = outShapes.map((s) => spec(s, 'float64'));
  const program = await compile(
    ({ x, t, c1, c2 }: { x: Tensor[]; t: Tensor[]; c1: Tensor[]; c2: Tensor[] }) => {
      const y = atOrder(x, c1);
      const [, jt] = jvp((xs: Tensor[]) => atOrder(xs, c1), x, t);
      const [, pullback] = vjp((xs: Tensor[]) => atOrder(xs, c1), x);
      return { y, jt, vt: pullback(c2) };
    },
    { x: argSpecs, t: argSpecs, c1: c1Specs, c2: c2Specs },
    { name: 'gradcheck', optimization: 'basic' },
  );
  const sample = (k: number) => (options.sample ? options.sample(k, rand) : gaussian(rand));
  const x = shapes.map((s, k) => Float64Array.from({ length: size(s) }, () => sample(k)));
  const t = shapes.map((s) => Float64Array.from({ length: size(s) }, () => gaussian(rand)));
  const c1 = outShapes1.map((s) => Float64Array.from({ length: size(s) }, () => gaussian(rand)));
  const c2 = outShapes.map((s) => Float64Array.from({ length: size(s) }, () => gaussian(rand)));
  const host = (arrs: Float64Array[], ss: Shape[]) => arrs.map((a, i) => new HostTensor(a, ss[i]!));
  const runAt = async (xv: Float64Array[]) =>
    (await program.run({ x: host(xv, shapes), t: host(t, shapes), c1: host(c1, outShapes1), c2: host(c2, outShapes) })) as unknown as Record<'y' | 'jt' | 'vt', HostTensor[]>;
  const data = (ts: HostTensor[]) => ts.map((r) => r.data as Float64Array);
  const at = await runAt(x);
  const plus = await runAt(x.map((a, k) => a.map((v, i) => v + h * t[k]![i]!)));
  const minus = await runAt(x.map((a, k) => a.map((v, i) => v - h * t[k]![i]!)));
  await program.release();
  const jt = data(at.jt);
  const fd = data(plus.y).map((p, k) => p.map((v, i) => (v - data(minus.y)[k]![i]!) / (2 * h)));
  const diff = fd.map((a, k) => a.map((v, i) => v - jt[k]![i]!));
  const scale = Math.max(norm(jt), 1e-3);
  const lhs = dot(t, data(at.vt));
  const rhs = dot(jt, c2);
  return {
    fdError: norm(diff) / scale,
    identityError: Math.abs(lhs - rhs) / Math.max(Math.abs(lhs), Math.abs(rhs), 1e-12),
  };
}

function outputShapes(fn: (...xs: Tensor[]) => Tensor | Tensor[], shapes: Shape[]): Shape[] {
  const out = fn(...shapes.map((s, i) => placeholder(`probe${i}`, s, 'float64')));
  return flatten<Tensor>((Array.isArray(out) ? out : [out]) as Tree<Tensor>).leaves.map((t) => t.shape);
}

const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);
