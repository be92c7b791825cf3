// Gunzip of data files has an output cap: a small file that inflates past it (a gzip bomb) is a
// one-line DataError naming the file, decided before the memory is spent.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../src/data/index.ts';
import { gunzipCapped, MAX_GUNZIPPED_BYTES } from '../../src/data/files.ts';

test('a stream inflating past the cap, a corrupt stream and a truncated one are DataErrors', () => {
  const bomb = gzipSync(Buffer.alloc(4 << 20));
  assert.ok(bomb.length < 10_000, 'a few KB on disk');
  assert.throws(() => gunzipCapped(bomb, 'bomb.gz', 1 << 20), (e: Error) => e instanceof DataError && e.message === `bomb.gz: decompresses to more than ${1 << 20} bytes; not a data file sgdlab reads`);
  assert.equal(gunzipCapped(bomb, 'bomb.gz', 4 << 20).length, 4 << 20, 'exactly at the cap is fine');
  assert.throws(() => gunzipCapped(Buffer.from('not gzip'), 'x.gz'), (e: Error) => e instanceof DataError && /^x.gz: not a valid gzip file \(/.test(e.message));
  assert.throws(() => gunzipCapped(bomb.subarray(0, bomb.length - 6), 'cut.gz'), (e: Error) => e instanceof DataError && /^cut.gz: not a valid gzip file/.test(e.message));
  assert.equal(MAX_GUNZIPPED_BYTES, 1 << 30);
});
