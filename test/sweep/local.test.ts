// A local sweep through trainer processes: killed (SIGKILL, coordinator and all) mid-sweep and run
// again, it skips what finished, resumes what was interrupted, and aggregates exactly like a sweep
// run in one go.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RunStore } from '../../src/store/index.ts';
import { loadSweepSpec, summarizeSweep, type SweepSummary } from '../../src/sweep/index.ts';
import { runSgdlab, startSgdlab, tempDir, writeSpec } from './helpers.ts';

const SPEC = `name: resume check
base:
  model: mlp:96x1
  epochs: 6
axes:
  lr: [2^-6, 2^-3]
  seed: 4
scoring:
  best: 3
`;

/** The summary without run ids (which depend on the order trials were recorded in). */
function comparable(summary: SweepSummary): unknown {
  return summary.points.map(({ runIds: _r, scoredRunIds: _s, ...rest }) => rest);
}

test('a local sweep killed mid-trial and run again aggregates exactly like one run in one go', { timeout: 180_000 }, async () => {
  const dir = tempDir();
  const spec = writeSpec(dir, 'resume.yaml', SPEC);
  const sweep = loadSweepSpec(spec);
  const whole = join(dir, 'whole.sqlite');
  const resumed = join(dir, 'resumed.sqlite');

  const oneGo = await runSgdlab(['sweep', 'run', spec, '--workers', '2', '--store', whole, '--json']);
  assert.equal(oneGo.code, 0, oneGo.stderr);
  assert.equal((JSON.parse(oneGo.stdout) as { report: { finished: number } }).report.finished, 8);

  // Kill the coordinator (SIGKILL: no cleanup) while trials are in flight.
  const first = startSgdlab(['sweep', 'run', spec, '--workers', '2', '--store', resumed]);
  await first.waitFor(/seed=\d: finished/);
  await sleep(150);
  first.child.kill('SIGKILL');
  await first.exited;
  // Its trainer processes notice the closed channel and exit at their next step.
  await sleep(500);
  const store = RunStore.open(resumed);
  const afterKill = store.listRuns({ sweepId: sweep.id });
  store.close();
  const interrupted = afterKill.filter((r) => r.status === 'running');
  assert.ok(afterKill.some((r) => r.status === 'finished'), 'some trials finished before the kill');
  assert.ok(afterKill.length < 8 || interrupted.length > 0, 'the kill left work to do');

  const second = await runSgdlab(['sweep', 'run', spec, '--workers', '2', '--store', resumed, '--json']);
  assert.equal(second.code, 0, second.stderr);
  const { report } = JSON.parse(second.stdout) as { report: { alreadyDone: number; ran: number; resumed: number } };
  assert.equal(report.alreadyDone, afterKill.filter((r) => r.status === 'finished').length);
  assert.equal(report.alreadyDone + report.ran, 8);
  assert.equal(report.resumed, interrupted.length);

  const a = RunStore.open(whole);
  const b = RunStore.open(resumed);
  try {
    const runs = b.listRuns({ sweepId: sweep.id });
    assert.equal(runs.length, 8, 'one run per trial');
    assert.ok(runs.every((r) => r.status === 'finished'));
    // Interrupted trials continued in their own records (resumed, not recorded twice).
    for (const r of interrupted) assert.equal(runs.find((x) => x.trialKey === r.trialKey)!.id, r.id);
    assert.deepEqual(comparable(summarizeSweep(b, sweep.id)), comparable(summarizeSweep(a, sweep.id)));
  } finally {
    a.close();
    b.close();
  }

  // A third run finds nothing to do.
  const third = await runSgdlab(['sweep', 'run', spec, '--store', resumed, '--json']);
  assert.equal((JSON.parse(third.stdout) as { report: { ran: number } }).report.ran, 0);
  const shown = await runSgdlab(['sweep', 'show', sweep.id, '--store', resumed]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^lr = ε\s+runs/m);
  assert.match(shown.stdout, /^2\^-6\s+4\s+4\s+0\s+0\s+\d+\.\d% ± \d+\.\d%/m);
});
