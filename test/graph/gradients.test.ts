// The gradient-check table: every primitive (and the composites built on them), at order 1 and 2,
// in float64, against central differences and the VJP inner-product identity.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkGrads } from '../../src/graph/check.ts';
import { avgPool2d, compile, concat, conv2d, constant, globalAvgPool, grad, logSumExp, oneHot, softplus, sigmoid, spec, where, type Tensor } from '../../src/graph/index.ts';
import { host64, maxRelDiff } from './helpers.ts';
import { bind } from '../../src/graph/tensor.ts';
import type { Shape } from '../../src/graph/types.ts';
import type { PrimitiveName } from '../../src/graph/primitive-params.ts';

type Domain = 'any' | 'positive';
interface Case {
  name: string;
  fn: (...xs: Tensor[]) => Tensor | Tensor[];
  shapes: Shape[];
  domain?: Domain;
  /** Central differences of a function that rounds through float32 are only that accurate. */
  fdTolerance?: number;
  /** Likewise the cotangent, which is rounded through float32 on its way back. */
  identityTolerance?: number;
  /**
   * `fn` plus terms that pass through a stopGradient: its derivatives (order 1 and 2) must equal
   * fn's, which central differences check, although its values differ.
   */
  stopped?: (...xs: Tensor[]) => Tensor;
}

const positive = (k: number, rand: () => number) => 0.5 + 1.5 * rand();

/**
 * A row per primitive, typed by the vocabulary (primitive-params.ts), so that tsc demands one for a
 * new primitive; each row has at least one case that exercises it.
 */
const PRIMITIVES: { [P in PrimitiveName]: [Case, ...Case[]] } = {
  add: [{ name: 'add (broadcast)', fn: (a, b) => a!.add(b!), shapes: [[3, 4], [4]] }],
  sub: [{ name: 'sub (broadcast both)', fn: (a, b) => a!.sub(b!), shapes: [[3, 1], [1, 4]] }],
  mul: [{ name: 'mul', fn: (a, b) => a!.mul(b!), shapes: [[2, 3], [2, 3]] }, { name: 'square', fn: (a) => a!.square(), shapes: [[2, 3]] }],
  div: [{ name: 'div', fn: (a, b) => a!.div(b!), shapes: [[2, 3], [3]], domain: 'positive' }],
  maximum: [{ name: 'maximum', fn: (a, b) => a!.maximum(b!), shapes: [[4, 3], [4, 3]] }],
  neg: [{ name: 'neg', fn: (a) => a!.neg(), shapes: [[5]] }],
  exp: [{ name: 'exp', fn: (a) => a!.exp(), shapes: [[2, 3]] }],
  log: [{ name: 'log', fn: (a) => a!.log(), shapes: [[2, 3]], domain: 'positive' }],
  sqrt: [{ name: 'sqrt', fn: (a) => a!.sqrt(), shapes: [[2, 3]], domain: 'positive' }],
  tanh: [{ name: 'tanh', fn: (a) => a!.tanh(), shapes: [[2, 3]] }],
  relu: [{ name: 'relu', fn: (a) => a!.relu().mul(a!), shapes: [[3, 4]] }],
  abs: [{ name: 'abs', fn: (a) => a!.abs().mul(a!), shapes: [[3, 4]] }],
  sign: [{ name: 'sign', fn: (a) => a!.sign().mul(a!.mul(a!)), shapes: [[3, 4]] }],
  powScalar: [
    { name: 'powScalar 3', fn: (a) => a!.pow(3), shapes: [[2, 3]] },
    { name: 'powScalar -1.5', fn: (a) => a!.pow(-1.5), shapes: [[2, 3]], domain: 'positive' },
  ],
  less: [{ name: 'less', fn: (a, b) => where(a!.less(0.2), a!.exp(), b!.tanh()), shapes: [[3, 4], [3, 4]] }],
  greater: [{ name: 'greater', fn: (a) => where(a!.greater(0.1), a!.square(), a!.neg()), shapes: [[3, 4]] }],
  equal: [{ name: 'equal (one-hot)', fn: (a) => a!.mul(oneHot(constant([2, 0, 1], [3], 'int32'), 4, 'float64')).sum(-1), shapes: [[3, 4]] }],
  where: [{ name: 'where + greater', fn: (a, b) => where(a!.greater(b!), a!.mul(b!), a!.add(b!)), shapes: [[3, 4], [3, 4]] }],
  cast: [{ name: 'cast float64→float32→float64', fn: (a) => a!.cast('float32').cast('float64').mul(a!), shapes: [[3]], fdTolerance: 1e-2, identityTolerance: 1e-6 }],
  // Its derivative is zero by definition, not by the function's values: central differences see through
  // it, so the case checks the gradient of a function whose stopped part differentiates to zero.
  stopGradient: [{ name: 'stopGradient (its branch contributes no gradient)', fn: (a) => a!.tanh(), stopped: (a) => a!.tanh().add(a!.square().stopGradient()), shapes: [[2, 3]] }],
  identity: [{ name: 'identity', fn: (a) => bind('identity', [a!.mul(a!)], {}), shapes: [[4]] }],
  sum: [
    { name: 'sum (axes, keepdims)', fn: (a) => a!.mul(a!).sum([0, 2], true), shapes: [[2, 3, 4]] },
    { name: 'sum (all)', fn: (a) => a!.mul(a!).sum(), shapes: [[2, 3]] },
  ],
  max: [{ name: 'max (axis)', fn: (a) => a!.mul(a!).max(1), shapes: [[3, 5]] }],
  reshape: [{ name: 'reshape', fn: (a) => a!.reshape([6, 2]).mul(a!.reshape([6, 2])), shapes: [[3, 4]] }],
  transpose: [{ name: 'transpose', fn: (a, b) => a!.transpose([2, 0, 1]).mul(b!), shapes: [[2, 3, 4], [4, 2, 3]] }],
  broadcastTo: [{ name: 'broadcastTo', fn: (a) => a!.broadcastTo([3, 2, 4]).mul(a!.broadcastTo([3, 2, 4])), shapes: [[2, 1]] }],
  slice: [{ name: 'slice', fn: (a) => a!.slice([[1, 3], null, [0, 2]]).square(), shapes: [[4, 2, 3]] }],
  pad: [{ name: 'pad', fn: (a) => a!.square().pad([[1, 2], [0, 1]]), shapes: [[2, 3]] }],
  concat: [{ name: 'concat', fn: (a, b) => concat([a!.square(), b!, a!], 1), shapes: [[2, 3], [2, 1]] }],
  matmul: [
    { name: 'matmul', fn: (a, b) => a!.matmul(b!).tanh(), shapes: [[3, 4], [4, 2]] },
    { name: 'matmul (batched, broadcast)', fn: (a, b) => a!.matmul(b!).square(), shapes: [[2, 3, 4], [4, 5]] },
  ],
  conv2d: [
    { name: 'conv2d 3x3 stride 1 pad 1', fn: (x, w) => conv2d(x!, w!, { padding: 1 }).tanh(), shapes: [[2, 3, 5, 5], [4, 3, 3, 3]] },
    { name: 'conv2d 3x3 on 16x16 (weight gradient as per-example GEMMs)', fn: (x, w) => conv2d(x!, w!, { padding: 1 }).tanh(), shapes: [[2, 2, 16, 16], [2, 2, 3, 3]] },
    { name: 'conv2d 3x3 stride 2 pad 1', fn: (x, w) => conv2d(x!, w!, { stride: 2, padding: 1 }).tanh(), shapes: [[1, 2, 6, 6], [3, 2, 3, 3]] },
    { name: 'conv2d 1x1 stride 2 (odd size)', fn: (x, w) => conv2d(x!, w!, { stride: 2 }).square(), shapes: [[2, 3, 5, 5], [2, 3, 1, 1]] },
    { name: 'conv2d 2x3 asymmetric padding', fn: (x, w) => conv2d(x!, w!, { stride: [2, 1], padding: [1, 0, 0, 2] }).tanh(), shapes: [[1, 2, 5, 4], [2, 2, 2, 3]] },
    // Ho·Wo < 4·O: the weight gradient as one whole-batch GEMM against the unfolded Xᵀ.
    { name: 'conv2d 3x3 on 4x4, 8 outputs (weight gradient as one whole-batch GEMM)', fn: (x, w) => conv2d(x!, w!, { padding: 1 }).tanh(), shapes: [[2, 3, 4, 4], [8, 3, 3, 3]] },
    { name: 'conv2d 2x3 asymmetric padding, 6 outputs (whole-batch GEMM)', fn: (x, w) => conv2d(x!, w!, { stride: [2, 1], padding: [1, 0, 0, 2] }).tanh(), shapes: [[2, 2, 5, 4], [6, 2, 2, 3]] },
  ],
  conv2dInputGrad: [{
    name: 'conv2dInputGrad',
    fn: (g, w) => bind('conv2dInputGrad', [g!, w!], { stride: [2, 2], padding: [1, 1, 1, 1], inputSize: [6, 6] }).tanh(),
    shapes: [[1, 3, 3, 3], [3, 2, 3, 3]],
  }],
  conv2dWeightGrad: [{
    name: 'conv2dWeightGrad',
    fn: (x, g) => bind('conv2dWeightGrad', [x!, g!], { stride: [1, 1], padding: [1, 1, 1, 1], kernelSize: [3, 3] }).tanh(),
    shapes: [[2, 2, 4, 4], [2, 3, 4, 4]],
  }],
  logSoftmax: [{ name: 'logSoftmax', fn: (a) => a!.logSoftmax(-1), shapes: [[3, 5]] }],
};

/** Composites built from primitives (src/graph/ops.ts). */
const COMPOSITES: Case[] = [
  { name: 'mean', fn: (a) => a!.tanh().mean(0), shapes: [[4, 3]] },
  { name: 'logSumExp', fn: (a) => logSumExp(a!, 1), shapes: [[3, 5]] },
  { name: 'softplus', fn: (a) => softplus(a!), shapes: [[3, 5]] },
  { name: 'sigmoid', fn: (a) => sigmoid(a!), shapes: [[3, 5]] },
  { name: 'avgPool2d', fn: (a) => avgPool2d(a!.square(), 2), shapes: [[1, 2, 4, 6]] },
  { name: 'globalAvgPool', fn: (a) => globalAvgPool(a!.tanh()), shapes: [[2, 3, 4, 4]] },
];

const table: Case[] = [...Object.values(PRIMITIVES).flat(), ...COMPOSITES];

type Unary = (x: Tensor) => Tensor;
/** ∇ Σf at a fixed point (order 1), or ∇ ||∇ Σf||² (order 2), in float64. */
async function derivative(f: Unary, shape: Shape, order: 1 | 2): Promise<Float64Array> {
  const g = (x: Tensor) => grad((y: Tensor) => f(y).sum())(x);
  const d = order === 1 ? g : (x: Tensor) => grad((y: Tensor) => g(y).square().sum())(x);
  const program = await compile(({ x }: { x: Tensor }) => d(x), { x: spec(shape, 'float64') }, { threads: 1 });
  const out = await program.run({ x: host64([...shape], 5) });
  await program.release();
  return out.data as Float64Array;
}

for (const c of table) {
  for (const order of [1, 2] as const) {
    test(`grad check order ${order}: ${c.name}`, async () => {
      const r = await checkGrads(c.fn, c.shapes, { order, sample: c.domain === 'positive' ? positive : undefined });
      assert.ok(r.fdError < (c.fdTolerance ?? 1e-6), `central differences: relative error ${r.fdError}`);
      assert.ok(r.identityError < (c.identityTolerance ?? 1e-10), `<t, Jᵀc> = <Jt, c>: relative error ${r.identityError}`);
      if (c.stopped) {
        const [want, got] = await Promise.all([derivative(c.fn as Unary, c.shapes[0]!, order), derivative(c.stopped as Unary, c.shapes[0]!, order)]);
        assert.ok(maxRelDiff(got, want) < 1e-12, `the stopped terms changed the derivative by ${maxRelDiff(got, want)}`);
      }
    });
  }
}
