// CIFAR-10 archive extraction through node-tar: regular files and directories only, no path or link
// escapes (including a symlink already present in the target folder), no existing file replaced,
// bounded sizes, and nothing written unless the whole archive passed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError, extractTarArchive, listTarArchive } from '../../src/data/index.ts';
import { makeTar, tempDir, type TarFixtureEntry } from './fixtures.ts';

function archive(t: Parameters<typeof tempDir>[0], entries: TarFixtureEntry[], gzip = true): string {
  const path = join(tempDir(t), 'a.tar.gz');
  const tar = makeTar(entries);
  writeFileSync(path, gzip ? gzipSync(tar) : tar);
  return path;
}

function expectDataError(fn: () => unknown, message: RegExp, what = String(message)): void {
  assert.throws(fn, (e: Error) => e instanceof DataError && message.test(e.message) && !e.message.includes('\n'), what);
}

const good: TarFixtureEntry[] = [{ path: 'cifar-10-batches-bin/', type: '5' }, { path: 'cifar-10-batches-bin/a.bin', data: Buffer.from('hello') }];

test('files and directories extract; a second extraction over identical files writes nothing', (t) => {
  const file = archive(t, good);
  assert.deepEqual(listTarArchive(file, 'a.tar.gz'), [{ path: 'cifar-10-batches-bin', type: 'directory', size: 0 }, { path: 'cifar-10-batches-bin/a.bin', type: 'file', size: 5 }]);
  const dir = tempDir(t);
  assert.deepEqual(extractTarArchive(file, dir, 'a.tar.gz'), ['cifar-10-batches-bin/a.bin']);
  assert.equal(readFileSync(join(dir, 'cifar-10-batches-bin', 'a.bin'), 'utf8'), 'hello');
  assert.deepEqual(readdirSync(dir), ['cifar-10-batches-bin'], 'the staging folder is gone');
  assert.deepEqual(extractTarArchive(file, dir, 'a.tar.gz'), []);
  assert.deepEqual(listTarArchive(archive(t, good, false), 'a.tar'), listTarArchive(file, 'a.tar.gz'), 'plain tar too');
});

test('unsafe paths, links and other entry types are refused before anything is written', (t) => {
  const cases: [TarFixtureEntry[], RegExp][] = [
    [[...good, { path: '../evil', data: Buffer.from('x') }], /^a.tar.gz: unsafe path '..\/evil' \(contains '..'\)$/],
    [[...good, { path: 'a/../../evil' }], /unsafe path 'a\/..\/..\/evil'/],
    [[...good, { path: '/etc/passwd' }], /unsafe path '\/etc\/passwd' \(absolute or with backslashes\)/],
    [[...good, { path: 'link', type: '2', linkname: '/etc/passwd' }], /^a.tar.gz: entry 'link' is a SymbolicLink; only regular files and directories are accepted$/],
    [[...good, { path: 'hard', type: '1', linkname: 'cifar-10-batches-bin/a.bin' }], /entry 'hard' is a Link/],
    [[...good, { path: 'fifo', type: '6' }], /entry 'fifo' is a FIFO/],
  ];
  for (const [entries, message] of cases) {
    const dir = tempDir(t);
    expectDataError(() => extractTarArchive(archive(t, entries), dir, 'a.tar.gz'), message);
    assert.deepEqual(readdirSync(dir), [], `${message}: nothing written`);
  }
});

test('corrupt, truncated or oversized archives are one-line DataErrors', (t) => {
  const tar = makeTar(good);
  const badChecksum = Buffer.from(tar);
  badChecksum[10]! ^= 1;
  const dir = tempDir(t);
  for (const [bytes, message] of [
    [gzipSync(badChecksum), /^a.tar.gz: not a valid .tar.gz archive \(.*checksum/],
    [gzipSync(tar).subarray(0, 40), /^a.tar.gz: not a valid .tar.gz archive/],
    [Buffer.from('not an archive at all'), /^a.tar.gz: (not a valid .tar.gz archive|holds no files)/],
  ] as const) {
    const file = join(tempDir(t), 'a.tar.gz');
    writeFileSync(file, bytes);
    expectDataError(() => extractTarArchive(file, dir, 'a.tar.gz'), message);
  }
  expectDataError(() => extractTarArchive(archive(t, good), dir, 'a.tar.gz', { maxTotalBytes: 4, maxEntries: 10 }), /^a.tar.gz: more than 4 bytes of files$/);
  expectDataError(() => extractTarArchive(archive(t, good), dir, 'a.tar.gz', { maxTotalBytes: 100, maxEntries: 1 }), /^a.tar.gz: more than 1 entries$/);
  assert.deepEqual(readdirSync(dir), []);
});

test('a symlink already in the target folder is never followed, and a different existing file is never replaced', (t) => {
  const outside = tempDir(t);
  const dir = tempDir(t);
  symlinkSync(outside, join(dir, 'cifar-10-batches-bin'));
  expectDataError(() => extractTarArchive(archive(t, good), dir, 'a.tar.gz'), /^a.tar.gz: cifar-10-batches-bin is a symbolic link in .*; not extracting through it$/);
  assert.deepEqual(readdirSync(outside), [], 'nothing written through the link');

  const dir2 = tempDir(t);
  mkdirSync(join(dir2, 'cifar-10-batches-bin'));
  symlinkSync(join(outside, 'target.bin'), join(dir2, 'cifar-10-batches-bin', 'a.bin'));
  expectDataError(() => extractTarArchive(archive(t, good), dir2, 'a.tar.gz'), /cifar-10-batches-bin\/a.bin is a symbolic link/);
  assert.equal(existsSync(join(outside, 'target.bin')), false);

  const dir3 = tempDir(t);
  mkdirSync(join(dir3, 'cifar-10-batches-bin'));
  writeFileSync(join(dir3, 'cifar-10-batches-bin', 'a.bin'), 'mine');
  expectDataError(() => extractTarArchive(archive(t, good), dir3, 'a.tar.gz'), /^a.tar.gz: cifar-10-batches-bin\/a.bin already exists in .* with different contents; not overwriting$/);
  assert.equal(readFileSync(join(dir3, 'cifar-10-batches-bin', 'a.bin'), 'utf8'), 'mine');
});
