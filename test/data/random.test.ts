// Tests of the seeded Rng: determinism, ranges, rough moments, forks and exact state round trips.
// (Kept under test/data with the data code that relies most on it.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/random.ts';

const draw = (rng: Rng, count: number) => Array.from({ length: count }, () => rng.next());

test('same seed gives the same stream, different seeds differ', () => {
  assert.deepEqual(draw(new Rng(7), 100), draw(new Rng(7), 100));
  assert.notDeepEqual(draw(new Rng(7), 100), draw(new Rng(8), 100));
  // Seeds above 2^32 are not truncated to their low word.
  assert.notDeepEqual(draw(new Rng(5), 10), draw(new Rng(5 + 2 ** 32), 10));
  assert.throws(() => new Rng(1.5), RangeError);
});

test('next, uniform and int stay in range; int is unbiased enough', () => {
  const rng = new Rng(1);
  for (let i = 0; i < 10000; i++) {
    const u = rng.next();
    assert.ok(Number.isInteger(u) && u >= 0 && u < 2 ** 32);
    const f = rng.uniform();
    assert.ok(f >= 0 && f < 1);
  }
  const counts = new Array(7).fill(0);
  const draws = 70000;
  for (let i = 0; i < draws; i++) counts[rng.int(7)]++;
  for (const c of counts) assert.ok(Math.abs(c - draws / 7) < 5 * Math.sqrt(draws / 7), `count ${c}`);
  assert.equal(rng.int(1), 0);
  assert.throws(() => rng.int(0), RangeError);
  assert.throws(() => rng.int(2.5), RangeError);
  // The full 2^32 range is allowed.
  const big = rng.int(2 ** 32);
  assert.ok(big >= 0 && big < 2 ** 32);
});

test('uniform and normal have the right first moments', () => {
  const rng = new Rng(2);
  const n = 200000;
  let su = 0, suu = 0, sn = 0, snn = 0, sn4 = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    su += u;
    suu += u * u;
    const z = rng.normal();
    sn += z;
    snn += z * z;
    sn4 += z ** 4;
  }
  assert.ok(Math.abs(su / n - 0.5) < 0.005);
  assert.ok(Math.abs(suu / n - su * su / n / n - 1 / 12) < 0.003);
  assert.ok(Math.abs(sn / n) < 0.01);
  assert.ok(Math.abs(snn / n - 1) < 0.02);
  assert.ok(Math.abs(sn4 / n - 3) < 0.1, `kurtosis ${sn4 / n}`);
});

test('permutation is a permutation and shuffles', () => {
  const rng = new Rng(3);
  const p = rng.permutation(1000);
  assert.ok(p instanceof Int32Array);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  let fixedPoints = 0;
  for (let i = 0; i < 1000; i++) if (p[i] === i) fixedPoints++;
  assert.ok(fixedPoints < 10);
  const out = new Int32Array(1000);
  assert.equal(new Rng(3).permutation(1000, out), out);
  assert.deepEqual(out, p);
});

test('fork is deterministic, label-dependent and independent of the parent position', () => {
  const a = new Rng(11);
  const before = draw(a.fork('init'), 20);
  draw(a, 1000); // consuming the parent must not change its forks
  assert.deepEqual(draw(a.fork('init'), 20), before);
  assert.notDeepEqual(draw(a.fork('data'), 20), before);
  assert.notDeepEqual(draw(a.fork(1), 20), draw(a.fork('1'), 20));
  assert.notDeepEqual(draw(a.fork(1), 20), draw(a.fork(2), 20));
  assert.notDeepEqual(draw(new Rng(12).fork('init'), 20), before);
  // Nested forks are reproducible too.
  assert.deepEqual(draw(new Rng(11).fork('data').fork(3), 5), draw(a.fork('data').fork(3), 5));
  assert.notDeepEqual(draw(a.fork('data').fork(3), 5), draw(a.fork(3).fork('data'), 5));
  // The child's stream is not the parent's.
  assert.notDeepEqual(draw(new Rng(11), 20), before);
});

test('getState/setState resume the exact stream, including a pending normal and forks', () => {
  const rng = new Rng(99);
  draw(rng, 17);
  rng.normal(); // leaves a spare normal pending
  const state = JSON.parse(JSON.stringify(rng.getState()));
  const expected = [rng.normal(), rng.uniform(), rng.next(), rng.int(1000), rng.normal()];
  const forkExpected = draw(rng.fork('x'), 5);
  const resumed = Rng.fromState(state);
  assert.deepEqual([resumed.normal(), resumed.uniform(), resumed.next(), resumed.int(1000), resumed.normal()], expected);
  assert.deepEqual(draw(resumed.fork('x'), 5), forkExpected);
  const other = new Rng(5);
  other.setState(state);
  assert.equal(other.normal(), expected[0]);
  assert.throws(() => other.setState({ key: [1, 2, 3], s: [1, 2, 3, 4], spareNormal: null }), RangeError);
  assert.throws(() => other.setState({ key: [1, 2, 3, 4], s: [0, 0, 0, 0], spareNormal: null }), RangeError);
});

test('fillNormal and fillUniform fill typed arrays', () => {
  const x = new Rng(4).fillNormal(new Float64Array(10000), 3, 2);
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  assert.ok(Math.abs(mean - 3) < 0.1);
  const u = new Rng(4).fillUniform(new Float32Array(1000), -1, 1);
  assert.ok(u.every((v) => v >= -1 && v < 1));
});
