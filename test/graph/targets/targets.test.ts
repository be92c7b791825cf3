// The target table (src/graph/targets/index.ts): a row per target, typed by the table, that compiles a
// conv + matmul gradient and a K-step SGD loop with it and compares them with the reference lowering;
// and how the execution provider chooses the target (ORT-CPU's operators never reach another provider).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, compileLoop, conv2d, flatten, grad, lowerFunction, spec, HostTensor, type CompileOptions, type Tensor, type Tree } from '../../../src/graph/index.ts';
import { prepareTarget, targetName, TARGET_NAMES, TARGETS, type TargetName } from '../../../src/graph/targets/index.ts';
import { host64, maxRelDiff } from '../helpers.ts';

type Row = {
  /** Options under the target's name that switch something (checked to be accepted and to lower). */
  options: NonNullable<CompileOptions[TargetName]>;
  /** Operator sets beyond ONNX's that its models may use on this machine. */
  operatorSets: RegExp | null;
};
const ROWS: { [N in TargetName]: Row & { options: NonNullable<CompileOptions[N]> } } = {
  reference: { options: {}, operatorSets: null },
  'ort-cpu': { options: { fuse: false, overrides: { sumByOnes: false }, defer: { window: 4, minElements: 0 } }, operatorSets: /com\.microsoft/ },
};

type P = { x: Tensor; w: Tensor; v: Tensor };
/** A conv + ReLU + matmul net's gradient, in float64 (every target must agree with the reference to rounding). */
const convNetGradient = (inputs: P) =>
  grad((p: { w: Tensor; v: Tensor }) => conv2d(inputs.x, p.w, { padding: 1 }).relu().reshape([2, 8 * 6 * 6]).matmul(p.v).square().mean())({ w: inputs.w, v: inputs.v });
const specs = { x: spec([2, 3, 6, 6], 'float64'), w: spec([8, 3, 3, 3], 'float64'), v: spec([8 * 6 * 6, 5], 'float64') };
const inputs = { x: host64([2, 3, 6, 6], 1), w: host64([8, 3, 3, 3], 2, 0.3), v: host64([8 * 6 * 6, 5], 3, 0.1) };
const leaves = (out: unknown) => flatten<HostTensor>(out as Tree<HostTensor>).leaves.map((t) => t.data as Float64Array);

async function run(options: CompileOptions) {
  const f = await compile(convNetGradient, specs, { threads: 1, ...options });
  const out = leaves(await f.run(inputs));
  await f.release();
  return out;
}

/** K = 6 SGD steps on a least-squares layer, with deferred carries allowed. */
async function sgdLoop(options: CompileOptions) {
  const [K, B, n, m] = [6, 4, 96, 64];
  const step = (p: { w: Tensor }, batch: { x: Tensor; t: Tensor }) => {
    const g = grad((w: Tensor) => batch.x.matmul(w).sub(batch.t).square().sum().mul(0.5))(p.w);
    return { carry: { w: p.w.sub(g.mul(1e-2)) }, out: { loss: g.square().sum() } };
  };
  const f = await compileLoop(step, { carry: { w: spec([n, m], 'float64') }, perStep: { x: spec([B, n], 'float64'), t: spec([B, m], 'float64') } }, K, { threads: 1, deferCarries: true, ...options });
  const out = await f.run({ carry: { w: host64([n, m], 1, 0.05) }, perStep: { x: host64([K, B, n], 2), t: host64([K, B, m], 3) }, shared: {} });
  await f.release();
  return leaves(out);
}

for (const name of TARGET_NAMES) {
  test(`target ${name}: a conv net's gradient and a K-step SGD loop equal the reference lowering's in float64; its options lower`, async () => {
    const row = ROWS[name];
    const reference = await run({ target: 'reference' });
    for (const options of [{}, row.options]) {
      const got = await run({ target: name, [name]: options });
      got.forEach((v, i) => assert.ok(maxRelDiff(v, reference[i]!) < 1e-12, `${name} ${JSON.stringify(options)}: output ${i} differs by ${maxRelDiff(v, reference[i]!)}`));
    }
    const loopReference = await sgdLoop({ target: 'reference' });
    (await sgdLoop({ target: name, [name]: row.options })).forEach((v, i) => assert.ok(maxRelDiff(v, loopReference[i]!) < 1e-12, `${name}: loop output ${i}`));
    const model = Buffer.from(lowerFunction(convNetGradient, specs, { target: name, [name]: row.options }).model);
    if (row.operatorSets === null) assert.equal(model.includes('com.microsoft'), false, `${name} uses an ONNX Runtime operator set`);
    const providers = TARGETS[name].providers;
    assert.ok(providers === 'any' || providers.includes('cpu'), `${name} runs on no provider this machine has`);
  });
}

test('an unknown target, or an unknown option of one, is a one-line error naming it', async () => {
  const f = ({ x }: { x: Tensor }) => x.sum();
  await assert.rejects(compile(f, { x: spec([2]) }, { target: 'gpu' as never }), /^GraphError: compile: unknown target 'gpu' \(known: reference, ort-cpu\)$/);
  await assert.rejects(compile(f, { x: spec([2]) }, { 'ort-cpu': { winograd: true } as never }), /compile: unknown ort-cpu option 'winograd' \(known: reassociate, /);
  await assert.rejects(compile(f, { x: spec([2]) }, { target: 'reference', reference: { fuse: false } as never }), /the reference target takes no options/);
});

test('the execution provider chooses the target: ort-cpu on cpu, the reference lowering elsewhere; ort-cpu refuses other providers', async () => {
  assert.equal(targetName({}), 'ort-cpu');
  assert.equal(targetName({ executionProvider: 'cpu' }), 'ort-cpu');
  for (const provider of ['cuda', 'webgpu', 'tensorrt']) {
    assert.equal(targetName({ executionProvider: provider }), 'reference', provider);
    assert.equal(targetName({ executionProvider: provider, target: 'reference' }), 'reference');
    assert.throws(() => targetName({ executionProvider: provider, target: 'ort-cpu' }), new RegExp(`target 'ort-cpu' runs on the cpu execution provider only, not on '${provider}'`));
  }
});

test('a program for another provider never holds an ORT-CPU operator, even where the NCHWc kernels exist', async () => {
  // A runtime that answers every probe as this machine's CPU would (ReorderInput → 16-channel blocks).
  const block16 = new HostTensor(new Float32Array(16), [1, 16, 1, 1]);
  const probe = async () => new Proxy({}, { get: () => block16 }) as Record<string, HostTensor>;
  const conv = ({ x, w }: { x: Tensor; w: Tensor }) => grad((v: Tensor) => conv2d(x, v, { padding: 1 }).relu().square().mean())(w);
  const convSpecs = { x: spec([2, 16, 8, 8]), w: spec([32, 16, 3, 3]) };
  const onCpu = lowerFunction(conv, convSpecs, {}, await prepareTarget({}, probe));
  const onGpu = lowerFunction(conv, convSpecs, { executionProvider: 'cuda' }, await prepareTarget({ executionProvider: 'cuda' }, probe));
  assert.ok(Buffer.from(onCpu.model).includes('com.microsoft.nchwc'), 'the probe did not reach the ort-cpu target: the comparison says nothing');
  assert.equal(Buffer.from(onGpu.model).includes('com.microsoft'), false);
  assert.equal(onGpu.target, 'reference');
});
