// README's set-up and tour, read from README.md itself and run in order in a fresh folder that looks
// like a clone: every command as written, with only the budgets README's quick pass gives.

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

/**
 * README's quick pass: which tour commands get which budget, from its sentence "add `FLAGS` to `cmd`,
 * `cmd` and `cmd`, and `FLAGS` to `cmd`", keyed by the sub-command (`sweep run`).
 */
export function quickPass(text: string): Map<string, string[]> {
  const paragraph = /^A quick pass through the tour \(what test\/readme-tour\.test\.ts runs\): [\s\S]*?(?=\n\n)/m.exec(text);
  assert.ok(paragraph, 'README states the quick pass this test runs');
  const sentence = paragraph[0].replace(/\s+/g, ' ');
  const budgets = new Map<string, string[]>();
  // A list of commands ends where the next budget begins (a quoted item followed by " to").
  for (const m of sentence.matchAll(/`([^`]+)` to (`[^`]+`(?:(?:, | and )`[^`]+`(?! to))*)/g)) {
    for (const command of m[2]!.matchAll(/`([^`]+)`/g)) {
      assert.ok(!command[1]!.startsWith('-') && !budgets.has(command[1]!), `README's quick pass gives \`${command[1]}\` one budget`);
      budgets.set(command[1]!, m[1]!.split(' '));
    }
  }
  assert.ok(budgets.size > 0, `README's quick pass names its budgets: ${sentence}`);
  return budgets;
}

/** A command's arguments with a budget: its flags replace those written (flag and value), its words are added. */
export function withBudget(args: readonly string[], budget: readonly string[]): string[] {
  const out = [...args];
  for (let i = 0; i < budget.length; i++) {
    if (!budget[i]!.startsWith('--')) continue;
    assert.ok(i + 1 < budget.length && !budget[i + 1]!.startsWith('--'), `README's budget flag ${budget[i]} has a value`);
    const at = out.indexOf(budget[i]!);
    if (at >= 0) out.splice(at, 2);
    i++;
  }
  return [...out, ...budget];
}

/** Commands not run here, each for its reason: the install and the suite (this test is part of it). */
const NOT_RUN: Record<string, string> = {
  'npm ci': 'the suite runs after it',
  'npm test': 'this test is part of it',
};

test('README: every command of the set-up and the tour runs as written, in order, and exits 0', { timeout: 900_000 }, async (t) => {
  const budgets = quickPass(readme);
  const commands = readmeCommands(readme);
  for (const skipped of Object.keys(NOT_RUN)) assert.ok(commands.includes(skipped), `README no longer has \`${skipped}\``);
  /** The sub-command a tour command runs (`sweep run`, `train`) when README's quick pass budgets it. */
  const budgeted = (args: readonly string[]) => [...budgets.keys()].find((name) => name.split(' ').every((word, i) => args[1 + i] === word));
  for (const name of budgets.keys()) assert.ok(commands.some((c) => budgeted(c.split(/\s+/).slice(1)) === name), `README's quick pass names \`${name}\`, which the tour does not run`);
  let sweepShow: string[] | undefined;
  let reportDir: string | undefined;

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
      // The quick pass: README's budget for this command, replacing the flags written.
      const name = budgeted(args);
      const argv = name === undefined ? args : withBudget(args, budgets.get(name)!);
      if (name === 'sweep run') sweepShow = [...withBudget(['sgdlab', 'sweep', 'show', args[3]!], budgets.get(name)!), '--json'];
      if (args[1] === 'report') {
        assert.ok(argv.includes('--out'), `the tour's report names its folder: ${command}`);
        reportDir = argv[argv.indexOf('--out') + 1];
      }
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
      const started = performance.now();
      const result = await run('npx', argv, { cwd: clone, env, maxBuffer: 1 << 26 }).catch((e: { code: number; stdout: string; stderr: string }) => e);
      // Where the tour's time goes (not a benchmark: no assertion on it), for whoever keeps the suite within budget.
      t.diagnostic(`${((performance.now() - started) / 1000).toFixed(1)} s  npx ${argv.join(' ')}`);
      assert.ok(!('code' in result) || result.code === 0, `${command} → exit ${(result as { code: number }).code}: ${(result as { stderr: string }).stderr}`);
      assert.doesNotMatch(result.stderr, /npm warn/, `${command}: no npm warning`);
    }
    // What the tour says it leaves behind.
    assert.ok(existsSync(join(clone, 'sgdlab-runs', 'runs.sqlite')), 'the run store');
    assert.ok(existsSync(join(clone, 'digits.safetensors')), 'the saved parameters');
    assert.ok(existsSync(join(clone, 'model.onnx')), 'the exported model');
    // The sweep trained every trial of its quick pass (finished, or diverged at the large rates), found again by the same flags.
    assert.ok(sweepShow, 'the tour runs a sweep');
    const shown = await run('npx', sweepShow, { cwd: clone, env, maxBuffer: 1 << 26 });
    const summary = JSON.parse(shown.stdout) as { name: string; scoring: { of: number }; points: { runs: number; finished: number; diverged: number }[] };
    assert.ok(summary.points.length > 0, 'the sweep has grid points');
    for (const p of summary.points) assert.ok(p.runs === summary.scoring.of && p.finished + p.diverged === p.runs, `every trial of ${summary.name} ended: ${JSON.stringify(p)}`);
    assert.ok(summary.points.some((p) => p.finished > 0), 'some trials finished');
    // The report of that sweep: its page, naming the sweep, and its figures as SVG and PNG.
    assert.ok(reportDir, 'the tour writes a report');
    const page = readFileSync(join(clone, reportDir, 'index.html'), 'utf8');
    assert.ok(page.includes(summary.name), `the report is of ${summary.name}`);
    const figures = readdirSync(join(clone, reportDir)).filter((f) => f.endsWith('.svg'));
    assert.ok(figures.length > 0, 'the report drew figures');
    for (const svg of figures) assert.ok(existsSync(join(clone, reportDir, svg.replace(/\.svg$/, '.png'))), `${svg} has its PNG`);
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
});
