// Optimizers through the training step: plain SGD lowers to the graph it always had (the deferred
// update pass still applies), momentum carries a velocity that starts at 0 and advances at every
// one of n-step SGD's updates, and a momentum step composes with the modified loss.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLoop, flatten, spec, HostTensor, type Tensor, type Tree } from '../../src/graph/index.ts';
import { buildModel } from '../../src/nn/index.ts';
import { chain, momentum, scaleByLearningRate, sgd, type SgdOptions } from '../../src/optim/index.ts';
import { batchCost, compileTrainingSteps, paramSpecs, updateDirection, type StepKind } from '../../src/train/index.ts';
import { packCarry, trainingStep } from '../../src/train/steps.ts';
import { Rng } from '../../src/util/random.ts';
import { INPUTS, flat, relDiff, scalar64, tinyBatch, tinyModel, tinyParams, type HostParams } from '../train/helpers.ts';

type P = Tree<Tensor>;

/** The plain step as train/steps.ts wrote it before optimizers existed: w − lr·d, one Sub per leaf. */
function handWrittenStep(model: ReturnType<typeof buildModel>, kind: StepKind, nStep: number) {
  const cost = batchCost(model, 0);
  return (params: P, batch: { x: Tensor; y: Tensor; lr: Tensor }, shared: { lambda: Tensor }) => {
    const direction = updateDirection(kind, (p) => cost(p, batch.x, batch.y), 'float32');
    let w = params;
    let first: Tensor | undefined;
    for (let i = 0; i < nStep; i++) {
      const { direction: d, loss } = direction(w, shared.lambda);
      first ??= loss;
      const fw = flatten<Tensor>(w);
      const fd = flatten<Tensor>(d).leaves;
      w = fw.unflatten(fw.leaves.map((x, j) => x.sub(fd[j]!.mul(batch.lr)))) as P;
    }
    return { carry: w, out: { loss: first! } };
  };
}

test('plain SGD through the optimizer lowers to byte-identical ONNX models, deferred updates included', async () => {
  const model = buildModel('mlp:64x2', [32], 10);
  const specs = paramSpecs(model.init(new Rng(0), 'float32'));
  const steps = 9; // two windows of 4 deferred steps and one more
  const options = { threads: 1, deferCarries: true, 'ort-cpu': { defer: { minElements: 1 } } };
  for (const [kind, nStep] of [['plain', 1], ['plain', 3], ['modified-exact', 1], ['modified-fd', 1]] as const) {
    const viaOptimizer = await compileTrainingSteps(model, specs, { kind, nStep, dtype: 'float32', batch: 4, steps }, options);
    const handWritten = await compileLoop(
      handWrittenStep(model, kind, nStep),
      { carry: specs, perStep: { x: spec([4, 32]), y: spec([4], 'int32'), lr: spec([]) }, shared: { lambda: spec([]) } },
      steps,
      { name: `${kind}-step`, ...options },
    );
    assert.ok(Buffer.from(viaOptimizer.model).equals(Buffer.from(handWritten.model)), `${kind} n=${nStep}: the models differ`);
    // The weights' updates are deferred (the outer Loop over windows exists), so the check covers that pass.
    assert.ok(Buffer.from(viaOptimizer.model).includes('windows'), `${kind} n=${nStep}: no deferred weight`);
    assert.ok(!Buffer.from(viaOptimizer.model).includes('velocity'), 'plain SGD carries a velocity');
    await viaOptimizer.release();
    await handWritten.release();
  }
});

test('a momentum step carries { params, opt.velocity } and keeps its weight updates eager (a dense velocity is not low rank)', async () => {
  const model = buildModel('mlp:64x2', [32], 10);
  const params = model.init(new Rng(0), 'float32');
  const optimizer = { momentum: 0.9, nesterov: false };
  const choice = { name: 'sgd', settings: optimizer } as const;
  const carry = paramSpecs(packCarry(params, sgd(0.1, optimizer).init(params), choice));
  const program = await compileTrainingSteps(model, carry, { kind: 'plain', optimizer: choice, dtype: 'float32', batch: 4, steps: 9 }, { threads: 1, 'ort-cpu': { defer: { minElements: 1 } } });
  const bytes = Buffer.from(program.model);
  assert.ok(bytes.includes('carry.opt.velocity.layers.0.weight') && bytes.includes('carry.params.layers.0.weight'));
  assert.ok(!bytes.includes('windows'), 'a momentum weight was deferred');
  await program.release();
});

// A tiny float64 problem: one Loop over `steps` copies of the same batch.
const tiny = tinyModel(8, 1);
const params = tinyParams(tiny);
const B = 12;
const batch = tinyBatch(B);

async function run(optimizer: SgdOptions, o: { kind?: StepKind; nStep?: number; steps?: number; lr?: number; lambda?: number } = {}): Promise<{ params: HostParams; velocity?: HostParams }> {
  const steps = o.steps ?? 1;
  const lr = o.lr ?? 0.2;
  const opt = sgd(lr, optimizer).init(params);
  const choice = { name: 'sgd', settings: optimizer } as const;
  const carry = packCarry(params, opt, choice);
  const program = await compileLoop(
    trainingStep(tiny, { kind: o.kind ?? 'plain', nStep: o.nStep ?? 1, weightDecay: 0, dtype: 'float64', optimizer: choice }),
    { carry: paramSpecs(carry), perStep: { x: spec([B, INPUTS], 'float64'), y: spec([B], 'int32'), lr: spec([], 'float64') }, shared: { lambda: spec([], 'float64') } },
    steps,
    { threads: 1 },
  );
  const repeat = <T extends Float64Array | Int32Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(a.length * steps);
    for (let k = 0; k < steps; k++) out.set(a, k * a.length);
    return out;
  };
  const r = (await program.run({
    carry,
    perStep: {
      x: new HostTensor(repeat(batch.x.data as Float64Array), [steps, B, INPUTS]),
      y: new HostTensor(repeat(batch.y.data as Int32Array), [steps, B]),
      lr: new HostTensor(new Float64Array(steps).fill(lr), [steps]),
    },
    shared: { lambda: scalar64(o.lambda ?? 0) },
  })) as { carry: HostParams };
  await program.release();
  if (optimizer.momentum === 0) return { params: r.carry };
  const c = r.carry as { params: HostParams; opt: { velocity: HostParams } };
  return { params: c.params, velocity: c.opt.velocity };
}

test('the first momentum step is a plain step (v₀ = 0, so v₁ = g); Nesterov\'s is w − ε(1 + β)g', async () => {
  const plain = await run({ momentum: 0, nesterov: false });
  const heavy = await run({ momentum: 0.9, nesterov: false });
  const nesterov = await run({ momentum: 0.9, nesterov: true });
  // Equal up to rounding: ONNX Runtime may fuse the gradient's last product into βv + g (a Gemm).
  assert.ok(relDiff(flat(heavy.params), flat(plain.params)) < 1e-15, `relative difference ${relDiff(flat(heavy.params), flat(plain.params))}`);
  const w0 = flat(params);
  const g = w0.map((w, i) => (w - flat(plain.params)[i]!) / 0.2);
  assert.ok(relDiff(flat(heavy.velocity!), g) < 1e-12, 'v₁ is not the gradient');
  const expected = w0.map((w, i) => w - 0.2 * 1.9 * g[i]!);
  assert.ok(relDiff(flat(nesterov.params), expected) < 1e-12, `Nesterov: relative difference ${relDiff(flat(nesterov.params), expected)}`);
});

test('n-step SGD with momentum advances the velocity at each of the n updates', async () => {
  for (const nesterov of [false, true]) {
    for (const kind of ['plain', 'modified-exact'] as const) {
      const optimizer = { momentum: 0.9, nesterov };
      // n = 3 updates on one batch in one step, against 3 steps of one update on the same batch.
      const nStep = await run(optimizer, { kind, nStep: 3, lambda: 0.5 });
      const steps = await run(optimizer, { kind, steps: 3, lambda: 0.5 });
      assert.ok(relDiff(flat(nStep.params), flat(steps.params)) < 1e-14, `${kind} nesterov=${nesterov}: parameters`);
      assert.ok(relDiff(flat(nStep.velocity!), flat(steps.velocity!)) < 1e-14, `${kind} nesterov=${nesterov}: velocity`);
      // and momentum made a difference over three updates
      const plain = await run({ momentum: 0, nesterov: false }, { kind, nStep: 3, lambda: 0.5 });
      assert.ok(relDiff(flat(nStep.params), flat(plain.params)) > 1e-3, `${kind}: momentum changed nothing`);
    }
  }
});

test('chain keeps each transform\'s state under its own name and refuses two of the same name', () => {
  const both = chain(momentum(0.5), scaleByLearningRate(0.1));
  assert.deepEqual(Object.keys(both.init(params)), ['velocity']);
  const velocity = flatten<HostTensor>(both.init(params).velocity as HostParams).leaves;
  assert.ok(velocity.every((t) => t.data.every((v) => v === 0)), 'v₀ is not 0');
  assert.deepEqual(Object.keys(sgd(0.1).init(params)), []);
  assert.throws(() => chain(momentum(0.5), momentum(0.9)).init(params), /two transforms keep state named 'velocity'/);
  assert.throws(() => sgd(0.1, { momentum: 1, nesterov: false }), /momentum must be in \[0, 1\)/);
  assert.throws(() => sgd(0.1, { momentum: 0, nesterov: true }), /Nesterov momentum needs momentum > 0/);
});

test("the optimizers are in the library's public entry, as `optim`", async () => {
  const { optim } = await import('../../src/index.ts');
  const transforms = await import('../../src/optim/index.ts');
  assert.deepEqual(Object.keys(optim).sort(), Object.keys(transforms).sort());
  assert.equal(optim.sgd, sgd);
});
