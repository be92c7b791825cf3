// `sgdlab report` end to end: a tiny real sweep on digits through `sgdlab sweep run`, then the report
// from its spec file and from its id, and one-line errors for a missing store or an unknown sweep.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sgdlab } from '../sgdlab-cli.ts';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';


const dir = mkdtempSync(join(tmpdir(), 'sgdlab-report-cli-'));
const store = join(dir, 'runs.sqlite');
const spec = join(dir, 'tiny.yaml');
writeFileSync(spec, `name: report-cli-tiny
base: { data: digits, model: "mlp:16x1", epochs: 2, batch: 16 }
axes:
  lr: [2^-6, 2^-4]
  lambda: [0, 2^-4]
  seed: 2
scoring: { best: 1, of: 2 }
claims:
  - optimum: { x: lr, expect: 2^-4, where: { lambda: 0 } }
`);

test('sgdlab report SPEC: figures for the axes the sweep has, the others named as not drawn', async () => {
  const swept = await sgdlab(['sweep', 'run', spec, '--store', store, '--workers', '2', '--json']);
  assert.equal(swept.code, 0, swept.stderr);
  const out = join(dir, 'report');
  const result = await sgdlab(['report', spec, '--store', store, '--out', out, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { htmlPath: string; figures: { paper: string; pngPath: string }[]; skipped: { paper: string; reason: string }[] };
  assert.deepEqual(report.figures.map((f) => f.paper), ['Fig. 1a', 'Fig. 1b', 'Fig. 1c', 'Fig. 2', 'Fig. 5']);
  assert.deepEqual(report.skipped.map((s) => s.paper), ['Fig. 3', 'Fig. 4 / Fig. 7']);
  for (const f of report.figures) assert.ok(existsSync(f.pngPath));
  // The spec's claim, judged under both score rules, with its false rate on shuffled scores.
  const claims = (report as unknown as { claims: { kind: string; rule: string; verdict: string; falseRate: number; set: number[] }[] }).claims;
  assert.deepEqual(claims.map((c) => [c.kind, c.rule]), [['optimum', 'best'], ['optimum', 'final']]);
  for (const c of claims) {
    assert.ok(c.falseRate >= 0 && c.falseRate <= 1);
    assert.match(c.verdict, /^(matches|does not match|inconclusive)/);
    assert.ok(c.set.length >= 1);
  }
  const shown = await sgdlab(['sweep', 'show', spec, '--store', store]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /\nthe best lr is 2\^-4 \(lambda = 0\) \[best during training\]: best 2\^-\d, 90% set \{[^}]+\}; .* \(false rate on shuffled scores \d+%\)\n/);
  assert.match(readFileSync(report.htmlPath, 'utf8'), /report-cli-tiny/);
  // The sweep's id (as `sgdlab sweep list` prints it) works as well as its spec file.
  const list = await sgdlab(['sweep', 'list', '--store', store, '--json']);
  const [{ id }] = JSON.parse(list.stdout) as { id: string }[];
  const byId = await sgdlab(['report', id!, '--store', store, '--out', join(dir, 'by-id'), '--no-png']);
  assert.equal(byId.code, 0, byId.stderr);
  assert.match(byId.stdout, /5 figures in [\d.]+ s; open .*by-id\/index\.html/);
});

test('sgdlab report: a missing store or an unknown sweep is one line on stderr and exit code 2', async () => {
  const missing = await sgdlab(['report', 'nope', '--store', join(dir, 'none.sqlite')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^sgdlab: report: --store .*none\.sqlite: no run store there\n$/);
  const unknown = await sgdlab(['report', 'no-such-sweep', '--store', store, '--out', join(dir, 'x')]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^sgdlab: .*no-such-sweep.*\n$/);
  // A spec file that is not there is named as such, with or without a store.
  for (const storeFlag of [['--store', store], ['--store', join(dir, 'none.sqlite')]]) {
    const absent = await sgdlab(['report', 'nothere.yaml', ...storeFlag]);
    assert.equal(absent.code, 2);
    assert.equal(absent.stderr, 'sgdlab: report: nothere.yaml: no such file\n');
  }
});
