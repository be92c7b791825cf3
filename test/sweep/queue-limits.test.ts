// Worker-side limits on queue jobs: a payload whose model, batch and data need more memory than the
// worker allows (SGDLAB_MAX_MEMORY, set by `sgdlab worker --max-memory`) is refused before training.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateTrialJob } from '../../src/sweep/index.ts';
import { sgdlab } from '../sgdlab-cli.ts';

test('a job asking for more memory than the worker allows is a one-line error naming the limit', () => {
  const before = process.env.SGDLAB_MAX_MEMORY;
  process.env.SGDLAB_MAX_MEMORY = '2G';
  try {
    const job = { sweepId: 's-1', trialKey: 'model=mlp:200000x3,seed=0', config: { model: 'mlp:200000x3', epochs: 1 } };
    assert.throws(() => validateTrialJob(job), (e: Error) => e.name === 'ConfigError' && /^model mlp:200000x3 with batch 16 .* needs about [\d.]+ TB of memory .*; the limit is 2.15 GB \(SGDLAB_MAX_MEMORY\)$/.test(e.message));
    assert.throws(() => validateTrialJob({ ...job, config: { seed: '2^60' } }), /seed: must be an integer from 0 to 9007199254740991/);
    assert.equal(validateTrialJob({ ...job, config: { model: 'mlp:64x2', epochs: 1 } }).config.model, 'mlp:64x2');
  } finally {
    if (before === undefined) delete process.env.SGDLAB_MAX_MEMORY;
    else process.env.SGDLAB_MAX_MEMORY = before;
  }
});

test('sgdlab worker refuses a bad --max-memory or URL in one line, before connecting, without showing the password', async () => {
  for (const [args, message] of [
    [['--queue', 'redis://127.0.0.1:1', '--max-memory', 'lots'], /^sgdlab: --max-memory lots: not a size/],
    [['--queue', 'redis://:hunter2?x@'], /^sgdlab: --queue: the URL names no host\n$/],
  ] as const) {
    const r = await sgdlab(['worker', ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.ok(!r.stderr.includes('hunter2'));
  }
});

test("a worker's execution provider replaces the job's, and a job whose target cannot run on it is refused in one line", () => {
  const job = { sweepId: 's-1', trialKey: 'seed=0', config: { model: 'mlp:8x1', epochs: 1, executionProvider: 'cpu' } };
  assert.equal(validateTrialJob(job, { executionProvider: 'cuda' }).config.executionProvider, 'cuda');
  assert.equal(validateTrialJob(job).config.executionProvider, 'cpu');
  const pinned = { ...job, config: { ...job.config, target: 'ort-cpu' } };
  assert.throws(() => validateTrialJob(pinned, { executionProvider: 'cuda' }), (e: Error) => e.name === 'ConfigError' && e.message === "job seed=0: target 'ort-cpu' runs on the cpu execution provider only, not on 'cuda'");
});

test('sgdlab worker refuses an execution provider this machine cannot open, in one line, before connecting', async () => {
  const r = await sgdlab(['worker', '--queue', 'redis://127.0.0.1:1', '--execution-provider', 'nosuch']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^sgdlab: execution provider 'nosuch': not offered by onnxruntime-node [\d.]+ \(offered: [a-z, ]+\)\n$/);
});
