// The playground in Debian's chromium through playwright-core, served by `sgdlab playground`'s server:
// it loads with no console error and no request outside its origin, its controls are labelled and
// reachable by keyboard, the default comparison trains to 20 epochs with its curves and numbers
// updating and its float32 batch costs those of `sgdlab train`, and the theory view runs; an invalid
// field blocks Start, and a diverged run is marked without stretching the charts.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { servePlayground } from '../../src/cli/playground.ts';
import { resolveConfig, train, loadParams } from '../../src/train/index.ts';
import { buildModel } from '../../src/nn/index.ts';
import { Rng } from '../../src/util/random.ts';
import { DEFAULT_RUNS } from '../../src/web/settings.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const available = existsSync(CHROMIUM);
const skip = available ? false : `${CHROMIUM} not found: the playground's browser tests need Debian's chromium (apt-get install -y chromium)`;
if (!available && process.env.CI) throw new Error(String(skip));

let server: Server;
let origin: string;
let browser: Browser;
let context: BrowserContext;
const dir = mkdtempSync(join(tmpdir(), 'sgdlab-playground-'));
/** Everything the page asked for outside its origin, and every console error or warning. */
const offOrigin: string[] = [];
const problems: string[] = [];

before(async () => {
  if (!available) return;
  ({ server, url: origin } = await servePlayground(0));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
    offOrigin.push(url);
    return route.abort();
  });
});

after(async () => {
  await context?.close();
  await browser?.close();
  server?.close();
});

async function open(query = ''): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !/^(blob|data):/.test(r.url())) offOrigin.push(r.url()); });
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`worker console ${m.type()}: ${m.text()}`); }));
  await page.goto(`${origin}${query}`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.sgdlab !== undefined);
  return page;
}

type Status = ReturnType<Window['sgdlab']['status']>;

/** Poll until every run is done; each poll also reads what the page shows (a chart's line, run A's numbers). */
async function waitUntilDone(page: Page, timeoutMs: number, onPoll?: (s: Status, shown: { curve: string; numbers: string }) => void): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status: s, shown } = await page.evaluate(() => ({
      status: window.sgdlab.status(),
      shown: { curve: document.querySelector('#chart-loss path')?.getAttribute('d') ?? '', numbers: document.querySelector('#run-a .numbers')?.textContent ?? '' },
    }));
    onPoll?.(s, shown);
    if (s.runs.length > 0 && s.runs.every((r) => r.state === 'finished' || r.state === 'diverged' || r.state === 'failed')) return s;
    if (Date.now() > deadline) throw new Error(`runs not done after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await page.waitForTimeout(100);
  }
}

test('the page loads clean: no console error, nothing outside its origin, labelled controls all reachable by Tab', { skip }, async () => {
  const page = await open();
  const controls = await page.$$eval('#training-view input, #training-view select, header button', (nodes) =>
    nodes.map((n) => {
      const el = n as HTMLInputElement;
      const label = el instanceof HTMLButtonElement ? el.textContent?.trim() : [...(el.labels ?? [])].map((l) => l.textContent?.trim()).join(' ');
      return { id: el.id, label: label ?? '', disabled: el.disabled };
    }),
  );
  assert.ok(controls.length >= 30, `${controls.length} controls`);
  for (const c of controls) assert.ok(c.id && c.label.length > 0, `control without a label: ${JSON.stringify(c)}`);
  // Tab through the page once around; every enabled control must take the focus.
  const reached = new Set<string>();
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press('Tab');
    reached.add(await page.evaluate(() => document.activeElement?.id ?? ''));
  }
  const missed = controls.filter((c) => !c.disabled && !reached.has(c.id)).map((c) => c.id);
  assert.deepEqual(missed, [], 'controls the keyboard cannot reach');
  // A control moved by keyboard lands in the URL.
  await page.focus('#a-lambda');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('2^-2');
  await page.keyboard.press('Tab');
  // The URL is rewritten by the change handler; on a loaded machine that can land just after the key press.
  await page.waitForURL(/a\.lambda=2%5E-2/, { timeout: 10_000 });
  assert.match(page.url(), /a\.lambda=2%5E-2/);
  // A bad value is refused with one line naming it.
  await page.fill('#b-batch', '0');
  await page.dispatchEvent('#b-batch', 'change');
  assert.match(await page.textContent('#message') ?? '', /^run B B \(batch size\): must be an integer in 1\.\.4096, got 0$/);
  assert.equal(await page.getAttribute('#b-batch', 'aria-invalid'), 'true');
  await page.close();
  assert.deepEqual(offOrigin, [], 'requests outside the origin');
  assert.deepEqual(problems, []);
});

test('the default comparison trains to 20 epochs, curves and numbers updating; its first 100 batch costs equal sgdlab train\'s (float32, 1e-5 relative); exports load back', { skip }, async (t) => {
  const page = await open();
  await page.click('#start');
  const seenSteps = new Set<string>();
  const seenCurves = new Set<string>();
  const seenNumbers = new Set<string>();
  const status = await waitUntilDone(page, 240_000, (s, shown) => {
    seenSteps.add(s.runs.map((r) => r.steps).join(','));
    seenCurves.add(shown.curve);
    seenNumbers.add(shown.numbers);
  });
  // Seen while it ran: several step counts, and as many different curves and numbers on the page.
  assert.ok(seenSteps.size >= 4, `status polled at only ${seenSteps.size} distinct step counts: ${[...seenSteps]}`);
  assert.ok(seenCurves.size >= 4 && seenNumbers.size >= 4, `the page showed ${seenCurves.size} distinct curves and ${seenNumbers.size} distinct number panels`);
  for (const i of [0, 1, 2]) {
    const history = await page.evaluate((k) => window.sgdlab.history(k), i);
    assert.equal(history.length, 21, 'one evaluation before training and one per epoch');
    assert.ok(history.every((h, e) => h.epoch === e), 'evaluations at epochs 0..20');
  }
  assert.equal(status.runs.length, 3);
  for (const r of status.runs) {
    assert.equal(r.state, 'finished');
    assert.equal(r.steps, 1500);
    assert.equal(r.epoch, 20);
    assert.ok(r.trainAcc! > 0.9 && r.trainAcc! <= 1 && r.testAcc! > 0.9 && r.testAcc! <= 1, JSON.stringify(r));
    assert.ok(r.cReg! > 0 && r.stepsPerSecond > 0);
  }
  // The paper's ordering at the end: the large rate and the explicit regularizer both shrink C_reg.
  const [a, b, c] = status.runs;
  assert.ok(c!.cReg! < a!.cReg! && b!.cReg! < a!.cReg!, `C_reg: A ${a!.cReg}, B ${b!.cReg}, C ${c!.cReg}`);
  // Every chart drew one line per run, with a point per epoch.
  const paths = await page.$$eval('.chart-grid svg', (svgs) => svgs.map((s) => ({ id: s.id, lines: s.querySelectorAll('path').length, points: Math.max(0, ...[...s.querySelectorAll('path')].map((p) => (p.getAttribute('d') ?? '').split('L').length)) })));
  for (const p of paths) assert.ok(p.lines >= 3 && p.points >= 21, JSON.stringify(p));
  assert.match(await page.textContent('#run-b .numeric') ?? '', /^= [\d.e-]+ \+ \(2\^-8 \+ 1\)·[\d.e-]+ = [\d.e-]+$/);
  // The same configs and seed through `sgdlab train` (onnxruntime-node): the batch costs of the first
  // 100 steps agree to 1e-5 relative (float32 kernels differ, wasm SIMD against AVX, in rounding only).
  for (const [i, run] of DEFAULT_RUNS.entries()) {
    const browserLosses = (await page.evaluate((k) => window.sgdlab.losses(k), i)).slice(0, 100);
    const nodeLosses: number[] = [];
    const config = resolveConfig({ data: 'digits', model: 'mlp:256x2', batch: run.batch, lr: run.lr, lambda: run.lambda, regGrad: run.regGrad, steps: 100, stepsPerCall: 1, evalEvery: 1000, seed: 0 });
    await train(config, { onProgress: (p) => nodeLosses.push(p.loss) });
    assert.equal(browserLosses.length, 100);
    assert.equal(nodeLosses.length, 100);
    const worst = Math.max(...browserLosses.map((l, s) => Math.abs(l - nodeLosses[s]!) / Math.abs(nodeLosses[s]!)));
    assert.ok(worst <= 1e-5, `run ${'ABC'[i]}: largest relative difference ${worst.toExponential(2)} over 100 steps`);
    t.diagnostic(`run ${'ABC'[i]}: largest relative batch-cost difference, browser against sgdlab train, first 100 steps: ${worst.toExponential(2)}`);
  }
  const screenshot = join(dir, 'playground.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  t.diagnostic(`screenshot: ${screenshot}`);

  // The run record has the fields of `sgdlab runs show --json`; the parameters load with --init's loader.
  const record = await page.evaluate(() => window.sgdlab.record(0)) as { config: { model: string }; metrics: unknown[]; status: string };
  assert.deepEqual(Object.keys(record).sort(), ['best', 'checkpointPath', 'config', 'createdAt', 'divergedAtStep', 'error', 'final', 'id', 'metrics', 'name', 'provenance', 'seed', 'status', 'sweepId', 'trialKey', 'updatedAt']);
  assert.equal(record.status, 'finished');
  assert.equal(record.metrics.length, 21);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#run-a .export-params')]);
  const file = join(dir, 'run-a.safetensors');
  await download.saveAs(file);
  const template = buildModel(record.config.model, [1, 8, 8], 10).init(new Rng(1), 'float32');
  const { metadata } = loadParams(file, template);
  assert.equal(metadata.step, '1500');
  assert.ok(readFileSync(file).byteLength > 4 * (64 * 256 + 256 * 256 + 256 * 10));
  await page.close();
  assert.deepEqual(offOrigin, []);
  assert.deepEqual(problems, []);
});

test('the theory view runs the GD check live and draws it; stop and resume; a 2-D set draws its boundary; a dropped CSV is validated', { skip }, async () => {
  const page = await open('?data=moons&epochs=10&b.enabled=false&c.enabled=false&a.lr=2%5E-3');
  // Theory: one GD step against the flows of C and C̃_GD, float64 in the worker (as `sgdlab verify gd --model linear`).
  await page.click('#tab-theory');
  await page.selectOption('#theory-check', 'gd');
  await page.selectOption('#theory-model', 'linear');
  await page.click('#theory-run');
  await page.waitForFunction(() => /^(PASS|FAIL)/.test(document.getElementById('theory-verdict')?.textContent ?? ''), null, { timeout: 120_000 });
  const verdict = await page.textContent('#theory-verdict') ?? '';
  const slopes = [...verdict.matchAll(/slope (\d\.\d\d) \(theory (\d)\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.match(verdict, /^PASS/);
  assert.deepEqual(slopes.map(([, theory]) => theory), [2, 3]);
  for (const [slope, theory] of slopes) assert.ok(Math.abs(slope! - theory!) < 0.1, verdict);
  // The legend's theory slopes are the check's own (its `expected`), as in the verdict.
  assert.match(await page.textContent('#theory-legend') ?? '', /plain: slope \d\.\d\d \(theory 2\).*modified: slope \d\.\d\d \(theory 3\)/s);
  assert.ok(await page.$$eval('#theory-chart circle', (c) => c.length) >= 2 * 6, 'measured points drawn');
  assert.equal(await page.$$eval('#theory-chart path', (p) => p.length), 2, 'one fitted line per error');
  // A 2-D set: its boundary is drawn once the run has evaluated.
  // stop() pauses between calls; start() resumes where it stopped.
  await page.click('#tab-training');
  // Stopped while it compiles (so whatever the machine's speed, before it ends): it holds there.
  await page.evaluate(async () => {
    await window.sgdlab.start();
    window.sgdlab.stop();
  });
  await page.waitForFunction(() => window.sgdlab.status().runs[0]!.state === 'stopped');
  const stoppedAt = await page.evaluate(() => window.sgdlab.status().runs[0]!.steps);
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.sgdlab.status().runs[0]!.steps), stoppedAt);
  assert.ok(stoppedAt < 320, `stopped at step ${stoppedAt}`);
  assert.equal(await page.textContent('#start'), 'Resume');
  await page.evaluate(() => window.sgdlab.start());
  const status = await waitUntilDone(page, 60_000);
  assert.equal(status.runs[0]!.steps, 320);
  assert.equal(status.runs[0]!.state, 'finished');
  assert.ok(status.runs[0]!.trainAcc! > 0.8, `moons train accuracy ${status.runs[0]!.trainAcc}`);
  assert.equal(await page.isVisible('#run-a canvas.boundary'), true);
  const colours = await page.$eval('#run-a canvas.boundary', (c) => {
    const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
    return new Set(Array.from({ length: d.length / 4 }, (_, i) => `${d[4 * i]},${d[4 * i + 1]},${d[4 * i + 2]}`)).size;
  });
  assert.ok(colours >= 4, `the boundary canvas has ${colours} colours (two regions and two kinds of points at least)`);
  const shot = join(dir, 'moons.png');
  await page.screenshot({ path: shot, fullPage: true });
  // CSV: a bad file is one line naming it; a good one becomes the data set.
  await page.setInputFiles('#csv-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('x,y,label\n1,2,0\n3,oops,1\n5,6,0\n7,8,1\n') });
  await page.waitForFunction(() => document.getElementById('message')?.className === 'error');
  assert.equal(await page.textContent('#message'), "bad.csv: line 3: column 'y' 'oops' is not a number");
  const rows = Array.from({ length: 200 }, (_, i) => `${Math.cos(i)},${Math.sin(i)},${i % 3 === 0 ? 'a' : 'b'}`).join('\n');
  await page.setInputFiles('#csv-file', { name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(`u,v,label\n${rows}\n`) });
  await page.waitForFunction(() => /^Loaded good\.csv/.test(document.getElementById('message')?.textContent ?? ''));
  assert.equal(await page.inputValue('#shared-data'), 'csv');
  assert.match(page.url(), /[?&]data=csv/);
  await page.evaluate(() => window.sgdlab.start());
  const csvStatus = await waitUntilDone(page, 60_000);
  assert.equal(csvStatus.runs[0]!.state, 'finished');
  assert.equal(csvStatus.runs[0]!.steps, 10 * Math.floor(160 / 16));
  await page.close();
  assert.deepEqual(offOrigin, []);
  assert.deepEqual(problems, []);
});

/** The y tick labels of a chart as numbers ("5e-1" → 0.5). */
const yTicks = (page: Page, chart: string): Promise<number[]> =>
  page.$$eval(`#${chart} .axes text[text-anchor="end"]`, (texts) => texts.map((t) => Number(t.textContent)));

test('an invalid field blocks Start; a diverged run is marked, named, and sets no axis; the accuracy axis zooms; run buttons only on Training; exports name their run', { skip }, async () => {
  const page = await open('?epochs=2&b.enabled=false&c.lr=2');
  // "abc" in ε, then Start: the field keeps its error and nothing starts (it used to train with the old value).
  await page.fill('#a-lr', 'abc');
  await page.click('#start', { force: true });
  assert.match(await page.textContent('#message') ?? '', /^run A ε \(learning rate\): 'abc' is not a number/);
  assert.equal(await page.getAttribute('#a-lr', 'aria-invalid'), 'true');
  assert.equal(await page.isDisabled('#start'), true);
  await page.waitForTimeout(300);
  assert.deepEqual((await page.evaluate(() => window.sgdlab.status())).runs, []);
  // Typed without a change event (no blur) and started from script: refused as well.
  await page.fill('#a-lr', '2^-8');
  await page.dispatchEvent('#a-lr', 'change');
  assert.equal(await page.isDisabled('#start'), false);
  await page.$eval('#a-lr', (input) => { (input as HTMLInputElement).value = 'abc'; });
  await page.evaluate(() => window.sgdlab.start());
  assert.match(await page.textContent('#message') ?? '', /^Not started: run A ε \(learning rate\): 'abc'/);
  assert.deepEqual((await page.evaluate(() => window.sgdlab.status())).runs, []);
  await page.fill('#a-lr', '2^-8');
  await page.dispatchEvent('#a-lr', 'change');

  // Run A trains; run C (ε = 2) diverges within its first epoch.
  await page.click('#start');
  const status = await waitUntilDone(page, 120_000);
  assert.deepEqual(status.runs.map((r) => r.state), ['finished', 'diverged']);
  await page.waitForTimeout(300);
  // The batch-cost chart: C's blow-up does not set the y range (A's costs stay below 10), C is marked and named.
  const batchTicks = await yTicks(page, 'chart-batch');
  assert.ok(batchTicks.length >= 2 && Math.max(...batchTicks) <= 10, `batch-cost y ticks ${batchTicks.join(', ')}`);
  assert.equal(await page.$$eval('#chart-batch .diverged-marker', (m) => m.length), 1);
  assert.match(await page.textContent('#legend') ?? '', /C \(ε=2\^1 B=16\) diverged at step \d+/);
  // The accuracy chart, zoomed by default to the later half of training, then on 0–100%.
  const zoomed = await yTicks(page, 'chart-accuracy');
  assert.ok(Math.min(...zoomed) >= 0.5, `zoomed accuracy ticks ${zoomed.join(', ')}`);
  await page.selectOption('#accuracy-axis', 'full');
  const full = await yTicks(page, 'chart-accuracy');
  assert.ok(full.includes(0) && full.includes(1), `full accuracy ticks ${full.join(', ')}`);
  const shot = join(dir, 'diverged.png');
  await page.screenshot({ path: shot, fullPage: true });
  // Each "Export parameters" button names its run.
  assert.deepEqual(await page.$$eval('.export-params', (b) => b.map((x) => x.textContent)), ['A', 'B', 'C'].map((r) => `Export run ${r} parameters (safetensors)`));
  // Start, Stop and Reset belong to the training view.
  await page.click('#tab-theory');
  for (const id of ['#start', '#stop', '#reset']) assert.equal(await page.isVisible(id), false, `${id} on the Theory tab`);
  await page.click('#tab-training');
  for (const id of ['#start', '#stop', '#reset']) assert.equal(await page.isVisible(id), true, `${id} on the Training tab`);
  await page.close();
  assert.deepEqual(offOrigin, []);
  assert.deepEqual(problems, []);
});
