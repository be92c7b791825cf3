// `sgdlab verify` as users meet it: the --json document's shape, one-line errors for unknown names,
// and the table-and-verdict text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { verifyCommand } from '../../src/cli/verify.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { SLOPE_TOLERANCE } from '../../src/theory/checks.ts';

const run = promisify(execFile);

test('--json prints {"checks": [...]} with name, model, slopes or maxRelError, pass and the raw points', async () => {
  let out = '';
  await verifyCommand(['gd', 'appendix-a'], { model: 'linear', json: true }, (t) => (out += t));
  const doc = JSON.parse(out) as { checks: Record<string, unknown>[] };
  assert.deepEqual(doc.checks.map((c) => c.name), ['gd', 'appendix-a']);
  const [gd, appendix] = doc.checks as [Record<string, any>, Record<string, any>];
  assert.equal(gd.model, 'linear');
  assert.equal(typeof gd.slopes.plain, 'number');
  assert.equal(typeof gd.slopes.modified, 'number');
  assert.equal(gd.pass, true);
  assert.ok(gd.points.length >= 5 && gd.points.every((p: any) => p.epsilon > 0 && p.plain > 0 && p.modified > 0));
  assert.equal(typeof appendix.maxRelError, 'number');
  assert.ok(appendix.maxRelError < 1e-10);
  assert.ok(Array.isArray(appendix.forms));
});

test('--json momentum entries: the name contains momentum, each carries its beta, slopes {plain, modified} and pass', async () => {
  let out = '';
  await verifyCommand(['gd-momentum'], { model: 'linear', json: true }, (t) => (out += t));
  const doc = JSON.parse(out) as { checks: Record<string, any>[]; pass: boolean };
  assert.deepEqual(doc.checks.map((c) => [c.name, c.beta]), [['gd-momentum', 0], ['gd-momentum', 0.5], ['gd-momentum', 0.9]]);
  for (const c of doc.checks) {
    assert.match(c.name, /momentum/);
    assert.equal(typeof c.slopes.plain, 'number');
    assert.equal(typeof c.slopes.modified, 'number');
    assert.equal(c.pass, true, c.verdict);
    assert.ok(c.points.every((p: any) => p.epsilon > 0 && Math.abs(p.eta * (1 - c.beta) - p.epsilon) <= 1e-15 * p.epsilon));
  }
  assert.equal(doc.pass, true);
});

test('--json rmsprop entries: name, beta1, beta2, eps, slopes {plain, modified, fromRest}, the expected slopes and pass for every α and ε̂ regime; --report draws a figure per α', async () => {
  const { mkdtempSync, readFileSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-verify-rmsprop-report-'));
  let out = '';
  await verifyCommand(['rmsprop'], { model: 'linear', json: true, report: dir }, (t) => (out += t));
  const doc = JSON.parse(out) as { checks: Record<string, any>[]; pass: boolean };
  assert.deepEqual(doc.checks.map((c) => [c.name, c.beta1, c.beta2, c.epsRegime]), [0.9, 0.99, 0.999].flatMap((b2) => [['rmsprop', 0, b2, 'small'], ['rmsprop', 0, b2, 'large']]));
  for (const c of doc.checks) {
    assert.ok(c.eps > 0);
    for (const k of ['plain', 'modified', 'fromRest']) assert.equal(typeof c.slopes[k], 'number');
    assert.equal(c.pass, true, c.verdict);
    // The slopes the theory predicts, stated by the check for the report (docs/theory.md §A9): without bias correction, from rest is O(h).
    assert.deepEqual(c.expected, { plain: 2, modified: 3, ...(c.epsRegime === 'large' ? { withoutEpsilonTerm: 2 } : {}), flippedOneNorm: 2, fromRest: 1 });
    for (const [column, slope] of Object.entries(c.expected as Record<string, number>)) {
      assert.ok(Math.abs(c.slopes[column] - slope) <= SLOPE_TOLERANCE, `α=${c.beta2} ε̂ ${c.epsRegime} ${column}: ${c.slopes[column]} vs ${slope}`);
    }
    assert.equal(c.outOfReach, undefined);
  }
  assert.equal(doc.pass, true);
  // The report: one figure per α with both ε̂ regimes side by side (one model), the legend's theory slopes from the entries.
  const page = readFileSync(join(dir, 'index.html'), 'utf8');
  for (const alpha of ['0-9', '0-99', '0-999']) {
    assert.ok(existsSync(join(dir, `theory-rmsprop-alpha-${alpha}.png`)), alpha);
    assert.match(page, new RegExp(`id="theory-rmsprop-alpha-${alpha}"`));
  }
  const svg = readFileSync(join(dir, 'theory-rmsprop-alpha-0-999.svg'), 'utf8');
  assert.ok(svg.includes('>rmsprop, α = β₂ = 0.999 (β₁ = 0, no bias correction), K = 1000 steps per measurement<'));
  for (const regime of ['small', 'large']) assert.match(svg, new RegExp(`>linear, ε̂ ${regime} \\([0-9.e+-]+\\) — pass<`));
  assert.equal(svg.match(/>from rest \(m₀ = v₀ = 0\) vs A6: fitted slope \d\.\d\d \(theory 1\)</g)?.length, 2);
  assert.match(svg, />vs A6 without its ε̂P³ term: fitted slope \d\.\d\d \(no theory slope\)</);
});

test('unknown checks, models and seeds are one-line UsageErrors', async () => {
  await assert.rejects(verifyCommand(['gdd'], {}, () => {}), (e: unknown) => e instanceof UsageError && /unknown check 'gdd'/.test(e.message));
  await assert.rejects(verifyCommand([], { model: 'resnet' }, () => {}), (e: unknown) => e instanceof UsageError && /unknown model 'resnet'.*linear, logistic, mlp/.test(e.message));
  await assert.rejects(verifyCommand([], { seed: 'x' }, () => {}), (e: unknown) => e instanceof UsageError && /--seed/.test(e.message));
});

test('the command prints tables and verdicts, and exits 2 with one line on an unknown model', async () => {
  const bin = new URL('../../bin/sgdlab.js', import.meta.url).pathname;
  const { stdout } = await run(process.execPath, [bin, 'verify', 'appendix-a', '--model', 'logistic']);
  assert.match(stdout, /appendix-a · logistic/);
  assert.match(stdout, /PASS {2}E\|\|∇Ĉ − ∇C\|\|²/);
  assert.match(stdout, /1 of 1 checks passed/);
  await assert.rejects(run(process.execPath, [bin, 'verify', '--model', 'resnet']), (e: any) => e.code === 2 && e.stderr === "sgdlab: verify: unknown model 'resnet' (expected one of linear, logistic, mlp)\n");
});

test('verify --report writes a slope plot per check with a slope, and an index page', async () => {
  const { mkdtempSync, readFileSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-verify-report-'));
  let out = '';
  await verifyCommand(['gd', 'appendix-a'], { model: 'linear', report: dir }, (t) => (out += t));
  assert.match(out, /slope plots: .*index\.html/);
  const svg = readFileSync(join(dir, 'theory-gd.svg'), 'utf8');
  assert.ok(/fitted slope \d\.\d\d \(theory 2\)/.test(svg), 'the plain-flow fit is labelled');
  assert.ok(/fitted slope \d\.\d\d \(theory 3\)/.test(svg), 'the modified-flow fit is labelled');
  assert.ok(existsSync(join(dir, 'theory-gd.png')));
  assert.ok(!existsSync(join(dir, 'theory-appendix-a.svg')), 'identity checks have no slope plot');
  assert.match(readFileSync(join(dir, 'index.html'), 'utf8'), /theory-gd/);
});
