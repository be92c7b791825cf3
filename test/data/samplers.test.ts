// Tests of the minibatch samplers: the invariants that define each kind, the N % B rule, and resumability.
// Orders are compared as plain arrays, copied out of the reused buffers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/random.ts';
import { DataError, makeSampler, SAMPLER_KINDS, stepsPerEpoch, type BatchSampler } from '../../src/data/index.ts';

const batchesOf = (sampler: BatchSampler, epoch: number) => [...sampler.epoch(epoch)].map((b) => [...b]);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

test('reshuffle: every example exactly once per epoch, a different order each epoch, reproducible per (seed, epoch)', () => {
  const sampler = makeSampler('reshuffle', { n: 120, batch: 8, rng: new Rng(1) });
  assert.equal(sampler.stepsPerEpoch, 15);
  const epochs = [0, 1, 2].map((e) => batchesOf(sampler, e));
  for (const batches of epochs) {
    assert.equal(batches.length, 15);
    assert.ok(batches.every((b) => b.length === 8));
    assert.deepEqual(sorted(batches.flat()), range(120));
  }
  assert.notDeepEqual(epochs[0], epochs[1]);
  assert.notDeepEqual(epochs[1], epochs[2]);
  assert.notDeepEqual(epochs[0]!.flat(), range(120));
  // A fresh sampler (a resumed run) jumping straight to epoch 2 sees the same batches.
  const resumed = makeSampler('reshuffle', { n: 120, batch: 8, rng: new Rng(1) });
  assert.deepEqual(batchesOf(resumed, 2), epochs[2]);
  assert.notDeepEqual(batchesOf(makeSampler('reshuffle', { n: 120, batch: 8, rng: new Rng(2) }), 0), epochs[0]);
});

test('fixed: the data set order every epoch', () => {
  const sampler = makeSampler('fixed', { n: 12, batch: 4, rng: new Rng(0) });
  for (const e of [0, 1, 5]) assert.deepEqual(batchesOf(sampler, e), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
});

test('reversed-pairs: the odd epoch is the even epoch\'s batches in reverse order', () => {
  const sampler = makeSampler('reversed-pairs', { n: 60, batch: 6, rng: new Rng(3) });
  const first = batchesOf(sampler, 0);
  const second = batchesOf(sampler, 1);
  assert.deepEqual(sorted(first.flat()), range(60));
  assert.deepEqual(second, [...first].reverse());
  assert.notDeepEqual(first.flat(), range(60)); // a random partition, not the data order
  // One partition for the whole run by default ...
  assert.deepEqual(batchesOf(sampler, 2), first);
  assert.deepEqual(batchesOf(sampler, 7), [...first].reverse());
  // ... or a new one per pair, still reversed within the pair and reproducible after a resume.
  const perPair = makeSampler('reversed-pairs', { n: 60, batch: 6, rng: new Rng(3), newPartitionEachPair: true });
  const pair1 = batchesOf(perPair, 2);
  assert.notDeepEqual(pair1, batchesOf(perPair, 0));
  assert.deepEqual(batchesOf(perPair, 3), [...pair1].reverse());
  assert.deepEqual(batchesOf(makeSampler('reversed-pairs', { n: 60, batch: 6, rng: new Rng(3), newPartitionEachPair: true }), 3), [...pair1].reverse());
});

test('with-replacement: B distinct examples per batch, m batches, repeats across an epoch', () => {
  const sampler = makeSampler('with-replacement', { n: 100, batch: 10, rng: new Rng(4) });
  const batches = batchesOf(sampler, 0);
  assert.equal(batches.length, 10);
  for (const b of batches) {
    assert.equal(new Set(b).size, 10);
    assert.ok(b.every((i) => i >= 0 && i < 100));
  }
  // 100 draws from 100 examples: the chance of no repeat is astronomically small.
  assert.ok(new Set(batches.flat()).size < 100);
  assert.deepEqual(batchesOf(makeSampler('with-replacement', { n: 100, batch: 10, rng: new Rng(4) }), 0), batches);
  assert.notDeepEqual(batchesOf(sampler, 1), batches);
  // Each example is drawn with probability B/N per batch: check the empirical frequency over many epochs.
  const counts = new Array(100).fill(0);
  for (let e = 0; e < 200; e++) for (const i of sampler.epochOrder(e)) counts[i]++;
  for (const c of counts) assert.ok(c > 200 - 6 * Math.sqrt(200) && c < 200 + 6 * Math.sqrt(200), `count ${c}`);
  // Resuming at epoch 150 without running the earlier ones gives the same batches.
  const uninterrupted = [...sampler.epochOrder(150)];
  assert.deepEqual([...makeSampler('with-replacement', { n: 100, batch: 10, rng: new Rng(4) }).epochOrder(150)], uninterrupted);
});

test('full: one batch of all N examples', () => {
  const sampler = makeSampler('full', { n: 37, batch: 5, rng: new Rng(0) });
  assert.equal(sampler.stepsPerEpoch, 1);
  assert.equal(sampler.batch, 37);
  assert.deepEqual(batchesOf(sampler, 3), [range(37)]);
});

test('N % B != 0 is a one-line error unless dropLast', () => {
  assert.throws(() => makeSampler('reshuffle', { n: 1200, batch: 32, rng: new Rng(0) }), {
    name: 'DataError',
    message: 'batch 32 does not divide the 1200 training examples; pass --drop-last to drop the remaining 16',
  });
  for (const kind of SAMPLER_KINDS.filter((k) => k !== 'full')) {
    assert.throws(() => makeSampler(kind, { n: 10, batch: 3, rng: new Rng(0) }), DataError, kind);
    const sampler = makeSampler(kind, { n: 10, batch: 3, dropLast: true, rng: new Rng(0) });
    const batches = batchesOf(sampler, 0);
    assert.equal(batches.length, 3, kind);
    assert.ok(batches.every((b) => b.length === 3), kind);
    if (kind !== 'with-replacement') assert.equal(new Set(batches.flat()).size, 9, kind);
  }
  assert.equal(stepsPerEpoch(1200, 32, true), 37);
  assert.throws(() => stepsPerEpoch(10, 11), /batch 11 is larger than the 10 training examples/);
  assert.throws(() => stepsPerEpoch(10, 0), DataError);
  assert.throws(() => makeSampler('bogus' as never, { n: 10, batch: 2, rng: new Rng(0) }), /unknown sampler 'bogus'/);
  assert.throws(() => makeSampler('fixed', { n: 10, batch: 2, rng: new Rng(0) }).epochOrder(-1), RangeError);
});

test('epochOrder is the concatenation of the epoch\'s batches', () => {
  const sampler = makeSampler('reshuffle', { n: 20, batch: 5, rng: new Rng(8) });
  const batches = batchesOf(sampler, 4);
  assert.deepEqual([...sampler.epochOrder(4)], batches.flat());
});
