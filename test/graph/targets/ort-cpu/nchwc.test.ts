// The pass that joins NCHWc convolutions with their ReLUs and drops reorder round trips
// (fuseNchwcChains in src/graph/targets/ort-cpu/passes/nchwc-chains.ts): on hand-built node lists (what it must and must
// not rewrite), and on ReLU conv nets compiled in float32 against the float64 lowering.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conv2d, globalAvgPool, type Tensor } from '../../../../src/graph/index.ts';
import { fuseNchwcChains } from '../../../../src/graph/targets/ort-cpu/passes/nchwc-chains.ts';
import { NCHWC_DOMAIN } from '../../../../src/graph/targets/ort-cpu/nchwc.ts';
import { nchwcBlockSize as probeNchwc } from '../../../../src/graph/targets/ort-cpu/probe.ts';
import { runOn } from '../../../../src/graph/providers.ts';

const nchwcBlockSize = () => probeNchwc(runOn('cpu'));
import type { NodeProto } from '../../../../src/graph/lower.ts';
import { checkThreeConvNet, type ThreeConvParams } from '../../helpers.ts';

const node = (opType: string, input: string[], output: string, domain?: string, attribute: NodeProto['attribute'] = []): NodeProto =>
  ({ opType, input, output: [output], name: output, attribute, ...(domain ? { domain } : {}) });
const reorderOut = (input: string, output: string, channels: number) =>
  node('ReorderOutput', [input], output, NCHWC_DOMAIN, [{ name: 'channels', type: 2, i: channels }]);
const isZero = (name: string) => name === 'zero';
const activation = (n: NodeProto) => n.attribute!.find((a) => a.name === 'activation')?.s;

/** Conv → ReorderOutput t → Relu r, a mask Greater(t, zero), r read by X and by the next conv's ReorderInput. */
function chain(extra: NodeProto[] = [], channels = 32): NodeProto[] {
  return [
    node('Conv', ['xb', 'w'], 'y', NCHWC_DOMAIN),
    reorderOut('y', 't', channels),
    node('Relu', ['t'], 'r'),
    node('Greater', ['t', 'zero'], 'mask'),
    node('Unfold', ['r'], 'x_use'),
    node('ReorderInput', ['r'], 'rb', NCHWC_DOMAIN),
    node('Conv', ['rb', 'w2'], 'y2', NCHWC_DOMAIN),
    ...extra,
  ];
}

test('fuseNchwcChains: a ReLU after an NCHWc conv becomes its activation; the reorder round trip goes', () => {
  const nodes = chain();
  const renamed = fuseNchwcChains(nodes, ['y2'], 16, isZero);
  assert.deepEqual(nodes.map((n) => n.opType), ['Conv', 'ReorderOutput', 'Greater', 'Unfold', 'Conv']);
  assert.equal(new TextDecoder().decode(activation(nodes[0]!)!), 'Relu');
  assert.deepEqual(nodes[2]!.input, ['t', 'zero'], 'the mask reads the activation');
  assert.deepEqual(nodes[3]!.input, ['t'], "the ReLU's reader reads the reordered activation");
  assert.deepEqual(nodes[4]!.input, ['y', 'w2'], 'the next conv reads the blocked activation');
  assert.equal(renamed.get('r'), 't');
});

test('fuseNchwcChains leaves the ReLU alone when the pre-activation has another reader or is an output', () => {
  const cases: [string, NodeProto[], string[]][] = [
    ['read by a Mul', chain([node('Mul', ['t', 't'], 'sq')]), ['y2', 'sq']],
    ['masked against a non-zero', chain([node('Greater', ['t', 'half'], 'mask2')]), ['y2', 'mask2']],
    ['masked the other way round', chain([node('Greater', ['zero', 't'], 'mask3')]), ['y2', 'mask3']],
    ['a graph output', chain(), ['y2', 't']],
    ['the conv output read twice', chain([node('Identity', ['y'], 'y_copy')]), ['y2', 'y_copy']],
  ];
  for (const [why, nodes, outputs] of cases) {
    fuseNchwcChains(nodes, outputs, 16, isZero);
    assert.ok(nodes.some((n) => n.opType === 'Relu'), `${why}: the ReLU stays`);
    assert.equal(activation(nodes[0]!), undefined, `${why}: no fused activation`);
  }
});

test('fuseNchwcChains keeps a reorder round trip whose channels do not fill whole blocks', () => {
  const nodes = chain([], 24);
  fuseNchwcChains(nodes, ['y2'], 16, isZero);
  assert.ok(nodes.some((n) => n.opType === 'ReorderInput'), '24 channels: the blocked tensor has padding channels');
  const whole = chain([], 24);
  fuseNchwcChains(whole, ['y2'], 8, isZero);
  assert.ok(!whole.some((n) => n.opType === 'ReorderInput'), '24 channels in blocks of 8');
});

// ReLU nets on the NCHWc kernels (float32) against the float64 lowering, to second order: one
// whose ReLUs fuse, one whose pre-activation is also read (x·relu(x) style) and must not fuse.
const nets: [string, boolean, (p: ThreeConvParams, x: Tensor) => Tensor][] = [
  ['conv-relu-conv-relu-conv', true, (p, x) => {
    const h1 = conv2d(x, p.w1, { padding: 1 }).relu();
    const h2 = conv2d(h1, p.w2, { padding: 1 }).relu();
    return globalAvgPool(conv2d(h2, p.w3, { stride: 2, padding: 1 }).square());
  }],
  ['pre-activation also read', false, (p, x) => {
    const pre = conv2d(x, p.w1, { padding: 1 });
    const h1 = pre.relu().mul(pre);
    return globalAvgPool(conv2d(conv2d(h1, p.w2, { padding: 1 }), p.w3, { stride: 2, padding: 1 }).square());
  }],
];
for (const [name, fuses, net] of nets) {
  test(`ReLU conv net (${name}) on the NCHWc kernels agrees with float64 to second order`, async (t) => {
    if ((await nchwcBlockSize()) === null) return t.skip('this ONNX Runtime build has no NCHWc kernels');
    const model = await checkThreeConvNet(net, [16, 16, 32, 16], 9, { seeds: [21, 22, 23, 24], scale: 0.3 });
    assert.equal(Buffer.from(model).includes('activation'), fuses, `fused activation in the model: expected ${fuses}`);
  });
}
