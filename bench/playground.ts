// bench:playground — the browser playground against `sgdlab train` on the default digits MLP
// (64-256-256-10, B = 16, plain, ε = 2^-8, one run): steady-state steps/s (training time only, epochs
// FROM..TO) at 1 and 2 threads, and CPU seconds per epoch (training + evaluation, every chromium
// process against the Node process), which a loaded machine does not inflate. Medians of ROUNDS
// interleaved rounds. Usage: npm run bench:playground [-- ROUNDS FROM TO]

import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { chromium, type Browser } from 'playwright-core';
import { servePlayground } from '../src/cli/playground.ts';
import { resolveConfig, train } from '../src/train/index.ts';

const [ROUNDS, FROM, TO] = [3, 10, 30].map((d, i) => Number(process.argv[2 + i] ?? d));
const CLOCK_TICKS = 100;

/** CPU seconds of every live descendant of this process (chromium's processes), from /proc. */
function descendantsCpu(): number {
  const procs = new Map<number, { ppid: number; cpu: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS });
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const [pid, p] of procs) {
    let q = p.ppid;
    for (let hops = 0; q > 1 && q !== process.pid && hops < 32; hops++) q = procs.get(q)?.ppid ?? 0;
    if (q === process.pid && pid !== process.pid) total += p.cpu;
  }
  return total;
}

/** Steps/s between two evaluations from cumulative training-time rates r = steps / trainSeconds. */
const steadyRate = (s0: number, r0: number, s1: number, r1: number) => (s1 - s0) / (s1 / r1 - s0 / r0);
const processCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Measured { stepsPerSecond: number; cpuPerEpoch: number }

async function inBrowser(browser: Browser, url: string, threads: number): Promise<Measured> {
  const page = await browser.newPage();
  await page.goto(`${url}?epochs=${TO}&b.enabled=false&c.enabled=false&threads=${threads}`);
  await page.waitForFunction(() => window.sgdlab !== undefined);
  await page.evaluate(() => window.sgdlab.start());
  await page.waitForFunction((e) => window.sgdlab.history(0).length > e, FROM, { timeout: 0, polling: 50 });
  const cpu0 = descendantsCpu();
  await page.waitForFunction(() => window.sgdlab.status().runs[0]!.state === 'finished', null, { timeout: 0, polling: 50 });
  const cpu1 = descendantsCpu();
  const history = await page.evaluate(() => window.sgdlab.history(0));
  await page.close();
  const [a, b] = [history[FROM]!, history[TO]!];
  return { stepsPerSecond: steadyRate(a.step, a.metrics.steps_per_sec!, b.step, b.metrics.steps_per_sec!), cpuPerEpoch: (cpu1 - cpu0) / (TO - FROM) };
}

async function inNode(threads: number): Promise<Measured> {
  const marks = new Map<number, { step: number; rate: number; cpu: number }>();
  await train(resolveConfig({ data: 'digits', model: 'mlp:256x2', batch: 16, lr: 2 ** -8, epochs: TO, threads }), {
    onEvaluation: (epoch, step, m) => marks.set(epoch, { step, rate: m.steps_per_sec!, cpu: processCpu() }),
  });
  const [a, b] = [marks.get(FROM)!, marks.get(TO)!];
  return { stepsPerSecond: steadyRate(a.step, a.rate, b.step, b.rate), cpuPerEpoch: (b.cpu - a.cpu) / (TO - FROM) };
}

const { server, url } = await servePlayground(0);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const results = new Map<string, Measured[]>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, measure] of [
      ['chromium, 1 thread', () => inBrowser(browser, url, 1)], ['node, 1 thread', () => inNode(1)],
      ['chromium, 2 threads', () => inBrowser(browser, url, 2)], ['node, 2 threads', () => inNode(2)],
    ] as const) {
      const m = await measure();
      results.set(name, [...(results.get(name) ?? []), m]);
      process.stderr.write(`round ${round + 1}: ${name}: ${m.stepsPerSecond.toFixed(0)} steps/s, ${m.cpuPerEpoch.toFixed(3)} CPU s/epoch (load ${loadavg()[0]!.toFixed(1)})\n`);
    }
  }
} finally {
  await browser.close();
  server.close();
}
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
for (const [name, ms] of results) {
  console.log(`${name.padEnd(20)} ${median(ms.map((m) => m.stepsPerSecond)).toFixed(0).padStart(6)} steps/s   ${median(ms.map((m) => m.cpuPerEpoch)).toFixed(3)} CPU s/epoch`);
}
const cpu = (name: string) => median(results.get(name)!.map((m) => m.cpuPerEpoch));
console.log(`chromium at ${(100 * cpu('node, 1 thread') / cpu('chromium, 1 thread')).toFixed(0)}% of Node's speed by CPU time (1 thread each)`);
