// Deferred low-rank weight updates (src/graph/targets/ort-cpu/passes/defer.ts): which weights qualify, and K-step loops
// that carry factors agree with the eager loop in float64 for every step kind, across windows.

import assert from 'node:assert/strict';
import test from 'node:test';
import { compileLoop, flatten, placeholder, spec, HostTensor, type Tensor, type Tree } from '../../../../src/graph/index.ts';
import { deferUpdates } from '../../../../src/graph/targets/ort-cpu/passes/defer.ts';
import { buildModel } from '../../../../src/nn/index.ts';
import { FD_RADIUS, paramSpecs, trainingStep, type StepKind } from '../../../../src/train/index.ts';
import { Rng } from '../../../../src/util/random.ts';
import { maxRelDiff } from '../../helpers.ts';

const model = buildModel('mlp:64x2', [12], 5);
const BATCH = 3;

function traced(kind: StepKind, nStep = 1) {
  const params = flatten<HostTensor>(model.init(new Rng(1), 'float64') as Tree<HostTensor>);
  const carry = params.leaves.map((t, i) => placeholder(`c.${params.paths[i]}`, t.shape, 'float64'));
  const r = trainingStep(model, { kind, nStep, weightDecay: 0, dtype: 'float64' })(
    params.unflatten(carry) as Tree<Tensor>,
    { x: placeholder('x', [BATCH, 12], 'float64'), y: placeholder('y', [BATCH], 'int32'), lr: placeholder('lr', [], 'float64') },
    { lambda: placeholder('lambda', [], 'float64') },
  );
  return { paths: params.paths, carry, newCarry: flatten<Tensor>(r.carry).leaves, outs: flatten<Tensor>(r.out).leaves };
}

const deferredPaths = (kind: StepKind, nStep = 1, options = { window: 4, minElements: 0 }) => {
  const t = traced(kind, nStep);
  const d = deferUpdates(t.carry, t.newCarry, t.outs, 10, options);
  return d ? d.carries.map((c) => t.paths[c.index]) : [];
};

test('deferUpdates takes the matmul weights whose factors stay small', () => {
  // Window 4 × rank 3 = 12 rows: within half of 64 for the hidden weight, not of the 12-input or
  // 5-output ones; biases are not matmul operands.
  assert.deepEqual(deferredPaths('plain'), ['layers.1.weight']);
  // The exact step's updates have more terms (layer 1: two of rank 3, 4 × 6 rows); at window 1 the
  // first layer qualifies too (one term: its input gradient is never formed).
  assert.deepEqual(deferredPaths('modified-exact'), ['layers.1.weight']);
  assert.deepEqual(deferredPaths('modified-exact', 1, { window: 1, minElements: 0 }), ['layers.0.weight', 'layers.1.weight']);
  // Finite differences evaluate at W + h∇Ĉ, a low-rank shift; their update ∇Ĉ + c·(∇Ĉ' − ∇Ĉ) has
  // rank 6: ∇Ĉ = aᵀb and the difference as (a' − a)ᵀb' + aᵀ(b' − b), where aᵀb and aᵀ(b' − b)
  // share the rows of a; so 4 × 6 rows fit in 32 but 6 × 6 do not. n-step SGD's second update
  // starts from the first.
  assert.deepEqual(deferredPaths('modified-fd'), ['layers.1.weight']);
  assert.deepEqual(deferredPaths('modified-fd', 1, { window: 6, minElements: 0 }), []);
  assert.deepEqual(deferredPaths('plain', 2), ['layers.1.weight']);
  // Small weights stay eager by default.
  assert.deepEqual(deferredPaths('plain', 1, { window: 4, minElements: 1 << 19 }), []);
});

// Finite differences amplify rounding by 1/r; at the float64 default r = 2^-20 the two loops' (equally
// valid) roundings of the shifted point drift apart by 1e-5 within 10 steps, at r = 2^-4 by 1e-15.
// The comparison checks the algebra, so the fd cases use r = 2^-4.
const FD_TEST_RADIUS = 2 ** -4;

async function runLoop(kind: StepKind, steps: number, deferOptions: { window: number; minElements: number } | false, nStep = 1, fdRadius = FD_TEST_RADIUS) {
  const rng = new Rng(5);
  const params = model.init(rng.fork('init'), 'float64');
  const program = await compileLoop(
    trainingStep(model, { kind, nStep, weightDecay: 0, dtype: 'float64', fdRadius }),
    { carry: paramSpecs(params), perStep: { x: spec([BATCH, 12], 'float64'), y: spec([BATCH], 'int32'), lr: spec([], 'float64') }, shared: { lambda: spec([], 'float64') } },
    steps,
    deferOptions ? { deferCarries: true, 'ort-cpu': { defer: deferOptions } } : {},
  );
  const x = new Float64Array(steps * BATCH * 12).map(() => rng.normal());
  const y = new Int32Array(steps * BATCH).map(() => rng.int(5));
  const lr = new Float64Array(steps).map((_, i) => 0.1 / (1 + i)); // a schedule: every step its own rate
  const r = (await program.run({
    carry: params,
    perStep: { x: new HostTensor(x, [steps, BATCH, 12]), y: new HostTensor(y, [steps, BATCH]), lr: new HostTensor(lr, [steps]) },
    shared: { lambda: new HostTensor(Float64Array.of(0.5), []) },
  })) as { carry: Tree<HostTensor>; out: { loss: HostTensor } };
  return { params: flatten<HostTensor>(r.carry), initial: flatten<HostTensor>(params as Tree<HostTensor>), loss: r.out.loss.data as Float64Array };
}

// 10 steps: in windows of 4 (an outer Loop of two windows, then a remainder of 2) and of 10 (one
// window); the exact step's multi-term updates, finite differences (shifted views of W) and 2-step
// SGD (a view feeding the second update).
const cases: [StepKind, number, number][] = [
  ['plain', 1, 4], ['plain', 1, 10], ['modified-exact', 1, 1], ['modified-exact', 1, 4],
  ['modified-fd', 1, 1], ['modified-fd', 1, 2], ['plain', 2, 4],
];
for (const [kind, nStep, window] of cases) {
  {
    test(`a ${kind}${nStep > 1 ? ` ${nStep}-step` : ''} loop with deferred updates (window ${window}) equals the eager loop in float64`, async () => {
      const options = { window, minElements: 0 };
      assert.ok(deferredPaths(kind, nStep, options).length > 0, 'nothing deferred: the comparison would be vacuous');
      const eager = await runLoop(kind, 10, false, nStep);
      const lazy = await runLoop(kind, 10, options, nStep);
      assert.ok(maxRelDiff(lazy.loss, eager.loss) < 1e-13, `losses differ: ${lazy.loss} vs ${eager.loss}`);
      eager.params.leaves.forEach((p, i) => {
        const d = maxRelDiff(lazy.params.leaves[i]!.data as Float64Array, p.data as Float64Array);
        assert.ok(d < 1e-13, `${eager.params.paths[i]}: relative difference ${d}`);
        // The weights did move, so the comparison says something.
        assert.ok(maxRelDiff(p.data as Float64Array, eager.initial.leaves[i]!.data as Float64Array) > 1e-3);
      });
    });
  }
}

test('at the float64 default radius the deferred fd loop stays within rounding of the eager one (the difference form of its update)', async () => {
  // Factor rows of ∇Ĉ' and ∇Ĉ kept apart, each times c = λ/2h, drifted 7e-6 here (error ∝ 1/r²).
  const options = { window: 2, minElements: 0 };
  const eager = await runLoop('modified-fd', 10, false, 1, FD_RADIUS.float64);
  const lazy = await runLoop('modified-fd', 10, options, 1, FD_RADIUS.float64);
  assert.ok(maxRelDiff(lazy.loss, eager.loss) < 1e-8, `losses differ: ${maxRelDiff(lazy.loss, eager.loss)}`);
});
