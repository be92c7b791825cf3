// Aggregation on hand-made run records: the paper's best 5 of 7 with diverged, failed and
// unfinished runs among them, under both diverged policies, through summarizeSweep and the store.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RunStore, type RunOutcome } from '../../src/store/index.ts';
import { buildSweep, summarizeSweep, type Sweep } from '../../src/sweep/index.ts';
import { tempDir } from './helpers.ts';

/** Record one run for each trial, ending as `outcome(trial index)` says (undefined: left running). */
function record(store: RunStore, sweep: Sweep, outcome: (seed: number, lr: number) => RunOutcome | undefined): void {
  store.saveSweep({ id: sweep.id, name: sweep.spec.name, spec: sweep.spec });
  for (const trial of sweep.trials) {
    const id = store.createRun({ config: trial.config, seed: trial.seed, sweepId: sweep.id, trialKey: trial.key });
    const o = outcome(trial.seed, trial.config.lr);
    if (o) store.finishRun(id, o);
  }
}

const finished = (acc: number, extra: Record<string, number> = {}): RunOutcome => ({ status: 'finished', final: { best_test_acc: acc, test_acc: acc - 0.01, train_acc: acc + 0.02, steps_per_sec: 1000 * Math.random(), ...extra }, best: { test_acc: acc } });
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sampleStd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

test('best 5 of 7: diverged runs compete with their accuracy before divergence, failed and running runs never do', () => {
  const dir = tempDir();
  const store = RunStore.open(join(dir, 'runs.sqlite'));
  const sweep = buildSweep({ name: 'agg', base: { epochs: 1 }, axes: { lr: ['2^-6', '2^-2'], seed: 7 } });
  // lr 2^-6: seven finished runs. lr 2^-2: seeds 0,1 diverge (one after peaking at 0.95, one before
  // any evaluation), seed 2 failed, seed 3 still running, seeds 4..6 finished.
  const small = [0.90, 0.85, 0.93, 0.80, 0.88, 0.91, 0.70];
  record(store, sweep, (seed, lr) => {
    if (lr === 2 ** -6) return finished(small[seed]!);
    if (seed === 0) return { status: 'diverged', divergedAtStep: 120, final: { train_loss: NaN, best_test_acc: 0.95 }, best: { test_acc: 0.95 } };
    if (seed === 1) return { status: 'diverged', divergedAtStep: 3, final: { train_loss: NaN }, best: {} };
    if (seed === 2) return { status: 'failed', error: 'trainer process exited (SIGKILL)' };
    if (seed === 3) return undefined;
    return finished([0.60, 0.65, 0.62][seed - 4]!);
  });

  const summary = summarizeSweep(store, sweep.id);
  assert.equal(summary.sweepId, sweep.id);
  assert.deepEqual(summary.axes, [{ name: 'lr', values: [2 ** -6, 2 ** -2] }]);
  assert.deepEqual(summary.scoring, { metric: 'best_test_acc', best: 5, of: 7, order: 'max', diverged: 'include' });
  const [a, b] = summary.points;
  const top5 = [...small].sort((x, y) => y - x).slice(0, 5);
  assert.deepEqual(a!.point, { lr: 2 ** -6 });
  assert.equal(a!.effectiveLr, 2 ** -6);
  assert.deepEqual([a!.runs, a!.finished, a!.diverged, a!.failed, a!.scored], [7, 7, 0, 0, 5]);
  assert.ok(Math.abs(a!.score!.mean - mean(top5)) < 1e-12);
  assert.ok(Math.abs(a!.score!.std - sampleStd(top5)) < 1e-12);
  assert.ok(Math.abs(a!.metrics.train_acc!.mean - (mean(top5) + 0.02)) < 1e-12);
  assert.equal(a!.metrics.steps_per_sec, undefined, 'timing metrics stay out of the aggregate');
  assert.equal(a!.scoredRunIds.length, 5);
  assert.deepEqual(a!.runIds.slice(0, 5), a!.scoredRunIds);

  // Candidates: 0.95 (diverged after peaking), 0.60, 0.65, 0.62 and seed 1 without a value: the best
  // five are those, but seed 1 adds nothing, so four are scored.
  assert.deepEqual([b!.runs, b!.finished, b!.diverged, b!.failed, b!.scored], [7, 3, 2, 1, 4]);
  assert.ok(Math.abs(b!.score!.mean - mean([0.95, 0.65, 0.62, 0.60])) < 1e-12);
  assert.equal((b as { running: number }).running, 1);
  assert.equal((b as { pending: number }).pending, 0);
  assert.equal(b!.runIds.length, 7);

  // exclude: diverged runs are dropped before the best five are chosen.
  const excluding = buildSweep({ name: 'agg', base: { epochs: 1 }, axes: { lr: ['2^-6', '2^-2'], seed: 7 }, scoring: { diverged: 'exclude' } });
  assert.equal(excluding.id, sweep.id);
  const ex = summarizeSweep(store, sweep.id, excluding).points[1]!;
  assert.equal(ex.scored, 3);
  assert.ok(Math.abs(ex.score!.mean - mean([0.65, 0.62, 0.60])) < 1e-12);
  store.close();
});

test('a point where every run diverged before evaluating has no score; order min picks the lowest', () => {
  const dir = tempDir();
  const store = RunStore.open(join(dir, 'runs.sqlite'));
  const sweep = buildSweep({ name: 'all-diverged', base: { epochs: 1 }, axes: { lr: ['2^-1', '2^-5'], seed: 3 }, scoring: { metric: 'train_loss', order: 'min', best: 2 } });
  record(store, sweep, (seed, lr) => (lr === 2 ** -1 ? { status: 'diverged', divergedAtStep: 0, final: { train_loss: Infinity } } : finished(0.9, { train_loss: [0.3, 0.1, 0.2][seed]! })));
  const [bad, good] = summarizeSweep(store, sweep.id).points;
  assert.equal(bad!.score, null);
  assert.equal(bad!.scored, 0);
  assert.equal(bad!.diverged, 3);
  assert.ok(Math.abs(good!.score!.mean - 0.15) < 1e-12);
  assert.equal(good!.scored, 2);
  store.close();
});
