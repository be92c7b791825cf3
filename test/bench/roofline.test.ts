// The roofline's byte model (bench/roofline.ts): parameter bytes and the bytes a step must move, against
// counts written out by hand from the models' layer sizes; and the roofline as the larger of its bounds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel } from '../../src/nn/index.ts';
import { roofline, stepBytes } from '../../bench/roofline.ts';

test('MLP step bytes: forward reads every parameter, input gradients every weight but the first, the update writes P/K', () => {
  const model = buildModel('mlp:256x3', [784], 10);
  const weights = [784 * 256, 256 * 256, 256 * 256, 256 * 10];
  const biases = [256, 256, 256, 10];
  const P = 4 * [...weights, ...biases].reduce((a, b) => a + b, 0);
  const Pg = 4 * (256 * 256 + 256 * 256 + 256 * 10);
  const batch = 4 * 16 * 784;
  const plain = stepBytes(model, 16, 'plain', 64);
  assert.equal(plain.paramBytes, P);
  assert.equal(plain.inputGradParamBytes, Pg);
  assert.equal(plain.readBytes, P + Pg + batch);
  assert.equal(plain.writeBytes, P / 64);
  for (const kind of ['modified-fd', 'modified-exact'] as const) {
    const m = stepBytes(model, 16, kind, 1);
    assert.equal(m.readBytes, 2 * (P + Pg) + batch);
    assert.equal(m.writeBytes, P);
  }
});

test('WRN step bytes: the stem is the first layer; gates and head bias are not input-gradient reads', () => {
  const model = buildModel('wrn:10-1', [3, 32, 32], 10);
  const b = stepBytes(model, 32, 'plain', 1);
  // WRN-10-1: one block per stage, widths 16, 32, 64; stem 16×3×3×3; shortcuts where the shape changes.
  const convs = [16 * 16 * 9, 16 * 16 * 9, 32 * 16 * 9, 32 * 32 * 9, 32 * 16, 64 * 32 * 9, 64 * 64 * 9, 64 * 32];
  const head = 64 * 10;
  assert.equal(b.inputGradParamBytes, 4 * (convs.reduce((a, c) => a + c, 0) + head));
  assert.equal(b.paramBytes, b.inputGradParamBytes + 4 * (16 * 3 * 9 + 3 + 10));
});

test('the roofline is the larger of the FLOP and the byte bound', () => {
  const bytes = { paramBytes: 0, inputGradParamBytes: 0, readBytes: 3e8, writeBytes: 1e8 };
  const memoryBound = roofline({ flops: 1e9, peakGflops: 200, bytes, bandwidthGBps: 20 });
  assert.equal(memoryBound.byteBoundMs, 20);
  assert.equal(memoryBound.flopBoundMs, 5);
  assert.equal(memoryBound.rooflineMs, 20);
  const computeBound = roofline({ flops: 1e10, peakGflops: 200, bytes, bandwidthGBps: 20 });
  assert.equal(computeBound.rooflineMs, 50);
});
