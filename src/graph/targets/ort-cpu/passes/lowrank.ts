// Pass of the ort-cpu target: low-rank structure in traced programs, and the rewrite that exploits it.
//
// A weight's gradient on a batch of B examples is Σ xᵀ·δ: a [in, out] matrix of rank ≤ B. Double
// backprop multiplies such matrices into activations again — the modified loss's H·∇Ĉ holds
// x·(c·∇Ĉ_W) and (c·∇Ĉ_W)·… for every layer, with c = λ/2 (Eq. 6's gradient) — and written as
// traced, each of those is a dense [B, in]·[in, out] product (plus the passes that form and scale
// the gradient). Re-associated, x·(xᵀ·δ) = (x·xᵀ)·δ costs B·B·(in + out) instead of B·in·out:
// at B = 16 and 1024 units, 32× fewer FLOPs. `reassociateLowRank` makes that choice for every 2-D
// matmul with an operand built from matmuls of small inner dimension (the matrix-chain ordering a
// compiler would pick), and takes squared norms ||Σ A·B||² through the factors' Gram matrices.
// defer.ts uses the same term algebra for the deferred weight updates of K-step loops.

import { topologicalOrder } from '../../../graph-order.ts';
import { constant, opOf, rebound, type Tensor } from '../../../tensor.ts';
import { sameShape, type DType } from '../../../types.ts';
import { LOWRANK_MAX_COST_FRACTION, LOWRANK_MAX_GRAM_RATIO, LOWRANK_MIN_DENSE_MACS } from '../tuning.ts';

export const isTranspose2d = (t: Tensor) => opOf(t)?.prim === 'transpose' && t.rank === 2 && opOf(t)!.inputs[0]!.rank === 2;

/** A signed product of scalar tensors (the empty product is 1). */
export interface Product { factors: Tensor[]; negative: boolean }

/** A factor of a low-rank term: a tensor of the program, or the difference of two (formed when rewriting). */
export type Operand = Tensor | { minus: [Tensor, Tensor] };
const shapeOf = (x: Operand) => ('minus' in x ? x.minus[0].shape : x.shape);
const sameOperand = (x: Operand, y: Operand) =>
  'minus' in x ? 'minus' in y && x.minus[0] === y.minus[0] && x.minus[1] === y.minus[1] : x === y;
export const tensorsOf = (x: Operand): Tensor[] => ('minus' in x ? x.minus : [x]);

/** Σ products · op(a)·op(b): one low-rank [rows, cols] term (rank: the inner dimension). */
export interface LowRankTerm { a: Operand; b: Operand; transA: boolean; transB: boolean; coef: Product[] }

export const termRank = (k: LowRankTerm) => (k.transA ? shapeOf(k.a)[0]! : shapeOf(k.a)[1]!);
const termRows = (k: LowRankTerm) => (k.transA ? shapeOf(k.a)[1]! : shapeOf(k.a)[0]!);
const termCols = (k: LowRankTerm) => (k.transB ? shapeOf(k.b)[0]! : shapeOf(k.b)[1]!);
export const flip = (k: LowRankTerm): LowRankTerm => ({ a: k.b, b: k.a, transA: !k.transB, transB: !k.transA, coef: k.coef });
const scaled = (ks: LowRankTerm[], f: (p: Product) => Product) => ks.map((k) => ({ ...k, coef: k.coef.map(f) }));
export const negated = (ks: LowRankTerm[]) => scaled(ks, (p) => ({ ...p, negative: !p.negative }));

/** Terms with the same factors merged (their coefficients add). */
export function merged(ks: LowRankTerm[]): LowRankTerm[] {
  const out: LowRankTerm[] = [];
  for (const k of ks) {
    const same = out.find((o) => sameOperand(o.a, k.a) && sameOperand(o.b, k.b) && o.transA === k.transA && o.transB === k.transB);
    if (same) same.coef = [...same.coef, ...k.coef];
    else out.push({ ...k });
  }
  return out;
}

/**
 * Terms grouped by their left factor: Σ_k c_k·op(a)·op(b_k) = op(a)·(Σ_k c_k·op(b_k)) has the rank
 * of one term (finite differences' ∇Ĉ + c·aᵀ·(b' − b) shares a = x with ∇Ĉ = aᵀ·b).
 */
export function byLeftFactor(ks: LowRankTerm[]): LowRankTerm[][] {
  const groups: LowRankTerm[][] = [];
  for (const k of ks) {
    const same = groups.find((g) => sameOperand(g[0]!.a, k.a) && g[0]!.transA === k.transA);
    if (same) same.push(k);
    else groups.push([k]);
  }
  return groups;
}

/** `t` as a rank-0 tensor when it is one value: a scalar, or a scalar reshaped and broadcast (a cotangent spread over a matrix). */
function scalarOf(t: Tensor): Tensor | undefined {
  if (t.rank === 0) return t;
  const o = opOf(t);
  if ((o?.prim === 'broadcastTo' || o?.prim === 'reshape') && o.inputs[0]!.size === 1) return scalarOf(o.inputs[0]!);
  return undefined;
}

/**
 * g as a sum of low-rank terms, when it is built from 2-D matmuls by +, −, negation, scalar
 * factors and transposes (a weight's gradient is Σ xᵀ·δ); else null.
 */
export function lowRankTerms(g: Tensor): LowRankTerm[] | null {
  const o = opOf(g);
  if (!o || g.rank !== 2) return null;
  const [x, y] = o.inputs as [Tensor, Tensor];
  switch (o.prim) {
    case 'matmul': {
      if (x.rank !== 2 || y.rank !== 2) return null;
      const [a, transA] = isTranspose2d(x) ? [opOf(x)!.inputs[0]!, true] : [x, false];
      const [b, transB] = isTranspose2d(y) ? [opOf(y)!.inputs[0]!, true] : [y, false];
      return [{ a, b, transA, transB, coef: [{ factors: [], negative: false }] }];
    }
    case 'transpose':
      return isTranspose2d(g) ? lowRankTerms(x)?.map(flip) ?? null : null;
    case 'identity':
      return lowRankTerms(x);
    case 'neg': {
      const inner = lowRankTerms(x);
      return inner && negated(inner);
    }
    case 'add': {
      if (!sameShape(x.shape, g.shape) || !sameShape(y.shape, g.shape)) return null;
      const [l, r] = [lowRankTerms(x), lowRankTerms(y)];
      return l && r ? [...l, ...r] : null;
    }
    case 'sub': {
      // Only the difference of two like products, a₁b₁ − a₂b₂ = (a₁ − a₂)·b₁ + a₂·(b₁ − b₂): its
      // factors are small when the products are close (finite differences), where keeping a₁b₁ and
      // a₂b₂ as separate rows would cancel them in every later use and amplify rounding by the
      // (large) coefficient of the difference.
      if (!sameShape(x.shape, g.shape) || !sameShape(y.shape, g.shape)) return null;
      const [l, r] = [lowRankTerms(x), lowRankTerms(y)];
      if (l?.length !== 1 || r?.length !== 1) return null;
      const [p, q] = [l[0]!, r[0]!];
      const unit = (k: LowRankTerm) => k.coef.length === 1 && k.coef[0]!.factors.length === 0 && !k.coef[0]!.negative;
      if (!unit(p) || !unit(q) || p.transA !== q.transA || p.transB !== q.transB) return null;
      if ('minus' in p.a || 'minus' in p.b || 'minus' in q.a || 'minus' in q.b) return null;
      if (!sameShape(p.a.shape, q.a.shape) || !sameShape(p.b.shape, q.b.shape)) return null;
      return [
        { ...p, a: { minus: [p.a, q.a] } },
        { ...q, b: { minus: [p.b, q.b] } },
      ];
    }
    case 'mul': {
      // A matrix times one value (a scalar, or a cotangent broadcast from one).
      const full = (t: Tensor) => sameShape(t.shape, g.shape);
      const [m, s] = full(x) && scalarOf(y) ? [x, scalarOf(y)] : full(y) && scalarOf(x) ? [y, scalarOf(x)] : [undefined, undefined];
      if (!m || !s) return null;
      const inner = lowRankTerms(m);
      return inner && scaled(inner, (p) => ({ ...p, factors: [...p.factors, s] }));
    }
    default:
      return null;
  }
}

/** Forms the tensors of low-rank terms in a program being rewritten (`get` maps its tensors to their rewritten values). */
export class TermBuilder {
  private readonly differences = new Map<string, Tensor>();
  constructor(private readonly get: (t: Tensor) => Tensor) {}

  /** A factor's value (a difference is formed once). */
  value(x: Operand): Tensor {
    if (!('minus' in x)) return this.get(x);
    const key = `${x.minus[0].id}-${x.minus[1].id}`;
    let d = this.differences.get(key);
    if (!d) this.differences.set(key, (d = this.get(x.minus[0]).sub(this.get(x.minus[1]))));
    return d;
  }

  op(x: Operand, trans: boolean): Tensor {
    return trans ? this.value(x).transpose() : this.value(x);
  }

  /** The scalar Σ ±Π factors of a term (null: exactly 1). */
  coefficient(k: LowRankTerm): Tensor | null {
    const ps = k.coef;
    if (ps.length === 1 && ps[0]!.factors.length === 0 && !ps[0]!.negative) return null;
    const dtype: DType = this.value(k.a).dtype;
    const values = ps.map((p) => (p.factors.length === 0 ? constant(1, [], dtype) : p.factors.map(this.get).reduce((x, y) => x.mul(y))));
    return values.slice(1).reduce((sum, v, i) => (ps[i + 1]!.negative ? sum.sub(v) : sum.add(v)), ps[0]!.negative ? values[0]!.neg() : values[0]!);
  }

  /** m times the term's coefficient. */
  scaled(m: Tensor, k: LowRankTerm): Tensor {
    const c = this.coefficient(k);
    return c ? m.mul(c) : m;
  }

  /**
   * x·M for x [m, k] and M [k, n] = Σ c·op(a)·op(b), as Σ (c·x·op(a))·op(b): the coefficient scales
   * the small [m, rank] factor. Each product is added to `acc` in turn (ONNX Runtime fuses each
   * MatMul + Add into one Gemm).
   */
  timesRight(x: Tensor, ks: LowRankTerm[], acc?: Tensor): Tensor {
    return ks.reduce<Tensor | undefined>((sum, k) => {
      const t = this.scaled(x.matmul(this.op(k.a, k.transA)), k).matmul(this.op(k.b, k.transB));
      return sum ? sum.add(t) : t;
    }, acc)!;
  }

  /** M·y for M [m, k] = Σ c·op(a)·op(b) and y [k, n], as Σ op(a)·(c·op(b)·y), added to `acc` in turn. */
  timesLeft(ks: LowRankTerm[], y: Tensor, acc?: Tensor): Tensor {
    return ks.reduce<Tensor | undefined>((sum, k) => {
      const t = this.op(k.a, k.transA).matmul(this.scaled(this.op(k.b, k.transB).matmul(y), k));
      return sum ? sum.add(t) : t;
    }, acc)!;
  }
}

/** The multiply-adds of x·M (x [m, k]) with M = Σ op(a)·op(b) taken as Σ (x·op(a))·op(b). */
const rightCost = (m: number, ks: LowRankTerm[]) => ks.reduce((s, k) => s + m * termRank(k) * (termRows(k) + termCols(k)), 0);

/**
 * The program's outputs with 2-D matmuls re-associated through low-rank operands and squared
 * norms of low-rank matrices taken through Gram matrices, wherever that costs at most
 * LOWRANK_MAX_COST_FRACTION of the dense arithmetic. Equal up to rounding (sums are associated differently).
 */
export function reassociateLowRank(outputs: readonly Tensor[]): Tensor[] {
  const order = topologicalOrder([...outputs]);
  const mapped = new Map<number, Tensor>();
  const get = (t: Tensor) => mapped.get(t.id) ?? t;
  const build = new TermBuilder(get);
  const termsOf = new Map<number, LowRankTerm[] | null>();
  const terms = (t: Tensor): LowRankTerm[] | null => {
    let ks = termsOf.get(t.id);
    if (ks === undefined) {
      ks = lowRankTerms(t);
      termsOf.set(t.id, (ks = ks && merged(ks)));
    }
    return ks;
  };

  const matmul = (x: Tensor, y: Tensor): Tensor | undefined => {
    if (x.rank !== 2 || y.rank !== 2) return undefined;
    const [m, k, n] = [x.shape[0]!, x.shape[1]!, y.shape[1]!];
    const dense = m * k * n;
    if (dense < LOWRANK_MIN_DENSE_MACS) return undefined;
    const right = terms(y);
    const left = terms(x);
    const rightMacs = right ? rightCost(m, right) : Infinity;
    // M·y = (yᵀ·Mᵀ)ᵀ: the same count on the transposed product.
    const leftMacs = left ? rightCost(n, left.map(flip)) : Infinity;
    if (Math.min(rightMacs, leftMacs) > LOWRANK_MAX_COST_FRACTION * dense) return undefined;
    return rightMacs <= leftMacs ? build.timesRight(get(x), right!) : build.timesLeft(left!, get(y));
  };

  /** Σ M⊙N over all entries for low-rank M = Σ c·op(a)·op(b), N likewise: Σ c·c'·Σ (op(a)ᵀ·op(a')) ⊙ (op(b)·op(b')ᵀ). */
  const fullSum = (p: Tensor): Tensor | undefined => {
    const o = opOf(p);
    if (o?.prim !== 'mul' || p.rank !== 2 || o.inputs.some((i) => !sameShape(i.shape, p.shape))) return undefined;
    const [ms, ns] = [terms(o.inputs[0]!), terms(o.inputs[1]!)];
    if (!ms || !ns) return undefined;
    const [rows, cols] = p.shape as [number, number];
    const gram = ms.reduce((s, k) => s + ns.reduce((s2, l) => s2 + termRank(k) * termRank(l) * (rows + cols), 0), 0);
    // The dense sum is one memory-bound pass (and forming M, N); the Gram form is GEMM arithmetic.
    if (rows * cols < LOWRANK_MIN_DENSE_MACS || gram > LOWRANK_MAX_GRAM_RATIO * rows * cols) return undefined;
    let total: Tensor | undefined;
    for (const k of ms) {
      for (const l of ns) {
        const aa = build.op(k.a, k.transA).transpose().matmul(build.op(l.a, l.transA));
        const bb = build.op(k.b, k.transB).matmul(build.op(l.b, l.transB).transpose());
        const s = build.scaled(build.scaled(aa.mul(bb).sum(), k), l);
        total = total ? total.add(s) : s;
      }
    }
    return total;
  };

  for (const t of order) {
    const o = opOf(t);
    if (!o) continue;
    let r: Tensor | undefined;
    if (o.prim === 'matmul') r = matmul(o.inputs[0]!, o.inputs[1]!);
    else if (o.prim === 'sum' && t.rank === 0 && o.inputs[0]!.rank === 2) r = fullSum(o.inputs[0]!);
    r ??= rebound(t, get);
    if (r) mapped.set(t.id, r);
  }
  return outputs.map(get);
}
