// The user's own data end to end: `sgdlab train` (flags and --config) and `sgdlab sweep run` train on a
// generated IDX pair and safetensors file; bad files are one line and exit 2; docs/data.md's Python export runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sgdlab } from '../sgdlab-cli.ts';
import { dataTensors, idxImages, idxLabels, safetensorsBytes, tempDir } from '../data/fixtures.ts';

const SMALL_RUN = ['--model', 'mlp:8x1', '--batch', '4', '--steps', '6'];

function writeIdxPair(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxImages(24, 6, 6)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idxLabels(24, Array.from({ length: 24 }, (_, k) => k % 3))));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idxImages(8, 6, 6)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxLabels(8, Array.from({ length: 8 }, (_, k) => k % 3))));
}

test('train on idx:DIR and file:PATH.safetensors, from flags, a --config file and a sweep spec', async (t) => {
  const dir = tempDir(t, 'sgdlab-own-data-');
  writeIdxPair(join(dir, 'idx'));
  const file = join(dir, 'data.safetensors');
  writeFileSync(file, safetensorsBytes(dataTensors(24, 8, [1, 4, 4], 3)));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ data: `file:${file}`, model: 'mlp:8x1', batch: 4, steps: 6 }));
  writeFileSync(join(dir, 'sweep.yaml'), `name: own data\nbase: {data: "idx:${join(dir, 'idx')}", model: "mlp:8x1", batch: 4, steps: 4}\naxes: {lr: [2^-5, 2^-4], seed: 1}\n`);
  const store = join(dir, 'runs.sqlite');
  const [idx, fromFile, fromConfig, sweep] = await Promise.all([
    sgdlab(['train', '--data', `idx:${join(dir, 'idx')}`, ...SMALL_RUN, '--store', join(dir, 'a.sqlite')]),
    sgdlab(['train', '--data', `file:${file}`, ...SMALL_RUN, '--store', join(dir, 'b.sqlite')]),
    sgdlab(['train', '--config', join(dir, 'config.json'), '--store', join(dir, 'c.sqlite')]),
    sgdlab(['sweep', 'run', join(dir, 'sweep.yaml'), '--workers', '1', '--store', store]),
  ]);
  for (const [what, r, data] of [['idx', idx, `idx:${join(dir, 'idx')}`], ['file', fromFile, `file:${file}`], ['config', fromConfig, `file:${file}`]] as const) {
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    assert.match(r.stdout, /run 1: finished after 6 steps/, what);
    assert.ok(r.stdout.includes(`mlp:8x1 on ${data}`), `${what}: the run names its data: ${r.stdout}`);
  }
  assert.equal(sweep.code, 0, sweep.stderr);
  const shown = await sgdlab(['runs', 'list', '--store', store]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.stdout.match(/finished/g)?.length, 2, `two trials trained: ${shown.stdout}`);
});

test('bad data files, or a --save onto the data, through the CLI: one line, exit 2, no store created', async (t) => {
  const dir = tempDir(t, 'sgdlab-own-data-bad-');
  const good = dataTensors(6, 3, [1, 2, 2], 3);
  const valid = safetensorsBytes(good);
  writeFileSync(join(dir, 'truncated.safetensors'), valid.subarray(0, valid.length - 4));
  writeFileSync(join(dir, 'range.safetensors'), safetensorsBytes({ ...good, y_test: { dtype: 'int64', shape: [3], data: BigInt64Array.from([0n, 9n, 1n]) } }));
  writeFileSync(join(dir, 'missing.safetensors'), safetensorsBytes({ x_train: good.x_train!, y_train: good.y_train! , x_test: good.x_test! }));
  mkdirSync(join(dir, 'magic'));
  writeFileSync(join(dir, 'magic', 'train-images-idx3-ubyte'), idxImages(6, 4, 4, 2049));
  writeFileSync(join(dir, 'magic', 'train-labels-idx1-ubyte'), idxLabels(6));
  const cases: [data: string, message: RegExp][] = [
    [`file:${join(dir, 'truncated.safetensors')}`, /^sgdlab: file:.*truncated\.safetensors: tensor 'y_test' data_offsets \[\d+,\d+\] run past the \d+-byte data section\n$/],
    [`file:${join(dir, 'range.safetensors')}`, /^sgdlab: file:.*range\.safetensors: y_test holds label 9 at example 1, out of range 0\.\.2 \(the classes of y_train\)\n$/],
    [`file:${join(dir, 'missing.safetensors')}`, /^sgdlab: file:.*missing\.safetensors: x_test without y_test; give both or neither\n$/],
    [`idx:${join(dir, 'magic')}`, /^sgdlab: train-images-idx3-ubyte: bad magic number 2049 \(expected 2051\)\n$/],
    ['idx:', /^sgdlab: data: 'idx:' is not one of digits, synthetic, fashion-mnist, cifar10, idx:DIR, file:PATH\.safetensors\n$/],
  ];
  // The data are inputs: --save may not replace the file or a file in the folder.
  writeFileSync(join(dir, 'good.safetensors'), valid);
  writeIdxPair(join(dir, 'idx'));
  const saving: [data: string, save: string, message: RegExp][] = [
    [`file:${join(dir, 'good.safetensors')}`, join(dir, 'good.safetensors'), /^sgdlab: --save .*good\.safetensors: is the same file as --data .*good\.safetensors; writing it would destroy that input\n$/],
    [`idx:${join(dir, 'idx')}`, join(dir, 'idx', 'train-labels-idx1-ubyte.gz'), /^sgdlab: --save .*train-labels-idx1-ubyte\.gz: is the same file as --data .*idx; writing it would destroy that input\n$/],
  ];
  await Promise.all([...cases.map(([data, message]) => [data, undefined, message] as const), ...saving].map(async ([data, save, message], i) => {
    const store = join(dir, `never-${i}`, 'runs.sqlite');
    const r = await sgdlab(['train', '--data', data, ...SMALL_RUN, ...(save ? ['--save', save] : []), '--store', store]);
    assert.equal(r.code, 2, `${data}: ${r.stderr}`);
    assert.match(r.stderr, message, data);
    assert.equal(existsSync(join(dir, `never-${i}`)), false, `${data}: no store created`);
  }));
  assert.ok(readFileSync(join(dir, 'good.safetensors')).equals(valid), 'the data file is untouched');
  assert.ok(gunzipSync(readFileSync(join(dir, 'idx', 'train-labels-idx1-ubyte.gz'))).equals(idxLabels(24, Array.from({ length: 24 }, (_, k) => k % 3))), 'the IDX labels are untouched');
});

/** A Python that has the modules, or undefined (the test says so and skips). */
function pythonWith(modules: string): string | undefined {
  return ['python3', '/usr/bin/python3'].find((python) => spawnSync(python, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0);
}

/** docs/data.md's python blocks, in order: [PyTorch, NumPy]. */
function docsPythonBlocks(): string[] {
  const doc = readFileSync(new URL('../../docs/data.md', import.meta.url), 'utf8');
  return [...doc.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

const DOCS = new URL('../../docs/', import.meta.url).pathname;
const torchPython = pythonWith('torch, numpy');
const numpyPython = pythonWith('numpy');

test("docs/data.md's PyTorch export runs as written and sgdlab trains on what it wrote", { skip: torchPython ? false : 'no python3 with torch (apt-get install python3-torch)' }, async (t) => {
  const [block] = docsPythonBlocks();
  assert.equal(block!.trim().split('\n').length, 3, 'three lines');
  const dir = tempDir(t, 'sgdlab-own-data-py-');
  // What a user has: two PyTorch data sets of (image, label) items.
  const setup = 'import torch\ng = torch.Generator().manual_seed(0)\nx = torch.rand(40, 1, 5, 5, generator=g)\ny = (x.mean(dim=(1, 2, 3)) * 5).long().clamp(0, 2)\ntrain_set, test_set = torch.utils.data.TensorDataset(x[:32], y[:32]), torch.utils.data.TensorDataset(x[32:], y[32:])\n';
  const run = spawnSync(torchPython!, ['-c', setup + block], { cwd: dir, encoding: 'utf8', env: { ...process.env, PYTHONPATH: DOCS } });
  assert.equal(run.status, 0, run.stderr);
  const r = await sgdlab(['train', '--data', `file:${join(dir, 'mydata.safetensors')}`, ...SMALL_RUN, '--store', join(dir, 'runs.sqlite')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /run 1: finished after 6 steps/);
});

test("docs/data.md's NumPy export runs as written and sgdlab trains on what it wrote", { skip: numpyPython ? false : 'no python3 with numpy (apt-get install python3-numpy)' }, async (t) => {
  const [, block] = docsPythonBlocks();
  assert.ok(block!.trim().split('\n').length <= 3, 'at most three lines');
  const dir = tempDir(t, 'sgdlab-own-data-np-');
  // What a user has: uint8 images and int64 labels, as NumPy arrays.
  const setup = 'import numpy as np\nr = np.random.default_rng(0)\nx = r.integers(0, 256, (40, 6, 6), dtype=np.uint8)\ny = (x.mean(axis=(1, 2)) > 127).astype(np.int64)\nx_train, y_train, x_test, y_test = x[:32], y[:32], x[32:], y[32:]\n';
  const run = spawnSync(numpyPython!, ['-c', setup + block], { cwd: dir, encoding: 'utf8', env: { ...process.env, PYTHONPATH: DOCS } });
  assert.equal(run.status, 0, run.stderr);
  const r = await sgdlab(['train', '--data', `file:${join(dir, 'mydata.safetensors')}`, '--preprocess', 'scale', ...SMALL_RUN, '--store', join(dir, 'runs.sqlite')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /run 1: finished after 6 steps/);
});
