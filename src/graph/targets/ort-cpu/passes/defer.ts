// Pass of the ort-cpu target: deferred low-rank weight updates for K-step loops (compileLoop with
// `deferCarries`), implementing the deferred-carry contract of targets/target.ts.
//
// A small-batch SGD update of a matmul weight is low rank: W_{t+1} = W_t − s_t·Σ_k A_k·B_k with
// inner dimension the batch size. Written out every step it costs four passes over W (ONNX Runtime's
// Gemm copies C into Y, then accumulates into Y), which bounds small-batch steps: they are memory
// bound. Deferred, the loop keeps W0 fixed and carries the factors instead,
//     W_t = W0 + Uᵀ·V,   U = [A_τ,kᵀ rows], V = [−s_τ·B_τ,k rows]   (τ < t),
// rewriting every use of W in the step as x·W = x·W0 + (x·Uᵀ)·V (and likewise for Wᵀ and for W on
// the left), and forms W = W0 + Uᵀ·V, as one Gemm, once per window of steps (compileLoop nests
// the windows in an outer Loop). The arithmetic is the same up to rounding (sums are associated
// differently), so results are not bit-identical to the eager loop.
//
// The body may also use W shifted by low-rank terms (the finite-difference point w + h∇Ĉ, n-step
// SGD's intermediate weights): such a "view" is W0 + Uᵀ·V − Σ extra terms, and matmuls with it get
// one more low-rank product per term. Every correction is added (V carries the minus sign, the
// extra terms' −c scales their small [m, rank] factor), so ONNX Runtime fuses each MatMul + Add
// into one Gemm instead of a MatMul, a Sub and a Mul over the [m, n] output. A weight is deferred
// only when every use of its views is a matmul operand, its new value is a view whose extra terms
// are the step's update and nothing else uses it, and the window·rank factor rows stay small
// against the matrix (DEFER_MAX_ROWS_FRACTION) and their cost small against the passes saved
// (DEFER_MAX_TERM_COST).

import { topologicalOrder } from '../../../graph-order.ts';
import { byLeftFactor, flip, isTranspose2d, lowRankTerms, merged, negated, tensorsOf, termRank, TermBuilder, type LowRankTerm } from './lowrank.ts';
import { concat as concatPrimitive } from '../../../prims/shape.ts';
import { opOf, placeholder, rebound, type Tensor } from '../../../tensor.ts';
import type { DeferredCarry, DeferredLoop } from '../../target.ts';
import { DEFER_DEFAULT_WINDOW, DEFER_MAX_ROWS_FRACTION, DEFER_MAX_TERM_COST, DEFER_MIN_ELEMENTS } from '../tuning.ts';

/** The most rows of the other operand of any matmul with one of the views (m of m·R·(k + n)). */
function widestOperand(views: Map<number, unknown>, consumers: Map<number, Tensor[]>): number {
  let m = 0;
  for (const id of views.keys()) {
    for (const use of consumers.get(id) ?? []) {
      const o = opOf(use);
      if (o?.prim !== 'matmul' || views.has(use.id)) continue;
      const [a, b] = o.inputs as [Tensor, Tensor];
      m = Math.max(m, views.has(b.id) ? a.shape[0]! : b.shape[1]!);
    }
  }
  return m;
}

export interface DeferOptions {
  window?: number;
  minElements?: number;
}

/** A weight while the body is rebuilt: its placeholders W0, U [R, in], V [R, out] and the factors after one step. */
interface DeferredWeight {
  index: number;
  /** Factor rows: window × the update's rank per step. */
  rows: number;
  w0: Tensor;
  u: Tensor;
  v: Tensor;
  uNext: Tensor;
  vNext: Tensor;
  /** The weight's new value in the traced body (replaced by the factors). */
  next: Tensor;
}

/** The contract's deferred carry of a weight: state [U, V] from zeros, written as W0 + Uᵀ·V in one Gemm. */
const deferredCarry = (d: DeferredWeight): DeferredCarry => ({
  index: d.index,
  base: d.w0,
  state: [d.u, d.v],
  stateNext: [d.uNext, d.vNext],
  write: (g, w0, [u, v]) => g.node('Gemm', [u!, v!, w0], { transA: 1 }),
});

/**
 * How the body sees a deferred weight W: W0 + Uᵀ·V − Σ extra (shifts such as the finite-difference
 * point w + h∇Ĉ, and for the new value the step's own update), or its transpose.
 */
interface View { index: number; transposed: boolean; extra: LowRankTerm[] }

/**
 * The views of W in the body (W, identities, 2-D transposes, and W ∓ low-rank terms), if every use
 * of them is another view, a matmul with one view operand, or (for `next`, the new value) the
 * carried output; else null.
 */
function viewsOf(w: Tensor, index: number, next: Tensor, consumers: Map<number, Tensor[]>, outputUses: Map<number, number>): Map<number, View> | null {
  const views = new Map<number, View>([[w.id, { index, transposed: false, extra: [] }]]);
  const pending = [w];
  const isView = (t: Tensor) => views.has(t.id);
  while (pending.length > 0) {
    const v = pending.pop()!;
    const view = views.get(v.id)!;
    if (outputUses.has(v.id) && !(v === next && outputUses.get(v.id) === 1 && !view.transposed)) return null;
    for (const use of consumers.get(v.id) ?? []) {
      if (views.has(use.id)) continue;
      const o = opOf(use)!;
      if (o.prim === 'matmul' && o.inputs.filter(isView).length === 1) continue;
      let derived: View | undefined;
      if (o.prim === 'identity') derived = view;
      else if (isTranspose2d(use)) derived = { ...view, transposed: !view.transposed };
      else if ((o.prim === 'sub' || o.prim === 'add') && o.inputs[0] === v && !isView(o.inputs[1]!)) {
        const terms = lowRankTerms(o.inputs[1]!);
        if (!terms || terms.some((k) => [...tensorsOf(k.a), ...tensorsOf(k.b)].some(isView))) return null;
        // Extra terms are kept in W's orientation; subtracting adds them, adding subtracts them.
        const oriented = view.transposed ? terms.map(flip) : terms;
        derived = { ...view, extra: merged([...view.extra, ...(o.prim === 'sub' ? oriented : negated(oriented))]) };
      }
      if (!derived) return null;
      views.set(use.id, derived);
      pending.push(use);
    }
  }
  const last = views.get(next.id);
  if (!last || last.transposed || (consumers.get(next.id) ?? []).length > 0 || outputUses.get(next.id) !== 1) return null;
  // A factor that is itself a view (found later in the search) would need W formed: not deferred.
  for (const v of views.values()) if (v.extra.some((k) => [...tensorsOf(k.a), ...tensorsOf(k.b)].some(isView))) return null;
  return views;
}

/**
 * Plan and rewrite a loop body (carry → newCarry, outs) so that eligible carried weights are
 * updated through low-rank factors; null when no weight qualifies.
 */
export function deferUpdates(carry: readonly Tensor[], newCarry: readonly Tensor[], outs: readonly Tensor[], steps: number, options: DeferOptions = {}): DeferredLoop | null {
  const window = Math.min(steps, options.window ?? DEFER_DEFAULT_WINDOW);
  const minElements = options.minElements ?? DEFER_MIN_ELEMENTS;
  const outputs = [...newCarry, ...outs];
  const order = topologicalOrder(outputs);
  const consumers = new Map<number, Tensor[]>();
  for (const t of order) {
    for (const x of opOf(t)?.inputs ?? []) {
      const list = consumers.get(x.id);
      if (list) list.push(t);
      else consumers.set(x.id, [t]);
    }
  }
  const outputUses = new Map<number, number>();
  for (const t of outputs) outputUses.set(t.id, (outputUses.get(t.id) ?? 0) + 1);

  const views = new Map<number, View>();
  const deferred = new Map<number, DeferredWeight>();
  carry.forEach((w, index) => {
    const next = newCarry[index]!;
    if (w.rank !== 2 || (w.dtype !== 'float32' && w.dtype !== 'float64') || w.size < minElements) return;
    const found = viewsOf(w, index, next, consumers, outputUses);
    if (!found) return;
    const rows = window * byLeftFactor(found.get(next.id)!.extra).reduce((sum, g) => sum + termRank(g[0]!), 0);
    const [k, n] = w.shape as [number, number];
    if (rows === 0 || rows > DEFER_MAX_ROWS_FRACTION * Math.min(k, n)) return;
    if (widestOperand(found, consumers) * rows * (k + n) > DEFER_MAX_TERM_COST * k * n) return;
    for (const [id, v] of found) views.set(id, v);
    deferred.set(index, {
      index, rows, next,
      w0: placeholder(`deferred.w0.${index}`, w.shape, w.dtype),
      u: placeholder(`deferred.u.${index}`, [rows, w.shape[0]!], w.dtype),
      v: placeholder(`deferred.v.${index}`, [rows, w.shape[1]!], w.dtype),
      uNext: w, // set below
      vNext: w,
    });
  });
  if (deferred.size === 0) return null;

  // Rebuild the body node by node: views are never formed; matmuls with a view and the new values
  // are written in terms of W0, the factors and the extra terms.
  const mapped = new Map<number, Tensor>();
  const get = (t: Tensor) => mapped.get(t.id) ?? t;
  const build = new TermBuilder(get);

  for (const t of order) {
    const o = opOf(t);
    if (!o || (views.has(t.id) && t !== deferred.get(views.get(t.id)!.index)?.next)) continue;
    const asView = views.get(t.id);
    if (asView) {
      // The new value: one more step's terms become factor rows, op(a)ᵀ into U and −c·op(b) into V;
      // the oldest rows (zeros until a window has run) drop out.
      const d = deferred.get(asView.index)!;
      // Terms that share a left factor share its rows: op(a)·Σ c·op(b).
      const groups = byLeftFactor(asView.extra);
      const uRows = groups.map((g) => build.op(g[0]!.a, !g[0]!.transA));
      const vRows = groups.map((g) => negated(g).map((k) => build.scaled(build.op(k.b, k.transB), k)).reduce((sum, r) => sum.add(r)));
      const rank = uRows.reduce((sum, r) => sum + r.shape[0]!, 0);
      const keep = (f: Tensor) => (d.rows > rank ? [f.slice([[rank, d.rows], null])] : []);
      d.uNext = concatPrimitive([...keep(d.u), ...uRows], 0);
      d.vNext = concatPrimitive([...keep(d.v), ...vRows], 0);
      continue;
    }
    if (o.prim === 'matmul') {
      const [a, b] = o.inputs as [Tensor, Tensor];
      const right = views.get(b.id);
      const left = views.get(a.id);
      if (right) {
        const x = get(a);
        const d = deferred.get(right.index)!;
        // x·M = x·W0 + (x·Uᵀ)·V + Σ (−c·x·op(a))·op(b);   x·Mᵀ = x·W0ᵀ + (x·Vᵀ)·U + Σ (−c·x·op(b)ᵀ)·op(a)ᵀ
        const r = right.transposed
          ? x.matmul(d.w0.transpose()).add(x.matmul(d.v.transpose()).matmul(d.u))
          : x.matmul(d.w0).add(x.matmul(d.u.transpose()).matmul(d.v));
        mapped.set(t.id, build.timesRight(x, negated(right.transposed ? right.extra.map(flip) : right.extra), r));
        continue;
      }
      if (left) {
        const y = get(b);
        const d = deferred.get(left.index)!;
        // M·y = W0·y + Uᵀ·(V·y) + Σ op(a)·(−c·op(b)·y);   Mᵀ·y = W0ᵀ·y + Vᵀ·(U·y) + Σ op(b)ᵀ·(−c·op(a)ᵀ·y)
        const r = left.transposed
          ? d.w0.transpose().matmul(y).add(d.v.transpose().matmul(d.u.matmul(y)))
          : d.w0.matmul(y).add(d.u.transpose().matmul(d.v.matmul(y)));
        mapped.set(t.id, build.timesLeft(negated(left.transposed ? left.extra.map(flip) : left.extra), y, r));
        continue;
      }
    }
    const r = rebound(t, get);
    if (r) mapped.set(t.id, r);
  }
  return {
    window,
    carries: [...deferred.values()].map(deferredCarry),
    newCarry: newCarry.map(get),
    outs: outs.map(get),
  };
}
