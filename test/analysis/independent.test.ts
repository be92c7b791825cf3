// The collapse exponents sgdlab reports on the committed Fashion-MNIST and momentum results (the claims their
// specs declare) agree within 0.1 with an independent recomputation: test/fixtures/independent-collapse.py,
// numpy only, sampling the mismatch instead of integrating it and searching a plain grid. Its output is committed;
// where python3 with numpy is installed, the script is run again and must print the committed numbers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { experimentFromResults, fitExponent, scorePoints, slicePoints } from '../../src/analysis/index.ts';
import { loadSweepSpec, readResultsFile, sweepClaims } from '../../src/sweep/index.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const FIXTURE = `${ROOT}test/fixtures/independent-collapse.json`;
const independent = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, number>;

/** The figure's spec, the results file it lives in, and the slice (the spec's collapse claim says which). */
const FIGURES: Record<string, { spec: string; results: string }> = {
  fig6b: { spec: 'fig6b', results: 'fashion-mnist' },
  fig6c: { spec: 'fig6c', results: 'fashion-mnist' },
  fig7a: { spec: 'fig7ac', results: 'fashion-mnist' },
  fig7b: { spec: 'fig7b', results: 'fashion-mnist' },
  'fig7b-long': { spec: 'fig7b-long', results: 'fashion-mnist' },
  momentum: { spec: 'momentum', results: 'momentum' },
};

test('sgdlab’s collapse exponents agree with the independent recomputation within 0.1', () => {
  assert.deepEqual(Object.keys(independent).sort(), Object.keys(FIGURES).sort());
  for (const [figure, { spec, results }] of Object.entries(FIGURES)) {
    const sweep = loadSweepSpec(`${ROOT}sweeps/fashion-mnist/${spec}.yaml`);
    const claim = sweepClaims(sweep).find((c) => c.kind === 'collapse');
    assert.ok(claim && claim.kind === 'collapse', `${spec}.yaml declares no collapse claim`);
    const e = slicePoints(experimentFromResults(sweep, readResultsFile(`${ROOT}docs/reproduction/${results}/results.jsonl`)), claim.where);
    const c = fitExponent(e, scorePoints(e, 'best').map((s) => s.score), claim.x, claim.by);
    assert.ok(Math.abs(c - independent[figure]!) <= 0.1, `${figure}: sgdlab ${c}, independent ${independent[figure]}`);
  }
});

test('the committed recomputation is what the script prints', (t) => {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip('python3 with numpy is not installed');
    return;
  }
  const r = spawnSync('python3', [`${ROOT}test/fixtures/independent-collapse.py`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), independent, 'regenerate: python3 test/fixtures/independent-collapse.py > test/fixtures/independent-collapse.json');
});
