// docs/reproduction-fashion-mnist.md is generated from the committed results: regenerating it from
// results.jsonl (report.sh, no training) must give the committed page byte for byte, so no number in
// it is stale, and the figures it links must exist.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

test('the Fashion-MNIST reproduction page is what its committed results generate', { timeout: 120_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-doc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = join(dir, 'page.md');
  const r = spawnSync('bash', ['docs/reproduction/fashion-mnist/report.sh'], { cwd: ROOT, env: { ...process.env, DOC: doc, FIGURES: join(dir, 'figures') }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const committed = readFileSync(join(ROOT, 'docs/reproduction-fashion-mnist.md'), 'utf8');
  assert.equal(readFileSync(doc, 'utf8'), committed, 'regenerate with: bash docs/reproduction/fashion-mnist/report.sh');
  for (const [, link] of committed.matchAll(/\]\((figures\/fashion-mnist\/[^)]+)\)/g)) {
    assert.ok(existsSync(join(ROOT, 'docs', link!)), `the page links ${link}, which is not committed`);
  }
});
