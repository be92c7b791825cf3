// The environment of forked trainers: glibc's huge-page malloc (docs/benchmarks.md) whether sgdlab was started
// through bin/sgdlab, as `node bin/sgdlab.js` or from library code; a hugetlb the caller chose is kept.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forkEntry, withHugePageMalloc } from '../../src/sweep/trainer.ts';

test('withHugePageMalloc adds glibc.malloc.hugetlb=1 to what is there, and keeps a hugetlb the caller set', () => {
  assert.equal(withHugePageMalloc({}).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1');
  assert.equal(withHugePageMalloc({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES, 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  assert.equal(withHugePageMalloc({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=0');
  assert.equal(withHugePageMalloc({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2' }).GLIBC_TUNABLES, 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2');
});

test('a forked child starts with the huge-page malloc even when its parent did not', async () => {
  const { GLIBC_TUNABLES: _dropped, ...parentEnv } = process.env;
  const child = forkEntry(new URL('./tunables.fixture.ts', import.meta.url), [], parentEnv);
  const seen = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
  });
  assert.equal(seen, 'glibc.malloc.hugetlb=1');
});
