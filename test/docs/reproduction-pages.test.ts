// The reproduction pages are generated from their committed results: regenerating each from its
// results.jsonl (report.sh, no training) must give the committed page and its verdicts as data (claims.json)
// byte for byte, so no number in it is stale; the figures it links must exist; and no supporting verdict may rest
// on a rule that supports shuffled data more than 10% of the time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

const PAGES = [
  { page: 'docs/reproduction-fashion-mnist.md', script: 'docs/reproduction/fashion-mnist/report.sh', figures: 'figures/fashion-mnist', claims: 'docs/reproduction/fashion-mnist/claims.json' },
  { page: 'docs/reproduction-momentum.md', script: 'docs/reproduction/momentum/report.sh', figures: 'figures/momentum', claims: 'docs/reproduction/momentum/claims.json' },
  { page: 'docs/reproduction-adam.md', script: 'docs/reproduction/adam/report.sh', figures: 'figures/adam', claims: 'docs/reproduction/adam/claims.json' },
  // Only the calibrated-verdicts block of the digits page is generated (its other sweeps' results are not committed).
  { page: 'docs/reproduction.md', script: 'docs/reproduction/digits/report.sh', figures: 'figures', claims: 'docs/reproduction/digits/claims.json' },
];

for (const { page, script, figures, claims } of PAGES) {
  test(`${page} is what its committed results generate`, { timeout: 120_000 }, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sgdlab-doc-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const doc = join(dir, 'page.md');
    const verdicts = join(dir, 'claims.json');
    const r = spawnSync('bash', [script], { cwd: ROOT, env: { ...process.env, DOC: doc, FIGURES: join(dir, 'figures'), CLAIMS: verdicts }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const committed = readFileSync(join(ROOT, page), 'utf8');
    assert.equal(readFileSync(doc, 'utf8'), committed, `regenerate with: bash ${script}`);
    // The verdicts as data: what the page says, one entry per claim and score rule.
    assert.equal(readFileSync(verdicts, 'utf8'), readFileSync(join(ROOT, claims), 'utf8'), `regenerate with: bash ${script}`);
    for (const v of JSON.parse(readFileSync(verdicts, 'utf8')) as { verdict: string; supports: boolean; falseRate: number }[]) {
      assert.ok(!(v.supports && v.falseRate > 0.1), `a supporting verdict rests on a rule with false rate ${v.falseRate}: ${v.verdict}`);
    }
    for (const [, link] of committed.matchAll(new RegExp(`\\]\\((${figures}/[^)]+)\\)`, 'g'))) {
      assert.ok(existsSync(join(ROOT, 'docs', link!)), `the page links ${link}, which is not committed`);
    }
  });
}
