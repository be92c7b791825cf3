// Deferred low-rank weight updates for K-step loops (compileLoop's `deferUpdates`).
//
// A small-batch SGD update of a matmul weight is low rank: W_{t+1} = W_t − s_t·Σ_k A_k·B_k with
// inner dimension the batch size. Written out every step it costs four passes over W (ONNX Runtime's
// Gemm copies C into Y, then accumulates into Y), which bounds small-batch steps: they are memory
// bound. Deferred, the loop keeps W0 fixed and carries the factors instead,
//     W_t = W0 − Uᵀ·V,   U = [A_τ,kᵀ rows], V = [s_τ·B_τ,k rows]   (τ < t),
// rewriting every use of W in the step as x·W = x·W0 − (x·Uᵀ)·V (and likewise for Wᵀ and for W on
// the left), and forms W = W0 − Uᵀ·V, as one Gemm, once per window of steps (compileLoop nests
// the windows in an outer Loop). The arithmetic is the same
// up to rounding: sums are associated differently, so results are not bit-identical to the eager loop.
//
// A weight is deferred only when every use in the step is a matmul operand (directly or through a
// 2-D transpose), its new value is exactly such an update (fusion.ts's plan) and nothing else, and
// the window·rank factor rows stay small against the matrix (see MAX_ROWS_FRACTION).

import { topologicalOrder } from './autodiff.ts';
import { planGemmUpdates, type GemmUpdate } from './fusion.ts';
import { concat as concatPrimitive } from './prims/shape.ts';
import { bind, placeholder, type Tensor } from './tensor.ts';
import type { PrimitiveName } from './primitives.ts';

/** Defer only while the factor rows R = window·rank are at most this fraction of min(rows, cols) of W. */
export const MAX_ROWS_FRACTION = 0.5;
/**
 * Steps between writes of the weights. The low-rank terms cost FLOPs in proportion to the window,
 * the write four passes over W once per window. Measured (batch 16, plain, interleaved with the
 * eager loop in one process), ms/step for windows 4 / 8 / 16 / 32:
 *   MLP 784-1024x3-10, K = 48: 2.76 / 2.86 / 3.76 / 5.39 (eager 3.8–4.4);
 *   MLP 784-4096x3-10, K = 16: 32.4 / 33.1 / 36.2 / — (eager 40–49).
 */
export const DEFAULT_WINDOW = 8;
/**
 * Smaller weights stay eager: they live in cache, where the extra nodes cost more than the passes
 * saved (MLP 64-256-256-10, batch 8: 1.18 → 1.96 ms/step deferred).
 */
export const MIN_ELEMENTS = 1 << 19;

export interface DeferOptions {
  window?: number;
  minElements?: number;
}

export interface DeferredWeight {
  /** Index of the weight among the carried leaves. */
  index: number;
  /** Factor rows: window × the update's rank per step. */
  rows: number;
  /** Placeholders of the rewritten body: the loop-invariant W0 and the carried factors U [R, in], V [R, out]. */
  w0: Tensor;
  u: Tensor;
  v: Tensor;
  /** The factors after one step, to carry. */
  uNext: Tensor;
  vNext: Tensor;
}

export interface DeferredBody {
  /** Steps per window: the loop writes the deferred weights after every `window` steps. */
  window: number;
  weights: DeferredWeight[];
  /** The body's outputs rewritten: the new carry (deferred weights' entries unused) and per-step outputs. */
  newCarry: Tensor[];
  outs: Tensor[];
}

const opOf = (t: Tensor) => (t.origin.kind === 'op' ? t.origin : undefined);
const isTranspose2d = (t: Tensor) => opOf(t)?.prim === 'transpose' && t.rank === 2 && opOf(t)!.inputs[0]!.rank === 2;

/** Inner dimension of one term op(a)·op(b) of an update: the rank it adds. */
const termRank = (k: GemmUpdate['terms'][number]) => (k.transA ? k.a.shape[0]! : k.a.shape[1]!);

/**
 * Plan and rewrite a loop body (carry → newCarry, outs) so that eligible carried weights are
 * updated through low-rank factors; null when no weight qualifies.
 */
export function deferUpdates(carry: readonly Tensor[], newCarry: readonly Tensor[], outs: readonly Tensor[], steps: number, options: DeferOptions = {}): DeferredBody | null {
  const window = Math.min(steps, options.window ?? DEFAULT_WINDOW);
  const minElements = options.minElements ?? MIN_ELEMENTS;
  const outputs = [...newCarry, ...outs];
  const order = topologicalOrder(outputs);
  const plan = planGemmUpdates(order, outputs);
  const consumers = new Map<number, Tensor[]>();
  for (const t of order) for (const x of opOf(t)?.inputs ?? []) consumers.set(x.id, [...(consumers.get(x.id) ?? []), t]);
  const outputUses = new Map<number, number>();
  for (const t of outputs) outputUses.set(t.id, (outputUses.get(t.id) ?? 0) + 1);

  const eligible: { index: number; update: GemmUpdate; rows: number; views: Map<number, boolean> }[] = [];
  carry.forEach((w, index) => {
    const next = newCarry[index]!;
    const update = plan.get(next.id);
    if (!update || update.base !== w || w.rank !== 2 || w.size < minElements) return;
    // The new value is only the carried output, and W itself is no output.
    if ((consumers.get(next.id) ?? []).length > 0 || outputUses.get(next.id) !== 1) return;
    // W, and what autodiff builds from it without arithmetic: identities (it differentiates
    // through fresh ones) and 2-D transposes, which flip the orientation. id → transposed?
    const views = new Map<number, boolean>([[w.id, false]]);
    const pending = [w];
    while (pending.length > 0) {
      const v = pending.pop()!;
      for (const use of consumers.get(v.id) ?? []) {
        const prim = opOf(use)?.prim;
        if (views.has(use.id) || !(prim === 'identity' || isTranspose2d(use))) continue;
        views.set(use.id, prim === 'identity' ? views.get(v.id)! : !views.get(v.id));
        pending.push(use);
      }
    }
    const related = (t: Tensor) => views.has(t.id);
    // Every other use: the update itself (of W), or a matmul with exactly one operand a view of W.
    const matmulUse = (m: Tensor) => opOf(m)?.prim === 'matmul' && opOf(m)!.inputs.filter(related).length === 1;
    for (const id of views.keys()) {
      if (outputUses.has(id)) return;
      for (const use of consumers.get(id) ?? []) {
        if (views.has(use.id) || (use === next && id === w.id) || matmulUse(use)) continue;
        return;
      }
    }
    if (update.terms.some((k) => related(k.a) || related(k.b))) return;
    const rows = window * update.terms.reduce((sum, k) => sum + termRank(k), 0);
    if (rows > MAX_ROWS_FRACTION * Math.min(w.shape[0]!, w.shape[1]!)) return;
    eligible.push({ index, update, rows, views });
  });
  if (eligible.length === 0) return null;

  // Rebuild the body node by node, replacing uses of deferred weights.
  const mapped = new Map<number, Tensor>();
  const get = (t: Tensor) => mapped.get(t.id) ?? t;
  const deferred = new Map<number, DeferredWeight & { update: GemmUpdate; next: Tensor }>();
  const byView = new Map<number, { d: DeferredWeight; transposed: boolean }>();
  for (const e of eligible) {
    const w = carry[e.index]!;
    const [rowsIn, colsOut] = w.shape as [number, number];
    const d = {
      index: e.index,
      rows: e.rows,
      update: e.update,
      next: newCarry[e.index]!,
      w0: placeholder(`deferred.w0.${e.index}`, w.shape, w.dtype),
      u: placeholder(`deferred.u.${e.index}`, [e.rows, rowsIn], w.dtype),
      v: placeholder(`deferred.v.${e.index}`, [e.rows, colsOut], w.dtype),
      uNext: w, // set below
      vNext: w,
    };
    deferred.set(w.id, d);
    for (const [id, transposed] of e.views) byView.set(id, { d, transposed });
  }
  /** The deferred weight behind t (a view of W), and whether t is W transposed. */
  const weightOf = (t: Tensor): { d: DeferredWeight; transposed: boolean } | undefined => byView.get(t.id);
  const updates = new Map([...deferred.values()].map((d) => [d.next.id, d]));

  for (const t of order) {
    const o = opOf(t);
    if (!o || weightOf(t)) continue;
    const d = updates.get(t.id);
    if (d) {
      // New factor rows: op(a)ᵀ into U and s·op(b) into V; the oldest rows (zeros until K steps ran) drop out.
      const s = get(d.update.scale);
      const uRows = d.update.terms.map((k) => (k.transA ? get(k.a) : get(k.a).transpose()));
      const vRows = d.update.terms.map((k) => (k.transB ? get(k.b).transpose() : get(k.b)).mul(s));
      const rank = uRows.reduce((sum, r) => sum + r.shape[0]!, 0);
      const keep = (f: Tensor) => (d.rows > rank ? [f.slice([[rank, d.rows], null])] : []);
      d.uNext = concatPrimitive([...keep(d.u), ...uRows], 0);
      d.vNext = concatPrimitive([...keep(d.v), ...vRows], 0);
      continue;
    }
    if (o.prim === 'matmul') {
      const [a, b] = o.inputs as [Tensor, Tensor];
      const left = weightOf(a);
      const right = weightOf(b);
      if (right) {
        const x = get(a);
        const { d, transposed } = right;
        // x·W = x·W0 − (x·Uᵀ)·V;   x·Wᵀ = x·W0ᵀ − (x·Vᵀ)·U
        mapped.set(t.id, transposed
          ? x.matmul(d.w0.transpose()).sub(x.matmul(d.v.transpose()).matmul(d.u))
          : x.matmul(d.w0).sub(x.matmul(d.u.transpose()).matmul(d.v)));
        continue;
      }
      if (left) {
        const y = get(b);
        const { d, transposed } = left;
        // W·y = W0·y − Uᵀ·(V·y);   Wᵀ·y = W0ᵀ·y − Vᵀ·(U·y)
        mapped.set(t.id, transposed
          ? d.w0.transpose().matmul(y).sub(d.v.transpose().matmul(d.u.matmul(y)))
          : d.w0.matmul(y).sub(d.u.transpose().matmul(d.v.matmul(y))));
        continue;
      }
    }
    const inputs = o.inputs.map(get);
    if (inputs.some((x, i) => x !== o.inputs[i])) mapped.set(t.id, bind(o.prim as PrimitiveName, inputs, o.params as never));
  }
  return {
    window,
    weights: [...deferred.values()].map(({ update: _u, next: _n, ...d }) => d),
    newCarry: newCarry.map(get),
    outs: outs.map(get),
  };
}
