// README's set-up and tour, read from README.md itself and run in order in a fresh folder that looks
// like a clone: every command as written, with only the budget flag README offers for a quick pass.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = new URL('..', import.meta.url).pathname;
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

/** The commands of the ```sh blocks of README's set-up and tour sections, in order, without their comments. */
export function readmeCommands(text: string): string[] {
  const sections = text.split(/^(?=## )/m).filter((s) => /^## (Set-up|A quick tour)\n/.test(s)).join('');
  return [...sections.matchAll(/^```sh\n([\s\S]*?)^```$/gm)]
    .flatMap((m) => m[1]!.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '')
    .flatMap((line) => line.split(/\s+&&\s+/));
}

/** The quick-pass sentence README states, and the flag it offers for the training commands. */
const QUICK_PASS = /^A quick pass through the training commands \(what test\/readme-tour\.test\.ts runs\): give each `(--epochs \d+)`\.$/m;

/**
 * Commands not run here, each for its reason: the install and the suite (this test is part of it),
 * the sweep and what reads it and verify (minutes, with no budget flag; their own tests cover them).
 */
const NOT_RUN: Record<string, string> = {
  'npm ci': 'the suite runs after it',
  'npm test': 'this test is part of it',
  'npx sgdlab verify': 'test/theory and test/cli cover it; ≈ 1.5 min',
  'npx sgdlab sweep run sweeps/digits/repro-fig1-eps.yaml --workers 2': 'test/sweep covers it; ≈ 7 min',
  'npx sgdlab report sweeps/digits/repro-fig1-eps.yaml --out report/': 'needs the sweep above; test/report covers it',
};

test('README: every command of the set-up and the tour runs as written, in order, and exits 0', { timeout: 900_000 }, async () => {
  const quick = QUICK_PASS.exec(readme);
  assert.ok(quick, 'README states the quick pass this test runs');
  const budget = quick[1]!.split(' ');
  const commands = readmeCommands(readme);
  for (const skipped of Object.keys(NOT_RUN)) assert.ok(commands.includes(skipped), `README no longer has \`${skipped}\``);

  // A folder that looks like a fresh clone: the checkout's files, none of its outputs.
  const clone = mkdtempSync(join(tmpdir(), 'sgdlab-tour-'));
  try {
    for (const entry of readdirSync(repo)) {
      if (!['sgdlab-runs', 'report', 'sgdlab-report', 'model.onnx', 'digits.safetensors', '.git'].includes(entry)) symlinkSync(join(repo, entry), join(clone, entry));
    }
    const env = { ...process.env, NODE_OPTIONS: '', npm_config_update_notifier: 'false' };
    for (const command of commands) {
      if (command in NOT_RUN) continue;
      const [tool, ...args] = command.split(/\s+/);
      assert.equal(tool, 'npx', `a tour command runs through npx: ${command}`);
      // The quick pass: README's budget flag replaces the one written, on the commands that train.
      const training = args[1] === 'train' || args[1] === 'demo';
      const at = args.indexOf(budget[0]!);
      if (training && at >= 0) args.splice(at, 2);
      const argv = training ? [...args, ...budget] : args;
      if (args[1] === 'playground') {
        // Serves until Ctrl-C: it must print its URL and serve the page, then stop on SIGINT with status 0.
        // Its own process group, so that Ctrl-C reaches npx and the server as a terminal would send it.
        const child = spawn('npx', argv, { cwd: clone, env: { ...env, DISPLAY: '' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d));
        child.stderr.on('data', (d: Buffer) => (err += d));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (c, signal) => resolve(signal === 'SIGINT' ? 0 : c)));
        const url = await new Promise<string>((resolve, reject) => {
          child.stdout.on('data', () => {
            const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
            if (m) resolve(m[0]);
          });
          void exited.then((code) => reject(new Error(`${command} exited ${code} before serving: ${out}${err}`)));
        });
        try {
          assert.equal((await fetch(url)).status, 200, `${command}: the page at ${url}`);
        } finally {
          process.kill(-child.pid!, 'SIGINT');
        }
        assert.equal(await exited, 0, `${command}: stopped by Ctrl-C: ${err}`);
        continue;
      }
      const result = await run('npx', argv, { cwd: clone, env, maxBuffer: 1 << 26 }).catch((e: { code: number; stdout: string; stderr: string }) => e);
      assert.ok(!('code' in result) || result.code === 0, `${command} → exit ${(result as { code: number }).code}: ${(result as { stderr: string }).stderr}`);
      assert.doesNotMatch(result.stderr, /npm warn/, `${command}: no npm warning`);
    }
    // What the tour says it leaves behind.
    assert.ok(existsSync(join(clone, 'sgdlab-runs', 'runs.sqlite')), 'the run store');
    assert.ok(existsSync(join(clone, 'digits.safetensors')), 'the saved parameters');
    assert.ok(existsSync(join(clone, 'model.onnx')), 'the exported model');
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
});
