// `--epochs E` and `--seeds K` on the commands that read a spec (sweep run|show|export, report): a quick
// pass is a sweep of its own, in the store and in a results file, found again only by the same flags.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../../src/store/index.ts';
import { loadSweepSpec, readResultsFile, withBudget, type SweepSummary } from '../../src/sweep/index.ts';
import { runSgdlab, tempDir, writeSpec } from './helpers.ts';

const SPEC = `name: budget check
base: { model: "mlp:16x1", epochs: 3 }
axes:
  lr: [2^-6, 2^-4]
  seed: 2
`;

test('sweep run --epochs 1 --seeds 1: its own trials, never counted by the full sweep; show, export and report find it by the same flags', { timeout: 180_000 }, async () => {
  const dir = tempDir();
  const spec = writeSpec(dir, 'budget.yaml', SPEC);
  const store = join(dir, 'runs.sqlite');
  const results = join(dir, 'results.jsonl');
  const quick = withBudget(loadSweepSpec(spec), { epochs: 1, seeds: 1 }, spec);
  const full = loadSweepSpec(spec);

  const ran = await runSgdlab(['sweep', 'run', spec, '--epochs', '1', '--seeds', '1', '--workers', '2', '--store', store, '--results', results, '--json']);
  assert.equal(ran.code, 0, ran.stderr);
  const { report } = JSON.parse(ran.stdout) as { report: { sweepId: string; ran: number; total: number } };
  assert.deepEqual([report.sweepId, report.ran, report.total], [quick.id, 2, 2]);
  const db = RunStore.open(store);
  try {
    const runs = db.listRuns({ sweepId: quick.id });
    assert.deepEqual(runs.map((r) => [r.trialKey, r.status]).sort(), [['lr=2^-4,seed=0', 'finished'], ['lr=2^-6,seed=0', 'finished']]);
    // 1 epoch of the 1200 digits in batches of 16: 75 steps, where the full sweep trains 225.
    for (const r of runs) assert.deepEqual([(r.config as { epochs: number }).epochs, db.metrics(r.id).at(-1)?.step], [1, 75], r.trialKey!);
    assert.equal(db.listRuns({ sweepId: full.id }).length, 0);
  } finally {
    db.close();
  }
  assert.deepEqual(readResultsFile(results).map((r) => [r.sweep, r.config.epochs]), [['budget check (--epochs 1 --seeds 1)', 1], ['budget check (--epochs 1 --seeds 1)', 1]]);

  // Shown with its flags, the quick pass; without them, the full sweep, which has no runs yet.
  const summary = async (...flags: string[]) => {
    const r = await runSgdlab(['sweep', 'show', spec, ...flags, '--store', store, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as SweepSummary;
  };
  assert.deepEqual((await summary('--epochs', '1', '--seeds', '1')).points.map((p) => [p.runs, p.finished]), [[1, 1], [1, 1]]);
  assert.deepEqual((await summary()).points.map((p) => p.runs), [0, 0]);

  // The full sweep with the same results file: the quick pass's records count for nothing, all 4 trials train.
  const whole = await runSgdlab(['sweep', 'run', spec, '--workers', '2', '--store', store, '--results', results, '--json']);
  assert.equal(whole.code, 0, whole.stderr);
  const fullReport = (JSON.parse(whole.stdout) as { report: { alreadyDone: number; ran: number } }).report;
  assert.deepEqual([fullReport.alreadyDone, fullReport.ran], [0, 4]);
  assert.equal(readResultsFile(results).length, 2 + 4);

  // Exported with its flags to a file of its own: its 2 trials, not the full sweep's 4.
  const exported = await runSgdlab(['sweep', 'export', spec, '--epochs', '1', '--seeds', '1', '--store', store, '--results', join(dir, 'quick.jsonl')]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stdout, /^budget check \(--epochs 1 --seeds 1\): 2 trials appended/);

  // The report of the quick pass names it; the report of a budget never run is refused, and writes nothing.
  const out = join(dir, 'report');
  const drawn = await runSgdlab(['report', spec, '--epochs', '1', '--seeds', '1', '--store', store, '--out', out, '--no-png']);
  assert.equal(drawn.code, 0, drawn.stderr);
  assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /budget check \(--epochs 1 --seeds 1\)/);
  const never = await runSgdlab(['report', spec, '--epochs', '2', '--store', store, '--out', join(dir, 'never')]);
  assert.equal(never.code, 2);
  assert.equal(never.stderr, `sgdlab: report: budget check (--epochs 2): no runs in ${store}; run it first with sgdlab sweep run (a run with --epochs or --seeds is a sweep of its own: give report the same flags)\n`);
  assert.ok(!existsSync(join(dir, 'never')));
});

test('a bad --epochs or --seeds is one line and exit 2, before anything is created', async () => {
  const dir = tempDir();
  const spec = writeSpec(dir, 'budget.yaml', SPEC);
  const store = join(dir, 'runs.sqlite');
  const cases: [string[], string][] = [
    [['sweep', 'run', spec, '--epochs', '0'], 'sgdlab: --epochs 0: must be an integer from 1 to 1000000\n'],
    [['sweep', 'run', spec, '--epochs', '1.5'], 'sgdlab: --epochs 1.5: must be an integer from 1 to 1000000\n'],
    [['sweep', 'run', spec, '--seeds', 'two'], 'sgdlab: --seeds two: must be an integer from 1 to 100000\n'],
    [['sweep', 'run', spec, '--seeds', '3'], `sgdlab: --seeds 3: ${spec} has 2 seeds per point\n`],
    [['report', spec, '--seeds', '0'], 'sgdlab: --seeds 0: must be an integer from 1 to 100000\n'],
  ];
  for (const [args, message] of cases) {
    const r = await runSgdlab([...args, '--store', store]);
    assert.deepEqual([r.code, r.stderr], [2, message], args.join(' '));
    assert.ok(!existsSync(store), `${args.join(' ')}: no store created`);
  }
  // A sweep id names one stored sweep, its budget included.
  const ran = await runSgdlab(['sweep', 'run', spec, '--epochs', '1', '--seeds', '1', '--workers', '1', '--store', store]);
  assert.equal(ran.code, 0, ran.stderr);
  const [{ id }] = JSON.parse((await runSgdlab(['sweep', 'list', '--store', store, '--json'])).stdout) as { id: string }[];
  for (const args of [['sweep', 'show', id!], ['report', id!, '--out', join(dir, 'r')]]) {
    const r = await runSgdlab([...args, '--seeds', '1', '--store', store]);
    assert.deepEqual([r.code, r.stderr], [2, `sgdlab: --seeds: ${id} is a sweep id, whose budget is fixed; give the spec file to pick a budget\n`], args[0]);
  }
  assert.ok(!existsSync(join(dir, 'r')));
});
