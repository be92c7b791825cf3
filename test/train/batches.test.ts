// The batch stream: chunks of at most K steps holding the sampler's batches in order, each step's
// scheduled rate, float64 copies for float64 runs, and augmentation that depends on the epoch only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSampler, randomCropFlip, type Dataset } from '../../src/data/index.ts';
import { BatchStream } from '../../src/train/index.ts';
import type { HostTensor } from '../../src/graph/index.ts';
import { Rng } from '../../src/util/random.ts';

const values = (t: HostTensor): number[] => Array.from(t.data as Float32Array | Float64Array | Int32Array);

// 12 images [1, 2, 2] whose pixels name the example: example i holds 10i, 10i + 1, …
const data: Dataset = {
  name: 'tiny',
  x: Float32Array.from({ length: 48 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4)),
  y: Int32Array.from({ length: 12 }, (_, i) => i % 3),
  n: 12,
  shape: [1, 2, 2],
  numClasses: 3,
};

test('chunks of at most K steps hold the sampler\'s batches in order, with each step\'s rate', () => {
  const sampler = makeSampler('reshuffle', { n: 12, batch: 3, rng: new Rng(1) });
  const stream = new BatchStream(data, sampler, { dtype: 'float32', stepsPerCall: 3, learningRate: (s) => 1 / (s + 1) });
  for (const epoch of [0, 2]) {
    const order = Array.from(sampler.epochOrder(epoch));
    // Copied as they come: the next chunk reuses the buffers.
    const chunks = [];
    for (const c of stream.epoch(epoch, 4)) chunks.push({ firstStep: c.firstStep, steps: c.steps, shape: c.x.shape, x: values(c.x), y: values(c.y), lr: values(c.lr) });
    assert.deepEqual(chunks.map((c) => [c.firstStep, c.steps]), [[epoch * 4, 3], [epoch * 4 + 3, 1]]);
    assert.deepEqual(chunks[0]!.shape, [3, 3, 1, 2, 2]);
    const examples = chunks.flatMap((c) => c.x.filter((_, k) => k % 4 === 0).map((v) => v / 10));
    assert.deepEqual(examples, order);
    assert.deepEqual(chunks.flatMap((c) => c.y), order.map((i) => i % 3));
    assert.deepEqual(chunks.flatMap((c) => c.lr), [0, 1, 2, 3].map((j) => Math.fround(1 / (epoch * 4 + j + 1))));
  }
  // A step budget that ends mid-epoch: only the steps asked for.
  assert.deepEqual([...stream.epoch(1, 2)].map((c) => c.steps), [2]);
});

test('float64 runs get float64 batches; augmentation is the epoch\'s own crop-and-flip stream', () => {
  const sampler = makeSampler('fixed', { n: 12, batch: 4, rng: new Rng(2) });
  const x64 = [...new BatchStream(data, sampler, { dtype: 'float64', stepsPerCall: 3, learningRate: () => 0.5 }).epoch(0, 3)][0]!;
  assert.ok(x64.x.data instanceof Float64Array && x64.lr.data instanceof Float64Array);
  const augment = new Rng(3).fork('augment');
  const stream = new BatchStream(data, sampler, { dtype: 'float32', stepsPerCall: 3, learningRate: () => 0.5, augment });
  const first = values([...stream.epoch(1, 3)][0]!.x);
  const again = values([...stream.epoch(1, 3)][0]!.x);
  assert.deepEqual(first, again, 'the same epoch augments the same way');
  // By hand: the plain batches, cropped and flipped with the epoch's fork of the stream.
  const expected = new Float32Array(48);
  randomCropFlip(x64.x.data as Float64Array, expected, 12, { channels: 1, height: 2, width: 2 }, augment.fork(1), 4);
  assert.deepEqual(first, Array.from(expected));
  assert.notDeepEqual(values([...stream.epoch(2, 3)][0]!.x), first);
});
