// sgdlab's training step against real torch.optim: three float64 steps of a small MLP, plain and
// modified-exact (torch's gradient by double backprop), plain SGD, heavy-ball and Nesterov momentum,
// Adam, AdamW and RMSprop, and weight decay. The numbers come from test/fixtures/torch-sgd-reference.py (run once
// with Debian's python3-torch; its JSON output is committed, so the test needs no torch).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileLoop, flatten, spec, HostTensor, type Tree } from '../../src/graph/index.ts';
import { mlp } from '../../src/nn/index.ts';
import { optimizerSettings, optimizerTransform, type OptimizerChoice, type OptimizerName, type OptimizerSettings } from '../../src/optim/index.ts';
import { paramSpecs, type StepKind } from '../../src/train/index.ts';
import { packCarry, trainingStep, unpackCarry } from '../../src/train/steps.ts';
import { flat, relDiff, scalar64, type HostParams } from '../train/helpers.ts';

interface Layers { layers: { weight: number[]; bias: number[] }[] }
interface Reference {
  sizes: [number, number, number];
  batch: number;
  lr: number;
  init: Layers;
  batches: { x: number[]; y: number[] }[];
  cases: {
    kind: StepKind; lambda: number; momentum: number; nesterov: boolean; weightDecay: number; after: Layers[];
    /** Adam/AdamW/RMSprop cases: sgdlab's optimizer and settings, decoupled decay (AdamW), and their rate. */
    optimizer?: OptimizerName; settings?: Partial<OptimizerSettings>; decoupledWeightDecay?: boolean; lr?: number;
  }[];
}

const reference = JSON.parse(readFileSync(new URL('../fixtures/torch-sgd-reference.json', import.meta.url), 'utf8')) as Reference;
const [inputs, width, classes] = reference.sizes;
const B = reference.batch;
const model = mlp([inputs], classes, width, 1);
const shapes = [[[inputs, width], [width]], [[width, classes], [classes]]] as const;

const toParams = (t: Layers): HostParams => ({
  layers: t.layers.map((l, i) => ({
    weight: new HostTensor(Float64Array.from(l.weight), [...shapes[i]![0]]),
    bias: new HostTensor(Float64Array.from(l.bias), [...shapes[i]![1]]),
  })),
});

test('the fixture covers plain/modified × plain SGD/heavy ball/Nesterov/Adam/RMSprop, weight decay and AdamW, and the steps move', () => {
  const kinds = reference.cases.map((c) => `${c.kind} ${c.optimizer ?? 'sgd'} β=${c.momentum}${c.nesterov ? ' nesterov' : ''} wd=${c.weightDecay}${c.decoupledWeightDecay ? ' decoupled' : ''}`);
  assert.equal(new Set(kinds).size, 7 + 6, kinds.join('; '));
  for (const name of ['adam', 'rmsprop'] as const) for (const kind of ['plain', 'modified-exact']) assert.ok(reference.cases.some((c) => c.optimizer === name && c.kind === kind), `${name} ${kind}`);
  for (const c of reference.cases) assert.equal(c.after.length, 3);
  assert.ok(relDiff(flat(toParams(reference.cases[0]!.after[2]!)), flat(toParams(reference.init))) > 1e-3);
});

for (const c of reference.cases) {
  const optimizer: OptimizerChoice = c.optimizer
    ? { name: c.optimizer, settings: optimizerSettings(c.optimizer, c.settings ?? {}).settings }
    : { name: 'sgd', settings: { momentum: c.momentum, nesterov: c.nesterov } };
  const lr = c.lr ?? reference.lr;
  const rule = c.optimizer ? `${c.decoupledWeightDecay ? 'AdamW' : c.optimizer === 'adam' ? 'Adam' : 'RMSprop'}` : c.momentum === 0 ? 'plain SGD' : c.nesterov ? `Nesterov β = ${c.momentum}` : `heavy ball β = ${c.momentum}`;
  const name = `${c.kind}${c.lambda ? ` (λ = ${c.lambda})` : ''}, ${rule}${c.weightDecay ? `, weight decay ${c.weightDecay}` : ''}`;
  test(`three float64 steps equal torch.optim's to < 1e-10 relative: ${name}`, async () => {
    const init = toParams(reference.init);
    const opt = optimizerTransform(optimizer, lr).init(init);
    const program = await compileLoop(
      trainingStep(model, { kind: c.kind, nStep: 1, weightDecay: c.weightDecay, dtype: 'float64', optimizer, ...(c.decoupledWeightDecay ? { decoupledWeightDecay: true } : {}) }),
      { carry: paramSpecs(packCarry(init, opt, optimizer)), perStep: { x: spec([B, inputs], 'float64'), y: spec([B], 'int32'), lr: spec([], 'float64') }, shared: { lambda: spec([], 'float64') } },
      1,
      { threads: 1 },
    );
    // One call per step, the state carried between calls on the host as train() carries it.
    let carry: Tree<HostTensor> = packCarry(init, opt, optimizer);
    const stepped: HostParams[] = [];
    for (const b of reference.batches) {
      const r = (await program.run({
        carry,
        perStep: { x: new HostTensor(Float64Array.from(b.x), [1, B, inputs]), y: new HostTensor(Int32Array.from(b.y), [1, B]), lr: new HostTensor(Float64Array.of(lr), [1]) },
        shared: { lambda: scalar64(c.lambda) },
      })) as { carry: HostParams };
      carry = r.carry;
      stepped.push(unpackCarry(carry, optimizer).params);
    }
    await program.release();
    c.after.forEach((expected, k) => {
      const d = relDiff(flat(stepped[k]!), flat(toParams(expected)));
      assert.ok(d < 1e-10, `step ${k + 1}: relative difference ${d}`);
    });
    assert.equal(flatten(stepped[2]!).structure, flatten(init).structure);
  });
}
