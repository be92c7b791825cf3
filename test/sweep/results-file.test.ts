// A sweep's committed results file: `sweep run --results` appends each trial as it ends, a fresh
// store picks the sweep up from the file alone (nothing retrained), a grown grid trains only the new
// points, `sweep import` rebuilds the same summary, and a bad line is a one-line error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../../src/store/index.ts';
import { loadSweepSpec, readResultsFile, sameTrialConfig, summarizeSweep, type SweepSummary } from '../../src/sweep/index.ts';
import { runSgdlab, tempDir, writeSpec } from './helpers.ts';

const spec = (lrs: string) => `name: results file check
base: { model: "mlp:32x1", epochs: 2, trainSize: 320 }
axes:
  lr: [${lrs}]
  seed: 2
scoring: { best: 1 }
`;

const comparable = (s: SweepSummary): unknown => s.points.map(({ runIds: _r, scoredRunIds: _s, ...rest }) => rest);

test('sweep run --results: appended as trials end, picked up by a fresh store, extended by a grown grid', { timeout: 180_000 }, async () => {
  const dir = tempDir();
  const results = join(dir, 'results.jsonl');
  const small = writeSpec(dir, 'small.yaml', spec('2^-6, 2^-4'));
  const first = await runSgdlab(['sweep', 'run', small, '--workers', '2', '--store', join(dir, 'a.sqlite'), '--results', results, '--json']);
  assert.equal(first.code, 0, first.stderr);
  const records = readResultsFile(results);
  assert.equal(records.length, 4);
  for (const r of records) {
    assert.equal(r.sweep, 'results file check');
    assert.equal(r.result.status, 'finished');
    assert.ok(r.result.history.length >= 2, 'the metric history travels with the result');
    assert.ok(r.result.seconds > 0 && r.result.seconds < 120, `the trial's wall time: ${r.result.seconds}`);
    assert.ok(Date.parse(r.endedAt!) >= Date.parse(r.startedAt!));
    assert.match(r.provenance?.gitCommit ?? 'no checkout', /^[0-9a-f]{40}$|^no checkout$/);
  }

  // A fresh store (another machine): everything is loaded, nothing trains, and the summary is the same.
  const again = await runSgdlab(['sweep', 'run', small, '--workers', '2', '--store', join(dir, 'b.sqlite'), '--results', results, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const { report, summary } = JSON.parse(again.stdout) as { report: { ran: number; alreadyDone: number }; summary: SweepSummary };
  assert.equal(report.ran, 0);
  assert.equal(report.alreadyDone, 4);
  const storeA = RunStore.open(join(dir, 'a.sqlite'));
  assert.deepEqual(comparable(summary), comparable(summarizeSweep(storeA, loadSweepSpec(small).id, loadSweepSpec(small))));
  storeA.close();
  assert.equal(readResultsFile(results).length, 4, 'nothing appended twice');

  // The grid grows by one rate: only its two trials train.
  const grown = writeSpec(dir, 'grown.yaml', spec('2^-6, 2^-4, 2^-2'));
  const third = await runSgdlab(['sweep', 'run', grown, '--workers', '2', '--store', join(dir, 'c.sqlite'), '--results', results, '--json']);
  assert.equal(third.code, 0, third.stderr);
  assert.equal((JSON.parse(third.stdout) as { report: { ran: number } }).report.ran, 2);
  assert.equal(readResultsFile(results).length, 6);

  // sweep import: the report's route from committed results to a store.
  const imported = await runSgdlab(['sweep', 'import', grown, '--results', results, '--store', join(dir, 'd.sqlite')]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /6 of 6 trials loaded/);
});

test('a results file with a bad line is refused with one line naming the file and the line', async () => {
  const dir = tempDir();
  const small = writeSpec(dir, 'small.yaml', spec('2^-6'));
  const results = join(dir, 'results.jsonl');
  writeFileSync(results, '');
  appendFileSync(results, '{"format":"sgdlab-trial/1","sweep":"x","trialKey":"k","config":{"lr":-1},"result":{}}\n');
  const r = await runSgdlab(['sweep', 'run', small, '--store', join(dir, 's.sqlite'), '--results', results]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `sgdlab: ${results}:1: lr: must be positive, got -1\n`);
  writeFileSync(results, 'not json\n');
  const r2 = await runSgdlab(['sweep', 'import', small, '--store', join(dir, 's.sqlite'), '--results', results]);
  assert.equal(r2.code, 2);
  assert.equal(r2.stderr, `sgdlab: ${results}:1: not a JSON line\n`);
  assert.equal(readFileSync(results, 'utf8'), 'not json\n', 'the file is left as it was');
});

test('a stored config matches a trial when the keys it lacks are at their defaults', () => {
  assert.ok(sameTrialConfig({ lr: 0.5, seed: 1 }, { lr: 0.5, seed: 1, weightDecay: 0 }));
  assert.ok(sameTrialConfig({ lr: 0.5, threads: 1, dataDir: '/a' }, { lr: 0.5, threads: 2 }));
  assert.ok(!sameTrialConfig({ lr: 0.5 }, { lr: 0.25 }));
  assert.ok(!sameTrialConfig({ lr: 0.5 }, { lr: 0.5, weightDecay: 1e-4 }));
});
