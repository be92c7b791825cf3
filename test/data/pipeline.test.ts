// Tests of preprocessing (standardise, scale, none, flatten), CIFAR crop+flip augmentation and batch gathering.
// Augmentation is checked against a direct definition of "pad with zeros, crop, mirror".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/random.ts';
import {
  DataError, flatten, gatherLabels, gatherRows, loadDigits, preprocess, randomCropFlip, scaleToUnit, standardizePerImage,
  type Dataset,
} from '../../src/data/index.ts';

test('per-image standardisation gives each image mean 0 and std 1; constant images become 0', () => {
  const rng = new Rng(1);
  const d = 3 * 8 * 8;
  const x = new Float32Array(5 * d);
  for (let i = 0; i < x.length; i++) x[i] = 100 + 30 * rng.uniform();
  x.fill(7, 4 * d, 5 * d); // a constant image
  const out = standardizePerImage(x, d, new Float32Array(x.length));
  for (let k = 0; k < 4; k++) {
    const img = out.subarray(k * d, (k + 1) * d);
    const mean = img.reduce((a, b) => a + b, 0) / d;
    const std = Math.sqrt(img.reduce((a, b) => a + (b - mean) ** 2, 0) / d);
    assert.ok(Math.abs(mean) < 1e-5, `mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 1e-5, `std ${std}`);
  }
  assert.ok(out.subarray(4 * d).every((v) => v === 0));
  assert.equal(x[0]! > 99, true); // the input is untouched when an output is given
});

test('preprocess modes on the digits: standardize, scale to [0,1], none; the loaded data is not mutated', () => {
  const { train } = loadDigits();
  const raw = train.x.slice();
  const standardized = preprocess(train, 'standardize');
  const first = standardized.x.subarray(0, 64);
  assert.ok(Math.abs(first.reduce((a, b) => a + b, 0) / 64) < 1e-5);
  const scaled = preprocess(train, 'scale');
  assert.ok(scaled.x.every((v) => v >= 0 && v <= 1));
  assert.ok(scaled.x.some((v) => v === 1));
  assert.equal(scaled.x[5], train.x[5]! / 16);
  const none = preprocess(train, 'none');
  assert.deepEqual(none.x, raw);
  assert.notEqual(none.x, train.x);
  assert.deepEqual(train.x, raw);
  assert.deepEqual(flatten(train).shape, [64]);
  assert.equal(flatten(train).x, train.x);
  const nonImage: Dataset = { name: 'vectors', x: new Float32Array(4), y: new Int32Array(2), n: 2, shape: [2], numClasses: 2 };
  assert.throws(() => preprocess(nonImage, 'scale'), DataError);
  assert.deepEqual([...scaleToUnit(new Float32Array([0, 255, 51]), 255)], [0, 1, 0.2].map(Math.fround));
});

/** Direct definition: pad by `pad` zeros, crop at (oy, ox), mirror if flip. */
function referenceCropFlip(img: Float32Array, c: number, h: number, w: number, oy: number, ox: number, flip: boolean, pad: number): Float32Array {
  const padded = new Float32Array(c * (h + 2 * pad) * (w + 2 * pad));
  const pw = w + 2 * pad, ph = h + 2 * pad;
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) padded[ch * ph * pw + (i + pad) * pw + j + pad] = img[ch * h * w + i * w + j]!;
  const out = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    const jj = flip ? w - 1 - j : j;
    out[ch * h * w + i * w + j] = padded[ch * ph * pw + (i + oy) * pw + jj + ox]!;
  }
  return out;
}

test('crop+flip augmentation keeps shapes, matches pad-crop-mirror, and is deterministic per seed', () => {
  const shape = { channels: 3, height: 32, width: 32 };
  const size = 3 * 32 * 32;
  const batch = 16;
  const input = new Rng(5).fillUniform(new Float32Array(batch * size), 0.5, 1); // no zeros, so padding is visible
  const out1 = new Float32Array(batch * size);
  const out2 = new Float32Array(batch * size);
  randomCropFlip(input, out1, batch, shape, new Rng(9));
  randomCropFlip(input, out2, batch, shape, new Rng(9));
  assert.deepEqual(out1, out2);
  const out3 = new Float32Array(batch * size);
  randomCropFlip(input, out3, batch, shape, new Rng(10));
  assert.notDeepEqual(out1, out3);
  // Replay the draws (3 per image) and compare with the direct definition.
  const replay = new Rng(9);
  let flips = 0, shifted = 0;
  for (let k = 0; k < batch; k++) {
    const oy = replay.int(9), ox = replay.int(9), flip = replay.next() >>> 31 === 1;
    if (flip) flips++;
    if (oy !== 4 || ox !== 4) shifted++;
    const expected = referenceCropFlip(input.subarray(k * size, (k + 1) * size), 3, 32, 32, oy, ox, flip, 4);
    assert.deepEqual(out1.subarray(k * size, (k + 1) * size), expected, `image ${k}`);
  }
  assert.ok(flips > 0 && flips < batch);
  assert.ok(shifted > 0);
  assert.throws(() => randomCropFlip(input, new Float32Array(10), batch, shape, new Rng(0)), RangeError);
});

test('gather copies the rows and labels of a batch into preallocated float32/float64 buffers', () => {
  const ds: Dataset = { name: 't', x: Float32Array.from({ length: 5 * 3 }, (_, i) => i), y: Int32Array.from([4, 3, 2, 1, 0]), n: 5, shape: [3], numClasses: 5 };
  const x = new Float32Array(6);
  const y = new Int32Array(2);
  gatherRows(ds.x, 3, Int32Array.from([4, 1]), x);
  gatherLabels(ds.y, Int32Array.from([4, 1]), y);
  assert.deepEqual([...x], [12, 13, 14, 3, 4, 5]);
  assert.deepEqual([...y], [0, 3]);
  const x64 = new Float64Array(9);
  gatherRows(ds.x, 3, [2, 2, 0], x64);
  assert.deepEqual([...x64], [6, 7, 8, 6, 7, 8, 0, 1, 2]);
  assert.throws(() => gatherRows(ds.x, 3, [5], x64), /index 5 out of range/);
  assert.throws(() => gatherRows(ds.x, 3, [0, 1, 2], x), RangeError);
  assert.throws(() => gatherLabels(ds.y, [0, 1, 2], y), RangeError);
  assert.throws(() => gatherLabels(ds.y, [7], y), /index 7 out of range/);
});
