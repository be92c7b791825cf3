// `sgdlab train --resume` end to end: only unfinished runs, never with flags that contradict the
// stored config, and each store's checkpoints in a folder of their own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sgdlab } from '../sgdlab-cli.ts';
import { RunStore } from '../../src/store/index.ts';
import { effectiveLearningRate, resolveConfig } from '../../src/train/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sgdlab-resume-'));
const quick = ['train', '--model', 'mlp:16x1', '--epochs', '1', '--json'];

test('two stores in one folder keep separate checkpoints; a finished run is not resumed', async () => {
  const a = join(dir, 'a.sqlite');
  const b = join(dir, 'b.sqlite');
  assert.equal((await sgdlab([...quick, '--seed', '1', '--store', a])).code, 0);
  assert.equal((await sgdlab([...quick, '--seed', '2', '--store', b])).code, 0);
  const fileA = join(dir, 'checkpoints', 'a.sqlite', 'run-1.safetensors');
  const fileB = join(dir, 'checkpoints', 'b.sqlite', 'run-1.safetensors');
  assert.ok(existsSync(fileA) && existsSync(fileB));
  assert.notDeepEqual(readFileSync(fileA), readFileSync(fileB), 'run 1 of each store has its own file');
  for (const [store, file] of [[a, fileA], [b, fileB]] as const) {
    const s = RunStore.open(store);
    assert.equal(s.getRun(1).checkpointPath, file);
    s.close();
  }

  const before = readFileSync(a);
  const r = await sgdlab(['train', '--resume', '1', '--store', a]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, 'sgdlab: --resume 1: run 1 is finished; only an unfinished (running or failed) run can be resumed\n');
  assert.deepEqual(readFileSync(a), before, 'the store is unchanged');
});

test('a store written from one directory names its checkpoints from any other (they are recorded relative to the store)', async () => {
  const trainerDir = join(dir, 'trainer');
  mkdirSync(trainerDir);
  assert.equal((await sgdlab([...quick, '--seed', '1', '--store', 'rel.sqlite'], { cwd: trainerDir })).code, 0);
  const file = join(trainerDir, 'checkpoints', 'rel.sqlite', 'run-1.safetensors');
  assert.ok(existsSync(file));
  const shown = await sgdlab(['runs', 'show', '1', '--store', join('trainer', 'rel.sqlite')], { cwd: dir });
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^checkpoint ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
});

test('flags that contradict the stored config are refused with the differing keys named', async () => {
  const store = join(dir, 'conflict.sqlite');
  const config = resolveConfig({ model: 'mlp:16x1', epochs: 1, lr: '2^-5' });
  const s = RunStore.open(store);
  const id = s.createRun({ config: { ...config, effectiveLr: effectiveLearningRate(config) }, seed: 0 });
  s.close(); // left running, as by a killed process
  const r = await sgdlab(['train', '--resume', String(id), '--lr', '0.1', '--batch', '32', '--seed', '0', '--model', 'mlp:16x1', '--store', store]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, `sgdlab: --resume ${id}: batch 32 (the run has 16), lr 0.1 (the run has 0.03125) differ from the run's config; a resumed run keeps its config, so drop these flags\n`);
  for (const bad of ['0', '1e3']) {
    const e = await sgdlab(['train', '--resume', bad, '--store', store]);
    assert.equal(e.code, 2, `${bad}: ${e.stderr}`);
    assert.match(e.stderr, /^sgdlab: (--resume .*: not a run id|run \d+ not found)\n$/);
  }
  const check = RunStore.open(store);
  assert.equal(check.getRun(id).status, 'running');
  assert.equal(check.metrics(id).length, 0);
  check.close();
});

test('a run that a live process trains cannot be resumed by a second one; after that process is killed it can', { timeout: 120_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { SGDLAB_BIN } = await import('../sgdlab-cli.ts');
  const store = join(dir, 'leased.sqlite');
  const flags = ['train', '--model', 'mlp:64x2', '--epochs', '400', '--threads', '1', '--store', store];
  const first = spawn(process.execPath, [SGDLAB_BIN, ...flags], { stdio: 'ignore' });
  const checkpoint = join(dir, 'checkpoints', 'leased.sqlite', 'run-1.safetensors');
  const deadline = Date.now() + 60_000;
  while (!existsSync(checkpoint) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  try {
    const second = await sgdlab(['train', '--resume', '1', '--store', store]);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, new RegExp(`^sgdlab: run 1 is being trained by another process \\(pid ${first.pid} on .*\\); its lease expires at .* unless renewed\\n$`));
  } finally {
    first.kill('SIGKILL');
    await new Promise((r) => first.on('exit', r));
  }
  const s = RunStore.open(store);
  const stepsBefore = s.metrics(1).length;
  s.close();
  // The dead process's lease no longer counts: resume with a shorter budget is refused (config differs)…
  const conflicting = await sgdlab(['train', '--resume', '1', '--epochs', '2', '--store', store]);
  assert.match(conflicting.stderr, /epochs 2 \(the run has 400\)/);
  // …and the store still holds exactly what the killed process recorded.
  const after = RunStore.open(store);
  assert.equal(after.getRun(1).status, 'running');
  assert.equal(after.metrics(1).length, stepsBefore);
  assert.equal(after.leaseOf(1), undefined, "a dead process's lease does not block");
  after.close();
});
