// Exit statuses as docs/cli.md states them: 0 the command did its job (a diverged run is a recorded
// result), 2 bad input, 130 a sweep stopped by Ctrl-C (resumable, not bad input).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sgdlab, SGDLAB_BIN } from '../sgdlab-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sgdlab-exit-'));

test('a diverged run exits 0 and says so', async () => {
  const r = await sgdlab(['train', '--model', 'mlp:32x2', '--lr', '2^10', '--epochs', '3', '--threads', '1', '--json', '--store', join(dir, 'runs.sqlite')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { status: string }).status, 'diverged');
});

test('Ctrl-C during a sweep exits 130 with one line, not 2', { timeout: 120_000 }, async () => {
  const spec = join(dir, 'slow.json');
  writeFileSync(spec, JSON.stringify({ name: 'slow', base: { model: 'mlp:64x2', epochs: 200 }, axes: { seed: 2 } }));
  const child = spawn(process.execPath, [SGDLAB_BIN, 'sweep', 'run', spec, '--workers', '1', '--store', join(dir, 'sweep.sqlite')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (/trials: /.test(stderr) && !child.killed) setTimeout(() => child.kill('SIGINT'), 500);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /sgdlab: sweep slow-[0-9a-f]{12}: interrupted; run the same command again to continue\n$/);
});
