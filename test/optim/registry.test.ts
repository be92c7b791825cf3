// The optimizer table: one row per optimizer (tsc demands a row for every entry), each with PyTorch's
// update written out on scalars, against which the entry's traced transform runs three float64 steps.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLoop, spec, HostTensor, type Tensor, type Tree } from '../../src/graph/index.ts';
import {
  OPTIMIZERS, OPTIMIZER_NAMES, applyUpdates, keepsState, optimizerSettings, optimizerTransform, optionHelp, optionKeysOf,
  type OptimizerName, type OptimizerSettings, type OptState,
} from '../../src/optim/index.ts';
import { paramSpecs } from '../../src/train/index.ts';

interface Row {
  /** Settings that differ from the defaults, so that every hyperparameter is exercised. */
  settings: Partial<OptimizerSettings>;
  /** Whether the optimizer keeps state with these settings. */
  keepsState: boolean;
  /** PyTorch's rule on one scalar: the parameter after each of the gradients, at rate lr (biases/weights alike). */
  reference(w: number, gradients: readonly number[], lr: number): number[];
}

const ROWS: { [N in OptimizerName]: Row } = {
  sgd: {
    settings: { momentum: 0.5, nesterov: true },
    keepsState: true,
    reference(w, gradients, lr) {
      // torch.optim.SGD, nesterov: buf = β·buf + g (buf₁ = g), w ← w − lr·(g + β·buf).
      let buf = 0;
      return gradients.map((g) => {
        buf = 0.5 * buf + g;
        return (w -= lr * (g + 0.5 * buf));
      });
    },
  },
  adam: {
    settings: { beta1: 0.8, beta2: 0.95, adamEps: 1e-3 },
    keepsState: true,
    reference(w, gradients, lr) {
      // torch.optim.Adam: m, v averages, bias corrections 1 − βᵗ, w ← w − lr·m̂/(√v̂ + ε).
      let m = 0;
      let v = 0;
      return gradients.map((g, i) => {
        const t = i + 1;
        m = 0.8 * m + 0.2 * g;
        v = 0.95 * v + 0.05 * g * g;
        return (w -= (lr * (m / (1 - 0.8 ** t))) / (Math.sqrt(v / (1 - 0.95 ** t)) + 1e-3));
      });
    },
  },
  rmsprop: {
    settings: { beta2: 0.9, adamEps: 1e-2, adamEpsInsideRoot: true },
    keepsState: true,
    reference(w, gradients, lr) {
      // torch.optim.RMSprop (α = 0.9, no bias correction), with ε under the root: w ← w − lr·g/√(v + ε).
      let v = 0;
      return gradients.map((g) => {
        v = 0.9 * v + 0.1 * g * g;
        return (w -= (lr * g) / Math.sqrt(v + 1e-2));
      });
    },
  },
};

const W0 = [0.3, -1.2, 2];
const GRADIENTS = [[0.5, -0.25, 1.5], [-0.1, 0.75, 2], [0.05, 0.3, -1]];
const LR = 0.1;

/** Three steps of the entry's transform on w ∈ R³ with the given gradients, one Loop in float64. */
async function stepsOf(name: OptimizerName, settings: Partial<OptimizerSettings>): Promise<number[][]> {
  const choice = { name, settings: optimizerSettings(name, settings).settings };
  const params = { w: new HostTensor(Float64Array.from(W0), [3]) };
  const opt = optimizerTransform(choice, LR).init(params);
  const carry = { params, opt } as unknown as Tree<HostTensor>;
  const program = await compileLoop(
    (c: Tree<Tensor>, step: { g: Tensor }) => {
      const { params: w, opt: state } = c as { params: { w: Tensor }; opt: OptState<Tensor> };
      const r = optimizerTransform(choice, LR).update({ w: step.g }, state, w);
      const next = applyUpdates(w, r.updates) as { w: Tensor };
      return { carry: { params: next, opt: r.state } as Tree<Tensor>, out: { w: next.w } };
    },
    { carry: paramSpecs(carry), perStep: { g: spec([3], 'float64') }, shared: {} },
    GRADIENTS.length,
    { threads: 1 },
  );
  const out = (await program.run({ carry, perStep: { g: new HostTensor(Float64Array.from(GRADIENTS.flat()), [GRADIENTS.length, 3]) }, shared: {} })) as { out: { w: HostTensor } };
  await program.release();
  const data = out.out.w.data as Float64Array;
  return GRADIENTS.map((_, k) => Array.from(data.subarray(3 * k, 3 * k + 3)));
}

for (const name of OPTIMIZER_NAMES) {
  const row = ROWS[name];
  test(`${name}: three float64 steps of its transform equal PyTorch's rule written out, to 1e-14 relative`, async () => {
    const got = await stepsOf(name, row.settings);
    for (let j = 0; j < 3; j++) {
      const expected = row.reference(W0[j]!, GRADIENTS.map((g) => g[j]!), LR);
      expected.forEach((e, k) => assert.ok(Math.abs(got[k]![j]! - e) <= 1e-14 * Math.max(1, Math.abs(e)), `step ${k + 1}, w[${j}]: ${got[k]![j]} vs ${e}`));
    }
  });

  test(`${name}: its settings are the options table's keys, with help naming it and its default; the state it declares`, () => {
    const keys = optionKeysOf(name);
    assert.ok(keys.length > 0);
    for (const key of keys) assert.match(optionHelp(key), new RegExp(`${name} ${String((OPTIMIZERS[name].defaults as Record<string, unknown>)[key])}`));
    for (const key of Object.keys(row.settings)) assert.ok(keys.includes(key as never), `${key} is not a setting of ${name}`);
    assert.equal(keepsState({ name, settings: optimizerSettings(name, row.settings).settings }), row.keepsState);
  });
}

test('a setting of another optimizer is reported as foreign; SGD without momentum keeps no state', () => {
  assert.deepEqual(optimizerSettings('sgd', { beta1: 0.9 }).foreign, ['beta1']);
  assert.deepEqual(optimizerSettings('adam', { momentum: 0.9 }).foreign, ['momentum']);
  assert.equal(keepsState({ name: 'sgd', settings: optimizerSettings('sgd', {}).settings }), false);
});
