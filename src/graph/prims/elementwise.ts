// Elementwise primitives: arithmetic with numpy broadcasting, unary functions, comparisons,
// select, casts. Derivative rules are one line each, written with traced ops only.

import type { Rule, RuleTable } from '../primitives.ts';
import { bind, constant, type Tensor } from '../tensor.ts';
import { unbroadcast } from '../unbroadcast.ts';
import { GraphError, broadcastShapes, isFloat, type Aval, type DType } from '../types.ts';

type Binary = 'add' | 'sub' | 'mul' | 'div' | 'maximum';
type Unary = 'neg' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'relu' | 'abs' | 'sign';
type Compare = 'less' | 'greater' | 'equal';
export type ElementwisePrimitive = Binary | Unary | Compare | 'powScalar' | 'where' | 'cast' | 'stopGradient' | 'identity';

function sameDType(prim: string, avals: readonly Aval[]): DType {
  const d = avals[0]!.dtype;
  for (const a of avals) {
    if (a.dtype !== d) throw new GraphError(`${prim}: dtype mismatch ${d} vs ${a.dtype}`);
  }
  return d;
}

function floatOnly(prim: string, a: Aval): void {
  if (!isFloat(a.dtype)) throw new GraphError(`${prim}: needs a float tensor, got ${a.dtype}`);
}

const where = (c: Tensor, a: Tensor, b: Tensor): Tensor => bind('where', [c, a, b], {});
const zero = (like: Tensor): Tensor => constant(0, [], like.dtype);

/** A binary op with broadcasting; `vjp` returns cotangents before un-broadcasting. */
function binary<P extends Binary>(
  prim: P,
  onnx: string,
  vjp: (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor, Tensor],
): Rule<P> {
  return {
    abstractEval: ([a, b], _p) => ({ dtype: sameDType(prim, [a!, b!]), shape: broadcastShapes(prim, a!.shape, b!.shape) }),
    vjp: (g, [a, b], _p, out) => {
      const [ga, gb] = vjp(g, a!, b!, out);
      return [unbroadcast(ga, a!.shape), unbroadcast(gb, b!.shape)];
    },
    lower: (ctx, ins) => ctx.node(onnx, ins),
  };
}

function unary<P extends Unary>(
  prim: P,
  onnx: string,
  vjp: (g: Tensor, x: Tensor, out: Tensor) => Tensor | null,
  integersToo = false,
): Rule<P> {
  return {
    abstractEval: ([x], _p) => {
      if (integersToo ? x!.dtype === 'bool' : !isFloat(x!.dtype)) {
        throw new GraphError(`${prim}: not defined for ${x!.dtype} tensors`);
      }
      return { dtype: x!.dtype, shape: x!.shape };
    },
    vjp: (g, [x], _p, out) => [vjp(g, x!, out)],
    lower: (ctx, ins) => ctx.node(onnx, ins),
  };
}

function compare<P extends Compare>(prim: P, onnx: string): Rule<P> {
  return {
    abstractEval: ([a, b], _p) => (sameDType(prim, [a!, b!]), { dtype: 'bool', shape: broadcastShapes(prim, a!.shape, b!.shape) }),
    vjp: () => [null, null],
    lower: (ctx, ins) => ctx.node(onnx, ins),
  };
}

export const elementwiseRules: RuleTable<ElementwisePrimitive> = {
  add: binary('add', 'Add', (g) => [g, g]),
  sub: binary('sub', 'Sub', (g) => [g, g.neg()]),
  mul: binary('mul', 'Mul', (g, a, b) => [g.mul(b), g.mul(a)]),
  // d(a/b) = da/b - (a/b) db/b
  div: binary('div', 'Div', (g, _a, b, out) => [g.div(b), g.mul(out).div(b).neg()]),
  // Ties send the whole cotangent to the second operand, so relu-like max(x, 0) has slope 0 at 0.
  maximum: binary('maximum', 'Max', (g, a, b) => {
    const aWins = a.greater(b);
    return [where(aWins, g, zero(g)), where(aWins, zero(g), g)];
  }),
  neg: unary('neg', 'Neg', (g) => g.neg(), true),
  exp: unary('exp', 'Exp', (g, _x, out) => g.mul(out)), // d e^x = e^x dx
  log: unary('log', 'Log', (g, x) => g.div(x)), // d log x = dx / x
  sqrt: unary('sqrt', 'Sqrt', (g, _x, out) => g.div(out.mul(2))), // d √x = dx / (2√x)
  tanh: unary('tanh', 'Tanh', (g, _x, out) => g.mul(out.mul(out).neg().add(1))), // d tanh = (1 - tanh²) dx
  relu: unary('relu', 'Relu', (g, x) => where(x.greater(0), g, zero(g))), // subgradient 0 at 0
  abs: unary('abs', 'Abs', (g, x) => g.mul(x.sign()), true),
  sign: unary('sign', 'Sign', () => null, true),
  powScalar: {
    abstractEval: ([x], _p) => (floatOnly('powScalar', x!), { dtype: x!.dtype, shape: x!.shape }),
    // d x^p = p x^(p-1) dx
    vjp: (g, [x], { exponent: p }) => [p === 0 ? null : g.mul(p === 1 ? constant(1, [], x!.dtype) : x!.pow(p - 1).mul(p))],
    lower: (ctx, [x], { exponent: p }, { out }) => {
      if (p === 2) return ctx.node('Mul', [x!, x!]);
      if (p === 1) return ctx.node('Identity', [x!]);
      if (p === 0.5) return ctx.node('Sqrt', [x!]);
      if (p === -1) return ctx.node('Reciprocal', [x!]);
      return ctx.node('Pow', [x!, ctx.scalar(p, out.dtype)]);
    },
  },
  less: compare('less', 'Less'),
  greater: compare('greater', 'Greater'),
  equal: compare('equal', 'Equal'),
  where: {
    abstractEval: ([c, a, b], _p) => {
      if (c!.dtype !== 'bool') throw new GraphError(`where: condition must be bool, got ${c!.dtype}`);
      const dtype = sameDType('where', [a!, b!]);
      return { dtype, shape: broadcastShapes('where', broadcastShapes('where', c!.shape, a!.shape), b!.shape) };
    },
    vjp: (g, [c, a, b]) => [null, unbroadcast(where(c!, g, zero(g)), a!.shape), unbroadcast(where(c!, zero(g), g), b!.shape)],
    lower: (ctx, ins) => ctx.node('Where', ins),
  },
  cast: {
    abstractEval: ([x], { dtype }) => ({ dtype, shape: x!.shape }),
    vjp: (g, [x]) => [isFloat(x!.dtype) && isFloat(g.dtype) ? g.cast(x!.dtype) : null],
    lower: (ctx, ins, { dtype }) => ctx.node('Cast', ins, { to: ctx.onnxType(dtype) }),
  },
  stopGradient: {
    abstractEval: ([x], _p) => x!,
    vjp: () => [null],
    lower: (ctx, ins) => ctx.node('Identity', ins),
  },
  // A fresh name for a value: grad(f)(x) differentiates through identity(x), so that a nested
  // derivative with respect to x cannot confuse its perturbation with an outer one.
  identity: {
    abstractEval: ([x], _p) => x!,
    vjp: (g) => [g],
    lower: (ctx, ins) => ctx.node('Identity', ins),
  },
};

