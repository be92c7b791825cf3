// Heavy-ball momentum in the theory module: the modified loss's weights and the trainer's λ (docs/theory.md),
// PyTorch's update convention, the momentum-free point, and the exact means over batch orders.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModel } from '../../src/theory/models.ts';
import {
  momentumEpochInOrder, momentumMeanOverAllOrders, momentumStep, momentumFreePoint, momentumModifiedLoss, momentumRegularizerCoefficient,
  slowManifoldState, withinEpochCorrelation,
} from '../../src/theory/momentum.ts';
import { checkMomentumSgdEpoch } from '../../src/theory/momentum-checks.ts';
import { DEFAULT_CHECK_SETTINGS, SLOPE_TOLERANCE } from '../../src/theory/checks.ts';
import { ModelPrograms } from '../../src/theory/programs.ts';
import { meanOverAllOrders } from '../../src/theory/sgd.ts';
import { axpy, combine, distance, norm } from '../../src/theory/vectors.ts';
import { compile, spec, HostTensor, type Tensor } from '../../src/graph/index.ts';
import { applyUpdates, sgd } from '../../src/optim/index.ts';

const close = (a: number, b: number, rel = 1e-14) => assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)), `${a} vs ${b}`);

test('β = 0 is the paper: C + (ε/4m)Σ||∇Ĉ_k||² (Eq. 20), λ = ε', () => {
  for (const m of [1, 2, 5, 3750]) {
    const loss = momentumModifiedLoss(0.1, 0, m);
    assert.equal(loss.effectiveRate, 0.1);
    assert.equal(loss.fullGradientWeight, 0);
    close(loss.batchGradientWeight, 0.1 / (4 * m));
    close(momentumRegularizerCoefficient(0.1, 0, m), 0.1);
  }
});

test('full batch (m = 1): C + η(1+β)/(4(1−β))||∇C||², the GD regularizer at rate η times (1+β)/(1−β)', () => {
  for (const beta of [0.5, 0.9, 0.99]) {
    const eps = 0.01;
    const eta = eps / (1 - beta);
    const loss = momentumModifiedLoss(eps, beta, 1);
    close(loss.effectiveRate, eta);
    close(loss.fullGradientWeight + loss.batchGradientWeight, ((eta / 4) * (1 + beta)) / (1 - beta), 1e-13);
  }
});

test('ρ is the double sum 2β/(m(m−1)) Σ_{n<m} Σ_{k<n} β^{n−1−k}, and the weights sum to η(1+β)/(4(1−β)) on ||∇C||²', () => {
  for (const beta of [0.3, 0.5, 0.9]) {
    for (const m of [2, 3, 5, 40]) {
      let t2 = 0;
      for (let n = 0; n < m; n++) for (let k = 0; k < n; k++) t2 += beta ** (n - 1 - k);
      close(withinEpochCorrelation(beta, m), (2 * beta * t2) / (m * (m - 1)), 1e-12);
      const eps = 0.003;
      const eta = eps / (1 - beta);
      const loss = momentumModifiedLoss(eps, beta, m);
      // Σ_k||∇Ĉ_k||² = m||∇C||² + Σ_k||∇Ĉ_k − ∇C||²: the weight on ||∇C||² is a + m·b.
      close(loss.fullGradientWeight + m * loss.batchGradientWeight, ((eta / 4) * (1 + beta)) / (1 - beta), 1e-13);
      close(momentumRegularizerCoefficient(eps, beta, m), (eps * (1 + beta)) / (1 - beta) ** 2, 1e-13);
      assert.ok(loss.batchGradientWeight > 0 && loss.batchGradientWeight <= eta / (4 * m));
    }
  }
  // Large m: the noise weight tends to the paper's η/4m at the rate η, the correction ≈ 2β/((1−β)(m−1)).
  close(withinEpochCorrelation(0.9, 3750), (2 * 0.9) / (0.1 * 3749), 1e-2);
});

test('Nesterov: the echo is β², the full-batch loss C + η(1−β+2β²)/(4(1−β))||∇C||², λ = η(1−β+2β²)/(1−β)', () => {
  for (const beta of [0.5, 0.9]) {
    const eps = 0.01;
    const eta = eps / (1 - beta);
    const gd = momentumModifiedLoss(eps, beta, 1, 'nesterov');
    close(gd.fullGradientWeight + gd.batchGradientWeight, (eta * (1 - beta + 2 * beta * beta)) / (4 * (1 - beta)), 1e-13);
    close(momentumRegularizerCoefficient(eps, beta, 7, 'nesterov'), (eta * (1 - beta + 2 * beta * beta)) / (1 - beta), 1e-13);
    close(withinEpochCorrelation(beta, 7, 'nesterov'), beta * withinEpochCorrelation(beta, 7), 1e-13);
    assert.ok(gd.fullGradientWeight < momentumModifiedLoss(eps, beta, 1).fullGradientWeight, 'β² < β: a weaker ||∇C||² term than the heavy ball');
  }
});

test("Nesterov step in PyTorch's convention, and z = w − ηβ²v moves by −η∇Ĉ(w) each step", () => {
  const state = { w: Float64Array.of(1, 2), v: Float64Array.of(0.5, -1) };
  const g = Float64Array.of(0.25, 4);
  const beta = 0.9;
  const next = momentumStep(state, g, 0.1, beta, 'nesterov');
  assert.deepEqual([...next.v], [beta * 0.5 + 0.25, beta * -1 + 4]);
  for (let i = 0; i < 2; i++) close(next.w[i]!, state.w[i]! - 0.1 * (g[i]! + beta * next.v[i]!));
  const eta = 0.1 / (1 - beta);
  const moved = combine([[1, momentumFreePoint(next, 0.1, beta, 'nesterov')], [-1, momentumFreePoint(state, 0.1, beta, 'nesterov')]]);
  assert.ok(distance(moved, combine([[-eta, g]])) < 1e-14 * norm(g) * eta);
});

test("the theory's step is the trainer's optimizer: src/optim's sgd with momentum, heavy ball and Nesterov, float64", async () => {
  const w = Float64Array.of(0.3, -1.2, 2);
  const v = Float64Array.of(0.5, 0.25, -4);
  const g = Float64Array.of(1.5, -0.5, 0.125);
  const epsilon = 0.05;
  const beta = 0.9;
  for (const nesterov of [false, true]) {
    const optimizer = sgd(epsilon, { momentum: beta, nesterov });
    const vec = spec([3], 'float64');
    const step = await compile(
      ({ w: params, v: velocity, g: grads }: { w: Tensor; v: Tensor; g: Tensor }) => {
        const { updates, state } = optimizer.update(grads, { velocity }, params);
        return { w: applyUpdates(params, updates) as Tensor, v: state.velocity as Tensor };
      },
      { w: vec, v: vec, g: vec },
      { threads: 1, name: 'optimizerStep' },
    );
    const out = (await step.run({ w: new HostTensor(w, [3]), v: new HostTensor(v, [3]), g: new HostTensor(g, [3]) })) as Record<'w' | 'v', HostTensor>;
    const theory = momentumStep({ w, v }, g, epsilon, beta, nesterov ? 'nesterov' : 'heavy-ball');
    assert.ok(distance(out.v.data as Float64Array, theory.v) <= 1e-15 * norm(theory.v), `velocity, nesterov=${nesterov}`);
    assert.ok(distance(out.w.data as Float64Array, theory.w) <= 1e-15 * norm(theory.w), `parameters, nesterov=${nesterov}`);
    await step.release();
  }
});

test('bad ε, β or m are RangeErrors naming the value', () => {
  assert.throws(() => momentumModifiedLoss(-1, 0.5, 4), /ε = -1/);
  assert.throws(() => momentumModifiedLoss(0.1, 1, 4), /β = 1/);
  assert.throws(() => momentumModifiedLoss(0.1, -0.1, 4), /β = -0.1/);
  assert.throws(() => momentumModifiedLoss(0.1, 0.5, 0), /m = 0/);
  assert.throws(() => momentumRegularizerCoefficient(0.1, 0.5, 2.5), /m = 2.5/);
});

test("heavy-ball step in PyTorch's convention, and z = w − ηβv moves by −η∇Ĉ(w) each step", () => {
  const state = { w: Float64Array.of(1, 2), v: Float64Array.of(0.5, -1) };
  const g = Float64Array.of(0.25, 4);
  const next = momentumStep(state, g, 0.1, 0.9);
  assert.deepEqual([...next.v], [0.9 * 0.5 + 0.25, 0.9 * -1 + 4]);
  assert.deepEqual([...next.w], [1 - 0.1 * next.v[0]!, 2 - 0.1 * next.v[1]!]);
  const eta = 0.1 / (1 - 0.9);
  const moved = combine([[1, momentumFreePoint(next, 0.1, 0.9)], [-1, momentumFreePoint(state, 0.1, 0.9)]]);
  assert.ok(distance(moved, combine([[-eta, g]])) < 1e-14 * norm(g) * eta);
});

test('the mean over orders at β = 0 is the SGD mean bit for bit; two epochs enumerate (m!)² orders', async () => {
  const model = createModel('mlp', { examples: 6 });
  const programs = await ModelPrograms.build(model, { batchCount: 3, batchSize: 2 });
  const w0 = model.initialParameters;
  const sgd = await meanOverAllOrders(programs, w0, 0.01);
  const heavy = await momentumMeanOverAllOrders(programs, { w: w0, v: Float64Array.from(w0, (x) => 3 * x) }, 0.01, 0);
  assert.equal(heavy.orders, 6);
  assert.deepEqual([...heavy.mean.w], [...sgd.mean]);
  const start = await slowManifoldState(programs, w0, 0.5);
  const two = await momentumMeanOverAllOrders(programs, start, 0.01, 0.5, { epochs: 2 });
  assert.equal(two.orders, 36);
  const permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  let sum: Float64Array = new Float64Array(w0.length);
  for (const first of permutations) for (const second of permutations) sum = axpy(sum, 1 / 36, (await momentumEpochInOrder(programs, start, [...first, ...second], 0.01, 0.5)).w);
  assert.ok(distance(two.mean.w, sum) < 1e-14 * norm(sum), `difference ${distance(two.mean.w, sum)}`);
  await programs.release();
});

test('two epochs averaged over both orders (the velocity carries epoch 1 noise into epoch 2) still follow the momentum loss to O(η³)', async () => {
  // The derivation averages the velocity's batch noise from earlier epochs to zero (docs/theory.md §M4);
  // a single epoch from v₀ = ∇C/(1−β) cannot test that, two epochs over all (3!)² orders do.
  const model = createModel('logistic', { examples: 6 });
  const programs = await ModelPrograms.build(model, { batchCount: 3, batchSize: 2 });
  try {
    const r = await checkMomentumSgdEpoch(programs, { ...DEFAULT_CHECK_SETTINGS, epsilonCount: 5, rk4Steps: 8 }, 0.9, { epochs: 2 });
    assert.ok(Math.abs(r.slopes!.modified! - 3) <= SLOPE_TOLERANCE, r.verdict);
    assert.ok(Math.abs(r.slopes!.plain! - 2) <= SLOPE_TOLERANCE, r.verdict);
    assert.ok(r.pass, r.verdict);
  } finally {
    await programs.release();
  }
});
