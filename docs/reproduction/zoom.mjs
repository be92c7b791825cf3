#!/usr/bin/env node
// Zoomed copies of the report's figures for docs/reproduction.md: the same sweeps and the same
// `writeReport` as `sgdlab report`, with the grid points whose score is at chance level (diverged or
// untrainable: ε ≥ 1, λ = 4, α ≥ 1) left out, so the 97–99% range is readable. Files are written as
// <figure>-zoom.{svg,png} next to the full figures, which keep every point.
//   node docs/reproduction/zoom.mjs OUT_DIR STORE SPEC…
import { mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const [outDir, storePath, ...specs] = process.argv.slice(2);
const { RunStore } = await import('../../src/store/index.ts');
const { loadSweepSpec, summarizeSweep } = await import('../../src/sweep/index.ts');
const { writeReport } = await import('../../src/report/index.ts');
const FLOOR = 0.9; // chance on 10 classes is 0.1; every trained point scores ≥ 0.97
const store = RunStore.open(storePath);
try {
  const summaries = specs.map((file) => {
    const sweep = loadSweepSpec(file);
    const summary = summarizeSweep(store, sweep.id, sweep);
    const kept = summary.points.filter((p) => p.score !== undefined && p.score !== null && p.score.mean >= FLOOR);
    for (const p of summary.points) if (!kept.includes(p)) console.log(`${summary.name}: left out ${JSON.stringify(p.point)} (score ${p.score ? p.score.mean.toFixed(3) : 'none'})`);
    return { ...summary, points: kept };
  });
  const tmp = mkdtempSync(join(tmpdir(), 'sgdlab-zoom-'));
  const report = await writeReport({ summaries, loadHistory: (runId) => store.metrics(runId) }, tmp, { pngZoom: 1.25, footer: 'zoom: points below 90% left out' });
  for (const w of report.warnings) console.log(`warning: ${w}`);
  for (const f of readdirSync(tmp)) {
    const m = /^(.*)\.(svg|png)$/.exec(f);
    if (m) renameSync(join(tmp, f), resolve(outDir, `${m[1]}-zoom.${m[2]}`));
  }
  rmSync(tmp, { recursive: true });
} finally {
  store.close();
}
