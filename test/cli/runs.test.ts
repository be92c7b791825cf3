// `sgdlab runs list` as a user reads it: the optimizer and the budget of each run, and a screenful of
// the newest runs by default, with a line saying that older ones were left out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sgdlab } from '../sgdlab-cli.ts';
import { RunStore } from '../../src/store/index.ts';
import { DEFAULT_LIST_LIMIT, optimizerLabel } from '../../src/cli/runs.ts';

test('optimizerLabel names plain SGD, heavy-ball and Nesterov momentum with β', () => {
  assert.equal(optimizerLabel({ lr: 0.1 }), 'sgd');
  assert.equal(optimizerLabel({ momentum: 0.9 }), 'momentum β=0.9');
  assert.equal(optimizerLabel({ momentum: 0.5, nesterov: true }), 'nesterov β=0.5');
  assert.equal(optimizerLabel({ optimizer: 'adam' }), 'adam');
});

test('runs list shows the newest runs first, at most a screenful unless --limit or --all', async () => {
  const storePath = join(mkdtempSync(join(tmpdir(), 'sgdlab-runs-list-')), 'runs.sqlite');
  const store = RunStore.open(storePath);
  const total = DEFAULT_LIST_LIMIT + 3;
  for (let i = 1; i <= total; i++) {
    const config = { model: 'mlp:8x1', data: 'digits', batch: 16, lr: 0.125, lambda: 0, ...(i % 2 === 0 ? { momentum: 0.9 } : {}), ...(i === total ? { steps: 7 } : { epochs: i }) };
    store.createRun({ config, seed: i });
  }
  store.close();
  const ids = (stdout: string) => stdout.split('\n').filter((l) => /^\d+\s/.test(l)).map((l) => Number(l.split(/\s+/)[0]));

  const shown = await sgdlab(['runs', 'list', '--store', storePath]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^id\s+status\s+model\s+data\s+B\s+ε\s+λ\s+optimizer\s+epochs\s+/);
  assert.deepEqual(ids(shown.stdout), Array.from({ length: DEFAULT_LIST_LIMIT }, (_, i) => total - i));
  assert.match(shown.stdout, new RegExp(`^${total}\\s+running\\s+mlp:8x1\\s+digits\\s+16\\s+0\\.125\\s+0\\s+sgd\\s+7 steps\\s`, 'm'));
  assert.match(shown.stdout, new RegExp(`^${total - 1}\\s+running\\s+mlp:8x1\\s+digits\\s+16\\s+0\\.125\\s+0\\s+momentum β=0\\.9\\s+${total - 1}\\s`, 'm'));
  assert.match(shown.stdout, new RegExp(`\\n\\(the newest ${DEFAULT_LIST_LIMIT} runs; --limit N or --all for more\\)\\n$`));

  const all = await sgdlab(['runs', 'list', '--all', '--store', storePath]);
  assert.deepEqual(ids(all.stdout), Array.from({ length: total }, (_, i) => total - i));
  assert.doesNotMatch(all.stdout, /--all for more/);
  const two = await sgdlab(['runs', 'list', '--limit', '2', '--store', storePath]);
  assert.deepEqual(ids(two.stdout), [total, total - 1]);
  const json = JSON.parse((await sgdlab(['runs', 'list', '--json', '--store', storePath])).stdout) as { id: number }[];
  assert.deepEqual(json.map((r) => r.id), Array.from({ length: total }, (_, i) => i + 1), '--json lists every run, oldest first');

  for (const args of [['--limit', '0'], ['--limit', 'ten'], ['--all', '--limit', '3']]) {
    const bad = await sgdlab(['runs', 'list', ...args, '--store', storePath]);
    assert.equal(bad.code, 2, args.join(' '));
    assert.match(bad.stderr, /^sgdlab: runs list.*\n$/);
  }
});
