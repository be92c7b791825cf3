// The reproduction pages are generated from their committed results: regenerating each from its
// results.jsonl (report.sh, no training) must give the committed page byte for byte, so no number in
// it is stale, and the figures it links must exist.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

const PAGES = [
  { page: 'docs/reproduction-fashion-mnist.md', script: 'docs/reproduction/fashion-mnist/report.sh', figures: 'figures/fashion-mnist' },
  { page: 'docs/reproduction-momentum.md', script: 'docs/reproduction/momentum/report.sh', figures: 'figures/momentum' },
];

for (const { page, script, figures } of PAGES) {
  test(`${page} is what its committed results generate`, { timeout: 120_000 }, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sgdlab-doc-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const doc = join(dir, 'page.md');
    const r = spawnSync('bash', [script], { cwd: ROOT, env: { ...process.env, DOC: doc, FIGURES: join(dir, 'figures') }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const committed = readFileSync(join(ROOT, page), 'utf8');
    assert.equal(readFileSync(doc, 'utf8'), committed, `regenerate with: bash ${script}`);
    for (const [, link] of committed.matchAll(new RegExp(`\\]\\((${figures}/[^)]+)\\)`, 'g'))) {
      assert.ok(existsSync(join(ROOT, 'docs', link!)), `the page links ${link}, which is not committed`);
    }
  });
}
