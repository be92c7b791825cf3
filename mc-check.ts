// Scratch: every spec claim's raw verdict at 200 vs 2,000 bootstrap replicates (calibration skipped).
import { readdirSync, existsSync } from 'node:fs';
import { loadSweepSpec, readResultsFile, sweepClaims } from './src/sweep/index.ts';
import { experimentFromResults, evaluateClaim, claimMetric } from './src/analysis/index.ts';
const files: Record<string, string> = { digits: 'docs/reproduction/digits/results.jsonl', 'fashion-mnist': 'docs/reproduction/fashion-mnist/results.jsonl' };
const extra = ['docs/reproduction/momentum/results.jsonl', 'docs/reproduction/adam/results.jsonl'];
for (const dir of ['digits', 'fashion-mnist']) {
  const records = [files[dir]!, ...(dir === 'fashion-mnist' ? extra : [])].filter(existsSync).flatMap((f) => readResultsFile(f));
  for (const f of readdirSync(`sweeps/${dir}`)) {
    const sweep = loadSweepSpec(`sweeps/${dir}/${f}`);
    for (const claim of sweepClaims(sweep)) {
      const e = experimentFromResults(sweep, records, claimMetric(claim));
      if (e.points.length === 0) continue;
      for (const rule of ['best', 'final'] as const) {
        const t0 = Date.now();
        const a = evaluateClaim(claim, e, rule, { replicates: 200, permutations: 0 });
        const b = evaluateClaim(claim, e, rule, { replicates: 2000, permutations: 0 });
        const strip = (v: string) => v.replace(/\d+%/g, '%').replace(/\(false rate[^)]*\)/, '');
        const same = a.supports === b.supports && strip(a.verdict) === strip(b.verdict);
        console.log(`${same ? 'same' : 'DIFF'} ${dir}/${f} ${claim.kind} ${rule} ${Date.now() - t0}ms\n   200: ${a.verdict}${same ? '' : `\n  2000: ${b.verdict}`}`);
      }
    }
  }
}
