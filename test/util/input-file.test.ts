// Input files (src/util/input-file.ts): regular files within their kind's bound are read; FIFOs,
// devices, directories, missing and oversized files are one-line InputFileErrors, without blocking
// on a FIFO or reading a device without end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INPUT_FILE_LIMITS, InputFileError, readInputFile, readInputPrefix, readInputText, type InputFileKind } from '../../src/util/input-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'sgdlab-input-'));

function refused(path: string, kind: InputFileKind, message: RegExp): void {
  assert.throws(() => readInputFile(path, kind, `--thing ${path}`), (e: unknown) => e instanceof InputFileError && message.test(e.message) && !e.message.includes('\n'), path);
}

test('a regular file, and a symlink to one, are read whole', () => {
  writeFileSync(join(dir, 'a.json'), '{"lr": 1}');
  symlinkSync(join(dir, 'a.json'), join(dir, 'link.json'));
  assert.equal(readInputText(join(dir, 'a.json'), 'config'), '{"lr": 1}');
  assert.equal(readInputText(join(dir, 'link.json'), 'config'), '{"lr": 1}');
  writeFileSync(join(dir, 'empty'), '');
  assert.equal(readInputFile(join(dir, 'empty'), 'results').length, 0);
});

test('a FIFO, a device (directly or through a symlink) and a directory are refused, naming what they are', () => {
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  symlinkSync(join(dir, 'fifo'), join(dir, 'fifo-link.yaml'));
  symlinkSync('/dev/zero', join(dir, 'zero.safetensors'));
  refused(join(dir, 'fifo'), 'spec', /: is not a regular file but a FIFO \(named pipe\)$/);
  refused(join(dir, 'fifo-link.yaml'), 'spec', /fifo-link\.yaml: is not a regular file but a FIFO/);
  refused(join(dir, 'zero.safetensors'), 'checkpoint', /zero\.safetensors: is not a regular file but a character device$/);
  refused('/dev/null', 'config', /is not a regular file but a character device$/);
  refused(dir, 'results', /: is a directory$/);
  refused(join(dir, 'missing.json'), 'config', /^--thing .*missing\.json: no such file$/);
});

test("a file larger than its kind's bound is refused before it is read", () => {
  const big = join(dir, 'big.json');
  writeFileSync(big, Buffer.alloc(INPUT_FILE_LIMITS.config + 1, 0x20));
  refused(big, 'config', /big\.json: larger than the 1 MiB a config file may hold$/);
  assert.equal(readInputFile(big, 'spec').length, INPUT_FILE_LIMITS.config + 1, 'a spec may be that big');
});

test('a file that reports size 0 but has content (/proc) is read, and still bounded', () => {
  assert.match(readInputText('/proc/self/status', 'config'), /^Name:/);
});

test('readInputPrefix: the first bytes of a regular file; a FIFO or a directory refused in one line without waiting', { timeout: 20_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-prefix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'f'), Buffer.from([1, 2, 3, 4, 5]));
  assert.deepEqual([...readInputPrefix(join(dir, 'f'), 3)], [1, 2, 3]);
  assert.deepEqual([...readInputPrefix(join(dir, 'f'), 100)], [1, 2, 3, 4, 5]);
  execFileSync('mkfifo', [join(dir, 'pipe')]);
  assert.throws(() => readInputPrefix(join(dir, 'pipe'), 16, 'images'), (e: unknown) => e instanceof InputFileError && e.message === 'images: is not a regular file but a FIFO (named pipe)');
  assert.throws(() => readInputPrefix(dir, 16, 'images'), (e: unknown) => e instanceof InputFileError && e.message === 'images: is a directory');
  assert.throws(() => readInputPrefix(join(dir, 'none'), 16, 'images'), (e: unknown) => e instanceof InputFileError && e.message === 'images: no such file');
});
