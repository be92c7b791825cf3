// Re-association through low-rank operands (src/graph/targets/ort-cpu/passes/lowrank.ts): the rewritten programs compute
// the same values in float64, the dense products they replace are gone, and products that would
// not get cheaper are left alone.

import assert from 'node:assert/strict';
import test from 'node:test';
import { compile, compileLoop, flatten, placeholder, spec, HostTensor, type Tensor, type Tree } from '../../../../src/graph/index.ts';
import { topologicalOrder } from '../../../../src/graph/graph-order.ts';
import { reassociateLowRank } from '../../../../src/graph/targets/ort-cpu/passes/lowrank.ts';
import { buildModel } from '../../../../src/nn/index.ts';
import { paramSpecs, trainingStep, type StepKind } from '../../../../src/train/index.ts';
import { Rng } from '../../../../src/util/random.ts';
import { host64, maxRelDiff } from '../../helpers.ts';

/** The computed (non-input) tensors of this shape that the outputs depend on. */
const computedOfShape = (outputs: Tensor[], shape: number[]) =>
  topologicalOrder(outputs).filter((t) => t.origin.kind === 'op' && t.shape.join() === shape.join());

// M = c·xᵀ·d + dᵀ·x is [512, 512] of rank ≤ 16; a [8, 512] times it, it times aᵀ, and its squared norm.
function lowRankProgram({ x, d, a, c }: { x: Tensor; d: Tensor; a: Tensor; c: Tensor }) {
  const m = x.transpose().matmul(d).mul(c).add(d.transpose().matmul(x));
  return { right: a.matmul(m), left: m.matmul(a.transpose()), leftT: a.matmul(m.transpose()), norm: m.mul(m).sum() };
}
const specs = { x: spec([8, 512], 'float64'), d: spec([8, 512], 'float64'), a: spec([8, 512], 'float64'), c: spec([], 'float64') };
const inputs = { x: host64([8, 512], 1), d: host64([8, 512], 2), a: host64([8, 512], 3), c: new HostTensor(Float64Array.of(-0.7), []) };

test('matmuls with a low-rank operand and its squared norm are rewritten without forming it, to the same values', async () => {
  const traced = lowRankProgram({ x: placeholder('x', [8, 512], 'float64'), d: placeholder('d', [8, 512], 'float64'), a: placeholder('a', [8, 512], 'float64'), c: placeholder('c', [], 'float64') });
  const outs = Object.values(traced);
  assert.ok(computedOfShape(outs, [512, 512]).length > 0);
  assert.equal(computedOfShape(reassociateLowRank(outs), [512, 512]).length, 0, 'a [512, 512] tensor is still formed');

  const dense = await compile(lowRankProgram, specs, { 'ort-cpu': { reassociate: false } });
  const lowRank = await compile(lowRankProgram, specs);
  const want = (await dense.run(inputs)) as Record<string, HostTensor>;
  const got = (await lowRank.run(inputs)) as Record<string, HostTensor>;
  for (const key of Object.keys(want)) {
    const diff = maxRelDiff(got[key]!.data as Float64Array, want[key]!.data as Float64Array);
    assert.ok(diff < 1e-13, `${key}: relative difference ${diff}`);
  }
  assert.ok((want.norm!.data[0] as number) > 1);
  await Promise.all([dense.release(), lowRank.release()]);
});

test('products that would not get cheaper are left as they are', () => {
  // Inner dimension 100 against 128: (x·P)·Q costs 16·100·256 multiply-adds, more than x·(P·Q)'s 16·128·128.
  const x = placeholder('x', [16, 128], 'float32');
  const m = placeholder('p', [128, 100], 'float32').matmul(placeholder('q', [100, 128], 'float32'));
  const small = placeholder('s', [4, 8], 'float32').matmul(placeholder('t', [8, 2], 'float32').matmul(placeholder('u', [2, 8], 'float32')));
  const outs = [x.matmul(m), small];
  const rewritten = reassociateLowRank(outs);
  assert.equal(rewritten[0], outs[0]);
  // Below MIN_DENSE_MACS the extra nodes would cost more than they save.
  assert.equal(rewritten[1], outs[1]);
});

// The modified-loss steps of a 64-512-512-10 MLP at batch 8: the exact step's H·∇Ĉ multiplies the
// gradients into activations (8·512·512 multiply-adds per dense product against 8·8·1024), the fd
// step's h = r/||∇Ĉ|| takes the [512, 512] gradient's squared norm.
const model = buildModel('mlp:512x2', [64], 10);
const BATCH = 8;

// Finite differences amplify rounding by 1/r; the comparison checks the algebra, so at r = 2^-4
// (at the float64 default 2^-20 the two equally valid roundings differ by 2e-11 after 5 steps).
const FD_TEST_RADIUS = 2 ** -4;

function tracedStep(kind: StepKind) {
  const params = flatten<HostTensor>(model.init(new Rng(1), 'float64') as Tree<HostTensor>);
  const carry = params.leaves.map((t, i) => placeholder(`c.${params.paths[i]}`, t.shape, 'float64'));
  const r = trainingStep(model, { kind, nStep: 1, weightDecay: 0, dtype: 'float64', fdRadius: FD_TEST_RADIUS })(
    params.unflatten(carry) as Tree<Tensor>,
    { x: placeholder('x', [BATCH, 64], 'float64'), y: placeholder('y', [BATCH], 'int32'), lr: placeholder('lr', [], 'float64') },
    { lambda: placeholder('lambda', [], 'float64') },
  );
  return [...flatten<Tensor>(r.carry).leaves, ...flatten<Tensor>(r.out).leaves];
}

async function runSteps(kind: StepKind, reassociate: boolean) {
  const rng = new Rng(5);
  const params = model.init(rng.fork('init'), 'float64');
  const steps = 5;
  const program = await compileLoop(
    trainingStep(model, { kind, nStep: 1, weightDecay: 0, dtype: 'float64', fdRadius: FD_TEST_RADIUS }),
    { carry: paramSpecs(params), perStep: { x: spec([BATCH, 64], 'float64'), y: spec([BATCH], 'int32'), lr: spec([], 'float64') }, shared: { lambda: spec([], 'float64') } },
    steps,
    { 'ort-cpu': { reassociate } },
  );
  const r = (await program.run({
    carry: params,
    perStep: {
      x: new HostTensor(new Float64Array(steps * BATCH * 64).map(() => rng.normal()), [steps, BATCH, 64]),
      y: new HostTensor(new Int32Array(steps * BATCH).map(() => rng.int(10)), [steps, BATCH]),
      lr: new HostTensor(new Float64Array(steps).fill(0.1), [steps]),
    },
    shared: { lambda: new HostTensor(Float64Array.of(0.5), []) },
  })) as { carry: Tree<HostTensor>; out: { loss: HostTensor } };
  await program.release();
  return { params: flatten<HostTensor>(r.carry), initial: flatten<HostTensor>(params as Tree<HostTensor>) };
}

for (const kind of ['modified-exact', 'modified-fd'] as const) {
  test(`${kind} steps re-associated equal the dense ones in float64`, async () => {
    const outs = tracedStep(kind);
    const rewritten = reassociateLowRank(outs);
    assert.ok(rewritten.some((t, i) => t !== outs[i]), 'nothing rewritten: the comparison would be vacuous');
    // The hidden weight's gradient [512, 512] is no longer multiplied into activations or squared.
    const denseUses = (ts: Tensor[]) => topologicalOrder(ts).filter((t) => t.origin.kind === 'op' && (t.origin.prim === 'matmul' || t.origin.prim === 'mul') && t.origin.inputs.some((i) => i.shape.join() === '512,512' && i.origin.kind === 'op')).length;
    assert.ok(denseUses(rewritten) < denseUses(outs), `${denseUses(rewritten)} products with a computed [512, 512] matrix, ${denseUses(outs)} before`);

    const dense = await runSteps(kind, false);
    const lowRank = await runSteps(kind, true);
    dense.params.leaves.forEach((p, i) => {
      const d = maxRelDiff(lowRank.params.leaves[i]!.data as Float64Array, p.data as Float64Array);
      assert.ok(d < 1e-11, `${dense.params.paths[i]}: relative difference ${d}`);
      assert.ok(maxRelDiff(p.data as Float64Array, dense.initial.leaves[i]!.data as Float64Array) > 1e-4, 'the weights did not move');
    });
  });
}
