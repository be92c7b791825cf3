// Every path a command writes is checked before the store is opened or a step is run
// (src/util/output-path.ts): an output that is one of the command's inputs (the store above all),
// a directory where a file goes, a file where a folder goes, or a path in a missing folder is one line,
// exit 2, and nothing is written, trained or recorded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sgdlab } from '../sgdlab-cli.ts';
import { RunStore } from '../../src/store/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sgdlab-outputs-'));

function assertRefused(r: { code: number; stderr: string; stdout: string }, message: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what} → exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, /^sgdlab: [^\n]+\n$/, `${what}: one line: ${r.stderr}`);
  assert.match(r.stderr, message, what);
}

/** A store with one finished run, and its bytes, to show it is never touched. */
function storeWithARun(name: string): { path: string; bytes: () => string } {
  const path = join(dir, name);
  const store = RunStore.open(path);
  store.finishRun(store.createRun({ config: { lr: 1 }, seed: 0 }), { status: 'finished' });
  store.close();
  return { path, bytes: () => readFileSync(path).toString('base64') };
}

test('train --save onto the run store (or a link to it, its WAL, --init, --config) is refused; the store keeps its runs', async () => {
  const store = storeWithARun('train.sqlite');
  const before = store.bytes();
  symlinkSync(store.path, join(dir, 'link-to-store'));
  writeFileSync(join(dir, 'init.safetensors'), 'not read: refused first');
  writeFileSync(join(dir, 'config.json'), '{"steps": 1}');
  const cases: [string[], RegExp][] = [
    [['--save', store.path], /--save .*train\.sqlite: is a SQLite database \(a run store\?\); refusing to write over it\n$/],
    [['--save', join(dir, 'link-to-store')], /link-to-store: is a SQLite database/],
    [['--save', `${store.path}-wal`], /--save .*train\.sqlite-wal: is the same file as --store .*train\.sqlite-wal; writing it would destroy that input\n$/],
    [['--save', join(dir, 'init.safetensors'), '--init', join(dir, 'init.safetensors')], /is the same file as --init/],
    [['--save', join(dir, '.', 'config.json'), '--config', join(dir, 'config.json')], /is the same file as --config/],
    [['--save', dir], /--save .*: is a directory; name a file to write\n$/],
    [['--save', join(dir, 'no-such-folder', 'w.safetensors')], /--save .*w\.safetensors: folder .*no-such-folder does not exist\n$/],
    // Run 2's checkpoint would be written here: the store's checkpoint folder is refused whole, existing or not.
    [['--save', join(dir, 'checkpoints', 'train.sqlite', 'run-2.safetensors')], /--save .*run-2\.safetensors: is in the checkpoint folder of --store .*train\.sqlite, where sgdlab writes each run's checkpoint; save elsewhere\n$/],
  ];
  mkdirSync(join(dir, 'checkpoints', 'train.sqlite'), { recursive: true });
  await Promise.all(cases.map(async ([args, message]) => {
    assertRefused(await sgdlab(['train', '--steps', '1', '--threads', '1', '--store', store.path, ...args]), message, args.join(' '));
  }));
  assert.equal(store.bytes(), before, 'the store is unchanged');
  const s = RunStore.open(store.path);
  assert.equal(s.listRuns().length, 1, 'no run was recorded');
  s.close();
  assert.equal(existsSync(join(dir, 'no-such-folder')), false);
});

test('export --out onto a store, the checkpoint, a directory or into a missing folder is refused before anything is read', async () => {
  const store = storeWithARun('export.sqlite');
  const before = store.bytes();
  writeFileSync(join(dir, 'ckpt.safetensors'), 'checkpoint bytes');
  symlinkSync(join(dir, 'ckpt.safetensors'), join(dir, 'ckpt-link.onnx'));
  const cases: [string, RegExp][] = [
    [store.path, /--out .*export\.sqlite: is a SQLite database/],
    [join(dir, 'ckpt-link.onnx'), /--out .*ckpt-link\.onnx: is the same file as checkpoint .*ckpt\.safetensors/],
    [dir, /--out .*: is a directory; name a file to write/],
    [join(dir, 'missing', 'model.onnx'), /--out .*model\.onnx: folder .*missing does not exist/],
  ];
  await Promise.all(cases.map(async ([out, message]) => {
    assertRefused(await sgdlab(['export', join(dir, 'ckpt.safetensors'), '--model', 'mlp:8x1', '--input-shape', '4', '--out', out]), message, out);
  }));
  assert.equal(store.bytes(), before);
  assert.equal(readFileSync(join(dir, 'ckpt.safetensors'), 'utf8'), 'checkpoint bytes');
});

test('report --out and verify --report onto a file, or under a missing folder, are refused before any work', async () => {
  const file = join(dir, 'a-file.txt');
  writeFileSync(file, 'keep me');
  const store = storeWithARun('report.sqlite');
  assertRefused(await sgdlab(['report', 'some-sweep', '--store', store.path, '--out', file]), /--out .*a-file\.txt: is a file; name a folder to write into\n$/, 'report --out file');
  assertRefused(await sgdlab(['report', 'some-sweep', '--store', store.path, '--out', join(dir, 'nope', 'deeper')]), /--out .*deeper: folder .*nope does not exist/, 'report --out missing');
  assertRefused(await sgdlab(['verify', 'gd', '--report', file]), /--report .*a-file\.txt: is a file; name a folder to write into\n$/, 'verify --report file');
  assert.equal(readFileSync(file, 'utf8'), 'keep me');
  assert.equal(existsSync(join(dir, 'nope')), false);
});

test('sweep run --results into a missing folder, onto the spec or onto the store is refused before a trial trains', async () => {
  const spec = join(dir, 'spec.json');
  writeFileSync(spec, JSON.stringify({ name: 'tiny', base: { model: 'mlp:8x1', epochs: 1 }, axes: { seed: 1 } }));
  const store = join(dir, 'sweep.sqlite');
  const cases: [string, RegExp][] = [
    [join(dir, 'missing', 'results.jsonl'), /--results .*results\.jsonl: folder .*missing does not exist\n$/],
    [spec, /--results .*spec\.json: is the same file as spec .*spec\.json/],
    [dir, /--results .*: is a directory/],
  ];
  for (const [results, message] of cases) {
    assertRefused(await sgdlab(['sweep', 'run', spec, '--workers', '1', '--store', store, '--results', results]), message, results);
  }
  assert.equal(existsSync(store), false, 'no store, so no trial ran');
  const existing = storeWithARun('sweep-export.sqlite');
  const before = existing.bytes();
  assertRefused(await sgdlab(['sweep', 'export', spec, '--store', existing.path, '--results', existing.path]), /is a SQLite database/, 'export onto the store');
  assert.equal(existing.bytes(), before);
  assert.deepEqual(readdirSync(dir).filter((f) => f === 'missing'), []);
});

test('the default report folder is still created where none exists', async () => {
  // (Only the parent of a named folder must exist; the folder itself is created.)
  const store = storeWithARun('fresh-report.sqlite');
  mkdirSync(join(dir, 'reports'));
  const r = await sgdlab(['report', 'no-such-sweep', '--store', store.path, '--out', join(dir, 'reports', 'new')]);
  // Refused for the unknown sweep, not for the folder.
  assertRefused(r, /no-such-sweep/, 'unknown sweep');
});

test('data fetch --dir onto a file, or under a missing folder, is refused before any download', async () => {
  const file = join(dir, 'not-a-folder');
  writeFileSync(file, 'x');
  assertRefused(await sgdlab(['data', 'fetch', 'fashion-mnist', '--dir', file, '--base-url', 'http://127.0.0.1:1']), /--dir .*not-a-folder: is a file; name a folder to write into\n$/, 'onto a file');
  assertRefused(await sgdlab(['data', 'fetch', 'fashion-mnist', '--dir', join(dir, 'typo', 'fmnist'), '--base-url', 'http://127.0.0.1:1']), /--dir .*fmnist: folder .*typo does not exist\n$/, 'missing parent');
  assert.equal(existsSync(join(dir, 'typo')), false);
});
