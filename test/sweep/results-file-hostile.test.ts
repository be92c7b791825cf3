// Results files from outside (src/sweep/results-file.ts): a last line without its newline, values no
// run can produce, one trial recorded twice with different results, a mistyped path to import; and
// the spec's name, printed by sweep import/export, reaching the terminal only escaped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../../src/store/index.ts';
import { RESULTS_FORMAT, appendResult, buildSweep, readResultsFile, type ExportedTrial } from '../../src/sweep/index.ts';
import { runSgdlab, tempDir, writeSpec } from './helpers.ts';

const sweep = buildSweep({ name: 'hostile', base: { model: 'mlp:8x1', epochs: 1 }, axes: { lr: [0.5, 0.25], seed: 1 } });

function record(trialIndex: number, final: Record<string, unknown> = { test_acc: 0.5, train_loss: 0.7 }, status = 'finished'): ExportedTrial {
  const trial = sweep.trials[trialIndex]!;
  return {
    format: RESULTS_FORMAT,
    sweep: sweep.spec.name,
    trialKey: trial.key,
    config: trial.config,
    result: { trialKey: trial.key, status, ...(status === 'diverged' ? { divergedAtStep: 3 } : {}), final, best: final, history: [{ step: 1, epoch: 1 }], seconds: 1 },
    provenance: null,
    exportedAt: '2026-01-01T00:00:00Z',
  } as unknown as ExportedTrial;
}
const line = (r: ExportedTrial) => JSON.stringify(r);

test('appending to a file whose last line has no newline starts a new line, so both records read back', () => {
  const path = join(tempDir(), 'results.jsonl');
  writeFileSync(path, line(record(0)));
  appendResult(path, record(1));
  assert.deepEqual(readResultsFile(path).map((r) => r.trialKey), sweep.trials.map((t) => t.key));
  assert.ok(readFileSync(path, 'utf8').endsWith('\n'));
});

test('values no run can produce are refused with the file, the line and the metric; a diverged loss is data', () => {
  const path = join(tempDir(), 'results.jsonl');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ test_acc: 1e308 }, /:1: result of .*: final: metric 'test_acc' is 1e\+308; it must be a finite number from 0 to 1$/],
    [{ test_acc: -7 }, /metric 'test_acc' is -7; it must be a finite number from 0 to 1$/],
    [{ test_acc: 'NaN' }, /metric 'test_acc' is NaN; it must be a finite number from 0 to 1$/],
    [{ train_loss: -1 }, /metric 'train_loss' is -1; it must be a number from 0 to ∞ \(or NaN\/Infinity for a diverged run\)$/],
    [{ grad_norm_sq: '-Infinity' }, /metric 'grad_norm_sq' is -Infinity/],
  ];
  for (const [final, message] of cases) {
    writeFileSync(path, `${line(record(0, final))}\n`);
    assert.throws(() => readResultsFile(path), (e: Error) => e.name === 'SpecError' && message.test(e.message), JSON.stringify(final));
  }
  writeFileSync(path, `${line(record(0, { test_acc: 0.1, train_loss: 'NaN', gamma: 'Infinity', gamma_exact: -3 }, 'diverged'))}\n`);
  const [diverged] = readResultsFile(path);
  assert.ok(Number.isNaN(diverged!.result.final!.train_loss));
  assert.equal(diverged!.result.final!.gamma, Infinity);
});

test('one trial twice: identical lines are harmless, different results are refused naming both lines', () => {
  const path = join(tempDir(), 'results.jsonl');
  writeFileSync(path, `${line(record(0))}\n${line(record(1))}\n${line({ ...record(0), exportedAt: 'later' })}\n`);
  assert.equal(readResultsFile(path).length, 3);
  writeFileSync(path, `${line(record(0))}\n${line(record(1))}\n${line(record(0, { test_acc: 0.9 }))}\n`);
  assert.throws(() => readResultsFile(path), /results\.jsonl:3: trial lr=.* of sweep hostile is also on line 1 with a different result; keep one of the two lines$/);
});

test('sweep import of a mistyped results path exits 2 and creates no store', async () => {
  const dir = tempDir();
  const spec = writeSpec(dir, 'spec.json', JSON.stringify({ name: 'hostile', base: { model: 'mlp:8x1', epochs: 1 }, axes: { lr: [0.5] } }));
  const store = join(dir, 'runs.sqlite');
  const r = await runSgdlab(['sweep', 'import', spec, '--results', join(dir, 'resluts.jsonl'), '--store', store]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^sgdlab: --results .*resluts\.jsonl: no such file\n$/);
  assert.equal(existsSync(store), false);
});

test('sweep import and export print the spec name with control characters escaped', async () => {
  const dir = tempDir();
  const spec = writeSpec(dir, 'spec.json', JSON.stringify({ name: 'evil\u001b]0;pwned\u0007\u001b[2J', base: { model: 'mlp:8x1', epochs: 1 }, axes: { lr: [0.5] } }));
  const results = join(dir, 'results.jsonl');
  writeFileSync(results, '');
  const store = join(dir, 'runs.sqlite');
  RunStore.open(store).close();
  for (const command of ['import', 'export']) {
    const r = await runSgdlab(['sweep', command, spec, '--results', results, '--store', store]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('\u001b'), `${command}: no raw ESC in ${JSON.stringify(r.stdout)}`);
    assert.match(r.stdout, /^evil\\x1b\]0;pwned\\x07\\x1b\[2J: /);
  }
});

test('a local sweep whose data folder does not exist is bad input (exit 2), like train, and trains nothing', async () => {
  const dir = tempDir();
  const spec = writeSpec(dir, 'spec.json', JSON.stringify({ name: 'nodata', base: { data: 'fashion-mnist', dataDir: join(dir, 'no-such-data'), model: 'mlp:8x1', epochs: 1 }, axes: { seed: 2 } }));
  const store = join(dir, 'runs.sqlite');
  const r = await runSgdlab(['sweep', 'run', spec, '--workers', '1', '--store', store]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^sgdlab: .*spec\.json: trial seed=0: fashion-mnist: directory .*no-such-data does not exist\n$/);
  assert.equal(existsSync(store), false);
});
