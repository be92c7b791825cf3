// Output paths (src/util/output-path.ts): what each check refuses, in one line, and what it lets through.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OutputPathError, checkOutputPaths, type InputPath, type OutputPath } from '../../src/util/output-path.ts';

const dir = mkdtempSync(join(tmpdir(), 'sgdlab-output-'));
writeFileSync(join(dir, 'input.bin'), 'input');
writeFileSync(join(dir, 'old-output.bin'), 'replace me');
mkdirSync(join(dir, 'folder'));
mkdirSync(join(dir, 'data'));
writeFileSync(join(dir, 'data', 'train.idx'), 'x');
symlinkSync(join(dir, 'input.bin'), join(dir, 'input-link'));
symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
const db = new Database(join(dir, 'some.sqlite'));
db.exec('CREATE TABLE t (x)');
db.close();

const file = (path: string, flag = '--out'): OutputPath => ({ flag, path, kind: 'file' });
const folder = (path: string, flag = '--out'): OutputPath => ({ flag, path, kind: 'directory' });
const inputs: InputPath[] = [{ flag: '--init', path: join(dir, 'input.bin') }, { flag: '--data-dir', path: join(dir, 'data'), directory: true }, { flag: '--store', path: join(dir, 'new-store.sqlite') }];

test('refused: every way an output can be wrong, one line each', () => {
  const cases: [OutputPath[], RegExp][] = [
    [[file(join(dir, 'input.bin'))], /^--out .*input\.bin: is the same file as --init .*input\.bin; writing it would destroy that input$/],
    [[file(join(dir, 'input-link'))], /input-link: is the same file as --init/],
    [[file(join(dir, 'folder', '..', 'input.bin'))], /is the same file as --init/],
    [[file(join(dir, 'data', 'train.idx'))], /is the same file as --data-dir/],
    [[file(join(dir, 'new-store.sqlite'))], /new-store\.sqlite: is the same file as --store/],
    [[file(join(dir, 'some.sqlite'))], /some\.sqlite: is a SQLite database \(a run store\?\); refusing to write over it$/],
    [[file(join(dir, 'folder'))], /folder: is a directory; name a file to write$/],
    [[file('/dev/null')], /\/dev\/null: is a character device, not a regular file$/],
    [[file(join(dir, 'dangling'))], /dangling: a symbolic link to a path that does not exist$/],
    [[file(join(dir, 'missing', 'x.bin'))], /x\.bin: folder .*missing does not exist$/],
    [[file(join(dir, 'input.bin', 'x.bin'))], /x\.bin: .*input\.bin is not a folder$/],
    [[file('')], /^--out: the path is empty$/],
    [[folder(join(dir, 'old-output.bin'))], /old-output\.bin: is a file; name a folder to write into$/],
    [[folder(join(dir, 'missing', 'deeper'))], /deeper: folder .*missing does not exist$/],
    [[file(join(dir, 'a.bin'), '--save'), file(join(dir, 'a.bin'), '--out')], /^--out .*a\.bin: is the same file as --save .*a\.bin/],
  ];
  for (const [outputs, message] of cases) {
    assert.throws(() => checkOutputPaths(outputs, inputs), (e: unknown) => e instanceof OutputPathError && message.test(e.message), `${outputs.map((o) => o.path).join(', ')}`);
  }
});

test('allowed: a new file in an existing folder, an existing file to replace, folders to create or fill', () => {
  checkOutputPaths([file(join(dir, 'new.bin')), file(join(dir, 'old-output.bin')), folder(join(dir, 'folder')), folder(join(dir, 'new-folder'))], inputs);
  assert.throws(() => checkOutputPaths([folder(join(dir, 'a', 'b', 'c'))]), /folder .*a\/b does not exist/);
  checkOutputPaths([{ ...folder(join(dir, 'a', 'b', 'c')), createParents: true }]);
});

test('a read-only folder is refused', { skip: process.getuid?.() === 0 ? 'root writes anywhere' : false }, () => {
  mkdirSync(join(dir, 'locked'));
  chmodSync(join(dir, 'locked'), 0o555);
  assert.throws(() => checkOutputPaths([file(join(dir, 'locked', 'x.bin'))]), /not writable/);
});
