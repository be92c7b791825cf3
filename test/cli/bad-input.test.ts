// The one rule at every input boundary, end to end: bad input → exit status 2, one line
// `sgdlab: <what>: <why>` naming the input, no stack trace, and no store, row or file created.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sgdlab } from '../sgdlab-cli.ts';
import { RunStore } from '../../src/store/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sgdlab-bad-input-'));

function assertOneLineRefusal(r: { code: number; stderr: string; stdout: string }, message: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what} → exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, /^sgdlab: [^\n]+\n$/, `${what}: one line: ${r.stderr}`);
  assert.match(r.stderr, message, what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
}

test('train: inherited keys, huge numbers, oversized models and augment on vectors are refused before a store exists', async () => {
  writeFileSync(join(dir, 'proto.json'), '{"__proto__": {"lr": 1}}');
  writeFileSync(join(dir, 'ctor.json'), '{"constructor": 1}');
  const cases: [string[], RegExp][] = [
    [['--config', join(dir, 'proto.json')], /unknown key '__proto__'/],
    [['--config', join(dir, 'ctor.json')], /unknown key 'constructor'/],
    [['--seed', '2^60'], /^sgdlab: seed: must be an integer from 0 to 9007199254740991, got 2\^60\n$/],
    [['--data', 'synthetic', '--train-size', '1099511627776'], /^sgdlab: trainSize: must be an integer from 1 to 1073741824/],
    [['--model', 'mlp:1000000x8'], /^sgdlab: model mlp:1000000x8 with batch 16 .* needs about [\d.]+ [TP]B of memory \(parameters .*\); the limit is [\d.]+ GB/],
    [['--data', 'synthetic', '--augment', 'true'], /^sgdlab: augment: random crops and flips need image data \[C,H,W\]; synthetic has examples of shape \[32\]\n$/],
  ];
  // Independent processes: run side by side.
  await Promise.all(cases.map(async ([args, message], i) => {
    const store = join(dir, `never-${i}`, 'runs.sqlite');
    const r = await sgdlab(['train', ...args, '--store', store]);
    assertOneLineRefusal(r, message, args.join(' '));
    assert.equal(existsSync(store), false, `${args.join(' ')}: no store created`);
  }));
});

test('train with missing data files, or --resume of a store that does not exist, leaves no store behind', async () => {
  const store = join(dir, 'fresh-runs.sqlite');
  const noData = await sgdlab(['train', '--data', 'fashion-mnist', '--data-dir', join(dir, 'no-such-dir'), '--store', store]);
  assertOneLineRefusal(noData, /^sgdlab: fashion-mnist: directory .*no-such-dir does not exist\n$/, 'missing data');
  const resume = await sgdlab(['train', '--resume', '1', '--store', store]);
  assertOneLineRefusal(resume, /runs.sqlite: no run store at this path \(check --store\)/, 'resume');
  assert.equal(existsSync(store), false, 'no store file');
  // A store in a folder that does not exist is a typo, not a tree to create.
  const typo = await sgdlab(['train', '--steps', '1', '--store', join(dir, 'fresh', 'deeper', 'runs.sqlite')]);
  assertOneLineRefusal(typo, /fresh\/deeper\/runs.sqlite: folder .*fresh\/deeper does not exist \(check --store, or create the folder\)\n$/, 'store folder typo');
  assert.equal(existsSync(join(dir, 'fresh')), false, 'no folder');
});

test('train --augment on vectors with an existing store leaves no run row behind', async () => {
  const store = join(dir, 'existing.sqlite');
  RunStore.open(store).close();
  const r = await sgdlab(['train', '--data', 'synthetic', '--augment', 'true', '--store', store]);
  assertOneLineRefusal(r, /augment: random crops and flips need image data/, 'augment');
  const s = RunStore.open(store);
  try {
    assert.equal(s.listRuns().length, 0);
  } finally {
    s.close();
  }
});

test('export: negative or huge class counts, batch sizes and shapes are one-line refusals, no file written', async () => {
  const out = join(dir, 'never.onnx');
  const cases: [string[], RegExp][] = [
    [['--input-shape', '64', '--classes', '-3'], /^sgdlab: --classes: '-3' is not an integer from 1 to 1048576\n$/],
    [['--input-shape', '1099511627776'], /--input-shape 1099511627776: '1099511627776' is not an integer/],
    [['--input-shape', '1024,1024', '--batch', '1000000', '--model', 'mlp:4096x3'], /^sgdlab: export: model mlp:4096x3 with batch 1000000 needs about .* the limit is/],
  ];
  await Promise.all(cases.map(async ([args, message]) => {
    const r = await sgdlab(['export', join(dir, 'missing.safetensors'), '--model', 'mlp:8x1', '--out', out, ...args]);
    assertOneLineRefusal(r, message, args.join(' '));
  }));
  assert.equal(existsSync(out), false);
});

test('demo: a seed count or epoch count out of range is refused before a store exists', async () => {
  const store = join(dir, 'demo', 'runs.sqlite');
  for (const [args, message] of [
    [['--seeds', '1e9'], /^sgdlab: --seeds 1e9: must be an integer from 1 to 100\n$/],
    [['--epochs', '2^60'], /^sgdlab: epochs: must be an integer from 1 to 1000000, got 2\^60\n$/],
  ] as const) {
    assertOneLineRefusal(await sgdlab(['demo', ...args, '--store', store]), message, args.join(' '));
  }
  assert.equal(existsSync(join(dir, 'demo')), false);
});

test('sweep show/list and runs list with a mistyped --store create nothing', async () => {
  const typo = join(dir, 'typo', 'runs.sqltie');
  await Promise.all([['sweep', 'list'], ['sweep', 'show', 'some-id'], ['runs', 'list'], ['runs', 'show', '1']].map(async (args) => {
    const r = await sgdlab([...args, '--store', typo]);
    assertOneLineRefusal(r, /runs.sqltie: no run store at this path \(check --store\)/, args.join(' '));
  }));
  assert.equal(existsSync(join(dir, 'typo')), false);
});

test('a sweep spec with two 1000-value axes is refused from its size, before the grid is built; a trial too big for this machine too', async () => {
  const spec = join(dir, 'huge.json');
  writeFileSync(spec, JSON.stringify({ name: 'huge', base: { epochs: 1 }, axes: { batch: '1..1000', epochs: '1..1000' } }));
  const store = join(dir, 'huge', 'runs.sqlite');
  const r = await sgdlab(['sweep', 'run', spec, '--store', store]);
  assertOneLineRefusal(r, /huge.json: 1000000 trials is more than 100000; split the sweep/, 'huge grid');
  // A trial this machine cannot hold is refused before the store exists, naming the trial.
  const big = join(dir, 'big.json');
  writeFileSync(big, JSON.stringify({ name: 'big', base: { epochs: 1 }, axes: { model: ['mlp:16x1', 'mlp:1000000x4'] } }));
  const b = await sgdlab(['sweep', 'run', big, '--store', store]);
  assertOneLineRefusal(b, /^sgdlab: .*big.json: trial model=mlp:1000000x4,seed=0: model mlp:1000000x4 with batch 16 .* needs about [\d.]+ TB of memory .*; the limit is/, 'big trial');
  assert.equal(existsSync(join(dir, 'huge')), false);
});

test('terminal escape codes in an error are shown as \\x1b, never sent raw', async () => {
  writeFileSync(join(dir, 'esc.json'), JSON.stringify({ 'evil\u001b]0;pwned\u0007\u001b[2J': 1 }));
  const r = await sgdlab(['train', '--config', join(dir, 'esc.json'), '--store', join(dir, 'esc', 'runs.sqlite')]);
  assertOneLineRefusal(r, /unknown key 'evil\\x1b\]0;pwned\\x07\\x1b\[2J'/, 'escape');
  assert.ok(!r.stderr.includes('\u001b'), 'no raw ESC');
  assert.deepEqual(readdirSync(dir).filter((f) => f === 'esc'), []);
});

test('inputs that are FIFOs or devices (directly or by symlink) are refused in one line, not read without end', async () => {
  const fifo = join(dir, 'config-fifo.json');
  execFileSync('mkfifo', [fifo]);
  symlinkSync('/dev/zero', join(dir, 'zero.safetensors'));
  symlinkSync('/dev/zero', join(dir, 'zero.yaml'));
  const store = join(dir, 'special.sqlite');
  const cases: [string[], RegExp][] = [
    [['train', '--config', fifo, '--store', store], /^sgdlab: --config .*config-fifo\.json: is not a regular file but a FIFO \(named pipe\)\n$/],
    [['train', '--init', join(dir, 'zero.safetensors'), '--steps', '1', '--store', store], /zero\.safetensors: cannot read checkpoint: is not a regular file but a character device\n$/],
    [['sweep', 'run', join(dir, 'zero.yaml'), '--store', store], /zero\.yaml: is not a regular file but a character device\n$/],
    [['sweep', 'import', join(dir, 'zero.yaml'), '--results', fifo, '--store', store], /zero\.yaml: is not a regular file/],
  ];
  for (const [args, message] of cases) assertOneLineRefusal(await sgdlab(args), message, args.join(' '));
  assert.equal(existsSync(store), false, 'no store created');
});
