// Step builders against the compiler's own float64 derivatives: plain, modified (exact and finite
// differences, with the FD error O(r)), n-step SGD, and the weight-decay term of the cost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, compileLoop, flatten, grad, hvp, spec, HostTensor, type Tensor, type Tree } from '../../src/graph/index.ts';
import { l2Penalty } from '../../src/nn/index.ts';
import { batchCost, effectiveLearningRate, FD_RADIUS, resolveConfig, train, trainingStep, updateDirection, type StepKind } from '../../src/train/index.ts';
import { paramSpecs } from '../../src/train/loop.ts';
import { INPUTS, flat, norm, relDiff, scalar64, stack1, tinyBatch, tinyModel, tinyParams, withStore, type HostParams } from './helpers.ts';

type P = Tree<Tensor>;
const B = 12;
const model = tinyModel(8, 1);
const params = tinyParams(model);
const specs = paramSpecs(params);
const batch = tinyBatch(B);
const batchSpecs = { x: spec([B, INPUTS], 'float64'), y: spec([B], 'int32') };

async function oneStep(kind: StepKind, lr: number, lambda: number, options: { nStep?: number; weightDecay?: number; fdRadius?: number } = {}): Promise<HostParams> {
  const program = await compileLoop(
    trainingStep(model, { kind, nStep: options.nStep ?? 1, weightDecay: options.weightDecay ?? 0, dtype: 'float64', ...(options.fdRadius !== undefined ? { fdRadius: options.fdRadius } : {}) }),
    { carry: specs, perStep: { ...batchSpecs, lr: spec([], 'float64') }, shared: { lambda: spec([], 'float64') } },
    1,
    { threads: 1 },
  );
  const r = (await program.run({
    carry: params,
    perStep: { x: stack1(batch.x), y: stack1(batch.y), lr: new HostTensor(Float64Array.of(lr), [1]) },
    shared: { lambda: scalar64(lambda) },
  })) as { carry: HostParams; out: { loss: HostTensor } };
  return r.carry;
}

/** ∇Ĉ(w) on the batch, by the compiler's grad. */
async function gradient(weightDecay = 0, at: HostParams = params): Promise<HostParams> {
  const cost = batchCost(model, weightDecay);
  const f = await compile(({ p, x, y }: { p: P; x: Tensor; y: Tensor }) => grad((q: P) => cost(q, x, y))(p), { p: specs, ...batchSpecs }, { threads: 1 });
  return (await f.run({ p: at, ...batch })) as HostParams;
}

/** H(w)·v on the batch, by the compiler's hvp (v is an input, so nothing differentiates through it). */
async function hessianTimes(v: HostParams): Promise<HostParams> {
  const cost = batchCost(model, 0);
  const f = await compile(({ p, v: u, x, y }: { p: P; v: P; x: Tensor; y: Tensor }) => hvp((q: P) => cost(q, x, y), p, u), { p: specs, v: specs, ...batchSpecs }, { threads: 1 });
  return (await f.run({ p: params, v, ...batch })) as HostParams;
}

/** The direction of one update, from updateDirection compiled on its own. */
async function direction(kind: StepKind, lambda: number, fdRadius?: number): Promise<Float64Array> {
  const cost = batchCost(model, 0);
  const f = await compile(
    ({ p, x, y, lambda: l }: { p: P; x: Tensor; y: Tensor; lambda: Tensor }) => updateDirection(kind, (q) => cost(q, x, y), 'float64', fdRadius)(p, l).direction,
    { p: specs, ...batchSpecs, lambda: spec([], 'float64') },
    { threads: 1 },
  );
  return flat((await f.run({ p: params, ...batch, lambda: scalar64(lambda) })) as HostParams);
}

const axpy = (w: Float64Array, a: number, d: Float64Array) => w.map((v, i) => v - a * d[i]!);

test('a plain step is w − lr·∇Ĉ with the compiler\'s own gradient', async () => {
  const lr = 0.3;
  const stepped = flat(await oneStep('plain', lr, 0));
  const expected = axpy(flat(params), lr, flat(await gradient()));
  assert.ok(relDiff(stepped, expected) < 1e-13, `relative difference ${relDiff(stepped, expected)}`);
  assert.ok(relDiff(stepped, flat(params)) > 1e-3, 'the step must move the parameters');
});

test('a modified-exact step is w − lr·(∇Ĉ + (λ/2)·H∇Ĉ) with H∇Ĉ from hvp', async () => {
  const lr = 0.25;
  const lambda = 0.75;
  const g = await gradient();
  const hg = flat(await hessianTimes(g));
  const fg = flat(g);
  const expected = axpy(flat(params), lr, fg.map((v, i) => v + (lambda / 2) * hg[i]!));
  const stepped = flat(await oneStep('modified-exact', lr, lambda));
  assert.ok(relDiff(stepped, expected) < 1e-12, `relative difference ${relDiff(stepped, expected)}`);
  // The correction is visible: a plain step lands elsewhere.
  const plain = flat(await oneStep('plain', lr, lambda));
  assert.ok(relDiff(stepped, plain) > 1e-4, `the regularizer changed nothing (${relDiff(stepped, plain)})`);
  assert.ok(norm(hg) > 1e-3 * norm(fg), 'H∇Ĉ is not negligible');
});

test('modified-exact with λ = 0 is a plain step', async () => {
  const a = flat(await oneStep('modified-exact', 0.2, 0));
  const b = flat(await oneStep('plain', 0.2, 0));
  assert.ok(relDiff(a, b) < 1e-14, `relative difference ${relDiff(a, b)}`);
});

test('an n-step step is n plain updates on the same batch at the bare rate α; ε = nα', async () => {
  const alpha = 0.2;
  const n = 3;
  const multi = flat(await oneStep('plain', alpha, 0, { nStep: n }));
  let w = params;
  const w0 = flat(params);
  let expected = w0;
  for (let i = 0; i < n; i++) {
    expected = axpy(expected, alpha, flat(await gradient(0, w)));
    // Rebuild a tree from the flat vector for the next gradient.
    const f = flatten<HostTensor>(params);
    let o = 0;
    w = f.unflatten(f.leaves.map((t) => {
      const data = expected.slice(o, o + t.data.length);
      o += t.data.length;
      return new HostTensor(data, t.shape);
    })) as HostParams;
  }
  assert.ok(relDiff(multi, expected) < 1e-13, `relative difference ${relDiff(multi, expected)}`);
  // and it is not one step at nα
  const single = flat(await oneStep('plain', n * alpha, 0));
  assert.ok(relDiff(multi, single) > 1e-6, 'n-step must differ from one step at ε = nα');
  assert.equal(effectiveLearningRate(resolveConfig({ lr: '2^-4', nStep: 4 })), 2 ** -2);
  assert.equal(effectiveLearningRate(resolveConfig({ lr: 0.1 })), 0.1);
});

test('the run record stores the effective rate ε = nα', withStore(async (store) => {
  const r = await train(resolveConfig({ data: 'synthetic', trainSize: 32, testSize: 0, model: 'mlp:8x1', batch: 16, lr: 2 ** -5, nStep: 4, steps: 1, threads: 1 }), { store });
  const config = store.getRun(r.runId!).config as Record<string, unknown>;
  assert.equal(config.effectiveLr, 2 ** -3);
  assert.equal(config.lr, 2 ** -5);
  assert.equal(config.nStep, 4);
}));

test('modified-fd agrees with exact to O(r): the error shrinks 4× when r shrinks 4×', async () => {
  const lambda = 1;
  const exact = await direction('modified-exact', lambda);
  const plain = await direction('plain', lambda);
  const correction = norm(exact.map((v, i) => v - plain[i]!));
  const errors: number[] = [];
  for (const r of [2 ** -8, 2 ** -10, 2 ** -12]) {
    const fd = await direction('modified-fd', lambda, r);
    errors.push(norm(fd.map((v, i) => v - exact[i]!)) / correction);
  }
  for (let i = 0; i + 1 < errors.length; i++) {
    const ratio = errors[i]! / errors[i + 1]!;
    assert.ok(ratio > 3 && ratio < 5, `error ratio for r → r/4 is ${ratio} (errors ${errors.join(', ')})`);
  }
  // At the default float64 radius the two update directions agree closely.
  const fdDefault = await direction('modified-fd', lambda);
  assert.deepEqual(fdDefault, await direction('modified-fd', lambda, FD_RADIUS.float64));
  assert.ok(relDiff(fdDefault, exact) < 1e-4, `relative difference at r = 2^-20: ${relDiff(fdDefault, exact)}`);
  assert.ok(relDiff(fdDefault, plain) > 1e-3, 'the FD correction is not negligible');
});

test('a modified-fd training step uses the radius it is given (default FD_RADIUS) and matches exact', async () => {
  const lr = 0.25;
  const lambda = 0.75;
  const exact = flat(await oneStep('modified-exact', lr, lambda));
  const fdDefault = flat(await oneStep('modified-fd', lr, lambda));
  const fdCoarse = flat(await oneStep('modified-fd', lr, lambda, { fdRadius: 2 ** -4 }));
  assert.ok(relDiff(fdDefault, exact) < 1e-6, `default radius: ${relDiff(fdDefault, exact)}`);
  assert.ok(relDiff(fdCoarse, exact) > 10 * relDiff(fdDefault, exact), 'fdRadius was ignored');
});

test('weight decay adds (wd/2)·Σ||W||² over weights only: ∇ differs by wd·W on weights, 0 on biases', async () => {
  const wd = 0.05;
  const g0 = flatten<HostTensor>(await gradient(0));
  const g1 = flatten<HostTensor>(await gradient(wd));
  const w = flatten<HostTensor>(params);
  let weights = 0;
  let biases = 0;
  g0.leaves.forEach((t, i) => {
    const path = g0.paths[i]!;
    const a = t.data as Float64Array;
    const b = g1.leaves[i]!.data as Float64Array;
    const p = w.leaves[i]!.data as Float64Array;
    const isBias = /bias$/.test(path);
    isBias ? biases++ : weights++;
    for (let j = 0; j < a.length; j++) {
      const expected = isBias ? 0 : wd * p[j]!;
      assert.ok(Math.abs(b[j]! - a[j]! - expected) < 1e-14 * Math.max(1, Math.abs(a[j]!)), `${path}[${j}]: difference ${b[j]! - a[j]!}, expected ${expected}`);
    }
  });
  assert.deepEqual([weights, biases], [2, 2]);
  // The cost itself: Ĉ_wd − Ĉ_0 = (wd/2)·Σ||W||².
  const costs = await compile(
    ({ p, x, y }: { p: P; x: Tensor; y: Tensor }) => ({ c0: batchCost(model, 0)(p, x, y), c1: batchCost(model, wd)(p, x, y) }),
    { p: specs, ...batchSpecs },
    { threads: 1 },
  );
  const c = (await costs.run({ p: params, ...batch })) as { c0: HostTensor; c1: HostTensor };
  let sq = 0;
  w.leaves.forEach((t, i) => {
    if (!/bias$/.test(w.paths[i]!)) for (const v of t.data as Float64Array) sq += v * v;
  });
  assert.ok(Math.abs(c.c1.item() - c.c0.item() - (wd / 2) * sq) < 1e-12 * sq, `cost difference ${c.c1.item() - c.c0.item()} vs ${(wd / 2) * sq}`);
});

test('the L2 penalty skips SkipInit gates and biases of a Wide-ResNet-shaped tree', async () => {
  const wd = 0.1;
  const tree = {
    stem: new HostTensor(Float64Array.of(1, 2), [2]),
    blocks: [{ conv1: new HostTensor(Float64Array.of(3), [1]), gate: new HostTensor(Float64Array.of(4), []), shortcut: new HostTensor(Float64Array.of(5), [1]) }],
    head: { weight: new HostTensor(Float64Array.of(6), [1]), bias: new HostTensor(Float64Array.of(7), [1]) },
  };
  const f = await compile(({ p }: { p: P }) => grad((q: P) => l2Penalty(q, wd)!)(p), { p: paramSpecs(tree) }, { threads: 1 });
  const g = flatten<HostTensor>((await f.run({ p: tree })) as HostParams);
  const byPath = Object.fromEntries(g.paths.map((p, i) => [p, [...(g.leaves[i]!.data as Float64Array)]]));
  const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-15);
  assert.ok(close(byPath['stem']!, [0.1, 0.2]));
  assert.ok(close(byPath['blocks.0.conv1']!, [0.3]));
  assert.ok(close(byPath['blocks.0.shortcut']!, [0.5]));
  assert.ok(close(byPath['head.weight']!, [0.6]));
  assert.deepEqual(byPath['blocks.0.gate'], [0]);
  assert.deepEqual(byPath['head.bias'], [0]);
});

test('the one-norm term λΣ_j√((∂_jĈ)² + ε̂): its gradient by double backprop equals central finite differences of the term (float64), and the fd direction agrees to O(r); any sign of λ', async () => {
  const cost = batchCost(model, 0);
  const epsilon = 1e-3;
  const regularizer = { kind: 'one-norm', epsilon } as const;
  // The term itself, as a compiled scalar of the parameters: Σ_j √(g_j² + ε̂).
  const termProgram = await compile(({ p, x, y }: { p: P; x: Tensor; y: Tensor }) => {
    const g = flatten<Tensor>(grad((q: P) => cost(q, x, y))(p)).leaves;
    return { value: g.map((gi) => gi.mul(gi).add(epsilon).sqrt().sum()).reduce((a, b) => a.add(b)) };
  }, { p: specs, ...batchSpecs }, { threads: 1 });
  const f = flatten<HostTensor>(params);
  const at = (v: Float64Array): HostParams => {
    let o = 0;
    return f.unflatten(f.leaves.map((t) => new HostTensor(v.slice(o, (o += t.data.length)), t.shape))) as HostParams;
  };
  const term = async (v: Float64Array) => ((await termProgram.run({ p: at(v), ...batch })) as { value: HostTensor }).value.item();
  const directions = async (kind: StepKind, lambda: number) => {
    const program = await compile(
      ({ p, x, y, lambda: l }: { p: P; x: Tensor; y: Tensor; lambda: Tensor }) => updateDirection(kind, (q) => cost(q, x, y), 'float64', undefined, regularizer)(p, l).direction,
      { p: specs, ...batchSpecs, lambda: spec([], 'float64') },
      { threads: 1 },
    );
    return flat((await program.run({ p: params, ...batch, lambda: scalar64(lambda) })) as HostParams);
  };
  const w0 = flat(params);
  const g = flat(await gradient());
  const delta = 1e-5;
  const fdGradient = new Float64Array(w0.length);
  for (let i = 0; i < w0.length; i++) {
    const plus = Float64Array.from(w0);
    const minus = Float64Array.from(w0);
    plus[i]! += delta;
    minus[i]! -= delta;
    fdGradient[i] = ((await term(plus)) - (await term(minus))) / (2 * delta);
  }
  for (const lambda of [0.5, -0.25]) {
    const exact = await directions('modified-exact', lambda);
    const correction = exact.map((v, i) => (v - g[i]!) / lambda);
    assert.ok(relDiff(correction, fdGradient) < 1e-6, `λ=${lambda}: double backprop vs central differences: ${relDiff(correction, fdGradient)}`);
    assert.ok(norm(fdGradient) > 1e-3 * norm(g), 'the term is not negligible');
    const fd = await directions('modified-fd', lambda);
    assert.ok(relDiff(fd, exact) < 1e-5, `λ=${lambda}: fd vs exact direction: ${relDiff(fd, exact)}`);
  }
  await termProgram.release();
});

test('reg one-norm: λ may be negative, lambda implicit with adam is h(β₁/(1−β₁) − β₂/(1−β₂)) on the one-norm; sq-norm refuses λ < 0', () => {
  const adam = resolveConfig({ optimizer: 'adam', lr: 2 ** -10, lambda: 'implicit' });
  assert.equal(adam.reg, 'one-norm');
  assert.ok(Math.abs(adam.lambda - 2 ** -10 * (9 - 999)) < 1e-12);
  const rms = resolveConfig({ optimizer: 'rmsprop', lr: 0.01, lambda: 'implicit' });
  assert.ok(rms.reg === 'one-norm' && Math.abs(rms.lambda + 0.01 * 99) < 1e-12);
  assert.equal(resolveConfig({ reg: 'one-norm', lambda: -0.5 }).lambda, -0.5);
  assert.ok(!('reg' in resolveConfig({ reg: 'sq-norm', lambda: 0.5 })), 'the default term is stored as a key');
  assert.throws(() => resolveConfig({ lambda: -0.5 }), /lambda: must be ≥ 0 with the squared-norm term/);
  assert.throws(() => resolveConfig({ optimizer: 'adam', reg: 'sq-norm', lambda: 'implicit' }), /lambda implicit with optimizer adam is the one-norm term, not reg sq-norm/);
});

test('training with --reg one-norm (exact and fd, either sign, Adam) runs and changes the trajectory', async () => {
  const base = { model: 'mlp:16x1', data: 'synthetic', trainSize: 64, testSize: 16, batch: 8, steps: 16, evalEvery: 10, threads: 1, optimizer: 'adam', lr: 2 ** -7, dtype: 'float64' };
  const plain = await train(resolveConfig(base));
  for (const regGrad of ['exact', 'fd']) {
    const up = await train(resolveConfig({ ...base, reg: 'one-norm', lambda: 2 ** -4, regGrad }));
    const down = await train(resolveConfig({ ...base, reg: 'one-norm', lambda: -(2 ** -4), regGrad }));
    assert.equal(up.status, 'finished');
    assert.ok(relDiff(flat(up.params), flat(plain.params)) > 1e-6 && relDiff(flat(down.params), flat(up.params)) > 1e-6, `${regGrad}: the term changed nothing`);
  }
});
