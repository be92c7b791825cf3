// The building blocks of the theory checks: slope fits, RK4's order, subset enumeration, the exact
// enumeration of batch orders, and the compiled graphs against finite differences.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { halvingGrid, localSlopes, logLogSlope } from '../../src/theory/fit.ts';
import { rk4, solveFlowAdaptively } from '../../src/theory/integrate.ts';
import { subsets } from '../../src/theory/checks.ts';
import { createModel } from '../../src/theory/models.ts';
import { ModelPrograms } from '../../src/theory/programs.ts';
import { epochInOrder, forwardThenReversed, meanOverAllOrders } from '../../src/theory/sgd.ts';
import { axpy, combine, distance, norm } from '../../src/theory/vectors.ts';

test('log-log slopes recover the exponent of a power law', () => {
  const eps = halvingGrid(0.5, 6);
  assert.deepEqual(eps, [0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625]);
  const errors = eps.map((e) => 7 * e ** 3);
  assert.ok(Math.abs(logLogSlope(eps, errors) - 3) < 1e-12);
  for (const s of localSlopes(eps, errors)) assert.ok(Math.abs(s - 3) < 1e-12);
});

test('RK4 has global order 4 on ẇ = −Aw, and adaptive doubling meets its tolerance', async () => {
  // A rotation-plus-decay field with the exact solution e^{-t}(cos t, −sin t) from (1, 0).
  const field = async (w: Float64Array) => Float64Array.of(-w[0]! + w[1]!, -w[0]! - w[1]!);
  const exact = Float64Array.of(Math.exp(-1) * Math.cos(1), -Math.exp(-1) * Math.sin(1));
  const start = Float64Array.of(1, 0);
  const e1 = distance(await rk4(field, start, 1, 8), exact);
  const e2 = distance(await rk4(field, start, 1, 16), exact);
  assert.ok(Math.abs(Math.log2(e1 / e2) - 4) < 0.2, `order ${Math.log2(e1 / e2)}`);
  const solved = await solveFlowAdaptively(field, start, 1, 4, () => 1e-10);
  assert.ok(solved.integratorError <= 1e-10);
  assert.ok(distance(solved.end, exact) < 1e-10);
});

test('subsets enumerates every B-subset once, in order', () => {
  const all = [...subsets(5, 2)];
  assert.equal(all.length, 10);
  assert.deepEqual(all[0], [0, 1]);
  assert.deepEqual(all[9], [3, 4]);
  assert.equal(new Set(all.map((s) => s.join())).size, 10);
  assert.equal([...subsets(4, 4)].length, 1);
});

test('mean over all orders visits m! orders and equals the plain average of each order run alone', async () => {
  const model = createModel('mlp', { examples: 6 });
  const programs = await ModelPrograms.build(model, { batchCount: 3, batchSize: 2 });
  const w0 = model.initialParameters;
  const { mean, orders } = await meanOverAllOrders(programs, w0, 0.01, 2);
  assert.equal(orders, 6);
  const permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  const runs = await Promise.all(permutations.map((o) => epochInOrder(programs, w0, o, 0.01, 2)));
  const average = combine(runs.map((r) => [1 / 6, r] as const));
  assert.ok(distance(mean, average) < 1e-14 * norm(average), `difference ${distance(mean, average)}`);
  assert.deepEqual(forwardThenReversed(3), [0, 1, 2, 2, 1, 0]);
  await programs.release();
});

test('the flow-field graph: ∇||∇C||² and ∇Σ||∇Ĉ_k||² match central differences of the batch gradients', async () => {
  const model = createModel('logistic', { examples: 6 });
  const programs = await ModelPrograms.build(model, { batchCount: 3, batchSize: 2 });
  const w0 = model.initialParameters;
  const parts = await programs.flowField(w0);
  // Σ_k ∇Ĉ_k / m = ∇C: the batch graph and the field graph agree.
  const batch = await programs.batchGradients(w0);
  assert.ok(distance(combine(batch.map((g) => [1 / 3, g] as const)), parts.gradient) < 1e-15 * 10);
  // Directional derivative of Σ_k||∇Ĉ_k||² along v, by central differences of the batch gradients.
  const v = Float64Array.from({ length: w0.length }, (_, i) => Math.sin(i + 1));
  const h = 1e-5;
  const sumNorms = async (w: Float64Array) => (await programs.batchGradients(w)).reduce((s, g) => s + norm(g) ** 2, 0);
  const fd = ((await sumNorms(axpy(w0, h, v))) - (await sumNorms(axpy(w0, -h, v)))) / (2 * h);
  const exact = parts.batchNormGradient.reduce((s, x, i) => s + x * v[i]!, 0);
  assert.ok(Math.abs(fd - exact) < 1e-7 * Math.abs(exact), `fd ${fd} vs ${exact}`);
  const gradNorm = async (w: Float64Array) => norm((await programs.flowField(w)).gradient) ** 2;
  const fdSharp = ((await gradNorm(axpy(w0, h, v))) - (await gradNorm(axpy(w0, -h, v)))) / (2 * h);
  const exactSharp = parts.sharpnessGradient.reduce((s, x, i) => s + x * v[i]!, 0);
  assert.ok(Math.abs(fdSharp - exactSharp) < 1e-7 * Math.abs(exactSharp), `fd ${fdSharp} vs ${exactSharp}`);
  await programs.release();
});

test('the per-kind flow fields equal −∇C̃ combined from the parts of the full field graph', async () => {
  const model = createModel('mlp', { examples: 6 });
  const programs = await ModelPrograms.build(model, { batchCount: 3, batchSize: 2 });
  const w0 = model.initialParameters;
  const parts = await programs.flowField(w0);
  const scale = norm(parts.gradient);
  const cases = [
    [await programs.flowVectorField('plain', w0, 0), combine([[-1, parts.gradient]])],
    [await programs.flowVectorField('gd', w0, 0.3), combine([[-1, parts.gradient], [-0.3, parts.sharpnessGradient]])],
    [await programs.flowVectorField('sgd', w0, 0.3), combine([[-1, parts.gradient], [-0.3, parts.batchNormGradient]])],
  ] as const;
  for (const [fast, combined] of cases) assert.ok(distance(fast, combined) < 1e-13 * scale, `difference ${distance(fast, combined)}`);
  await programs.release();
});
