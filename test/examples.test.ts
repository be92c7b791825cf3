// The examples in examples/ run as the README says, and print what they claim to compute.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('examples/modified-loss.ts compiles, runs and saves the modified-loss graph', async () => {
  const script = new URL('../examples/modified-loss.ts', import.meta.url).pathname;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script]);
  const m = /^modified loss (\S+), \|\|gradient\|\| (\S+), graph saved to (\S+) \((\d+) bytes\)$/m.exec(stdout);
  assert.ok(m, stdout);
  // With w ≈ 0 the cross-entropy is ≈ log 10 and the regularizer adds a positive term.
  assert.ok(Number(m[1]) > Math.log(10) && Number(m[1]) < 4, `loss ${m[1]}`);
  assert.ok(Number(m[2]) > 0 && Number.isFinite(Number(m[2])));
  assert.ok(existsSync(m[3]!));
});
