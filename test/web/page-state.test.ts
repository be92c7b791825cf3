// The playground's state without a browser: an invalid field blocks Start (typed with or without a
// change event), stopped runs resume only while their settings stand, worker messages build the run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canStart, initialState, startLabel, startPlan, update, withShownValues, type Field, type PageState } from '../../src/web/page-state.ts';
import type { RunStatus } from '../../src/web/engine.ts';

const T = '2026-01-01T00:00:00.000Z';
const aLr: Field = { scope: 'run', index: 0, key: 'lr' };
const status = (state: RunStatus['state'], steps: number, losses: number[] = [], extra: Partial<RunStatus> = {}): RunStatus =>
  ({ state, steps, epoch: steps / 75, totalSteps: 1500, losses, stepsPerSecond: 100, ...extra });

/** The default page, started on the digits (N = 1200). */
const started = (): PageState => update(initialState('', T), { type: 'started', data: { kind: 'digits', n: 1200 }, createdAt: T });

test('"abc" in ε: the field is invalid, the setting keeps its value, Start is blocked with the reason; a valid value unblocks it', () => {
  const before = initialState('', T);
  const bad = update(before, { type: 'edit', field: aLr, value: 'abc' });
  assert.equal(bad.settings.runs[0]!.lr, before.settings.runs[0]!.lr);
  assert.match(bad.invalid['a-lr']!, /^run A ε \(learning rate\): /);
  assert.equal(bad.notice.kind, 'error');
  assert.equal(canStart(bad), false);
  const plan = startPlan(bad);
  assert.equal(plan.action, 'blocked');
  assert.match(plan.action === 'blocked' ? plan.notice.text : '', /^Not started: run A ε \(learning rate\): .*abc/);
  // Another field going wrong and then right leaves the first one blocking.
  const alsoBatch = update(update(bad, { type: 'edit', field: { scope: 'run', index: 1, key: 'batch' }, value: '0' }), { type: 'edit', field: { scope: 'run', index: 1, key: 'batch' }, value: '32' });
  assert.deepEqual(Object.keys(alsoBatch.invalid), ['a-lr']);
  assert.equal(alsoBatch.notice.kind, 'error', 'the remaining invalid field is still said');
  const fixed = update(alsoBatch, { type: 'edit', field: aLr, value: '2^-6' });
  assert.deepEqual(fixed.invalid, {});
  assert.equal(fixed.settings.runs[0]!.lr, 2 ** -6);
  assert.deepEqual(startPlan(fixed), { action: 'fresh' });
});

test('Start reads what the controls show: "abc" typed without a change event blocks too; unchanged values leave the state alone', () => {
  const state = initialState('', T);
  const shownDefaults = [{ field: aLr, value: '2^-8' }, { field: { scope: 'shared', key: 'epochs' } as Field, value: '20' }];
  assert.equal(withShownValues(state, shownDefaults), state, 'nothing changed: the very same state');
  const typed = withShownValues(state, [{ field: aLr, value: 'abc' }]);
  assert.equal(startPlan(typed).action, 'blocked');
  assert.equal(withShownValues(state, [{ field: aLr, value: '0.015625' }]).settings.runs[0]!.lr, 2 ** -6);
});

test('a run\'s life: started (m = N/B), batch costs numbered by step, stopped → Resume, a changed setting → Start afresh, Reset', () => {
  let s = started();
  assert.deepEqual(s.runs.map((r) => r.status.state), ['compiling', 'compiling', 'compiling']);
  assert.equal(s.runs[0]!.started!.m, 75);
  s = update(s, { type: 'worker', index: 0, message: { type: 'status', status: status('running', 3, [2.3, 2.2, 2.1]) } });
  s = update(s, { type: 'worker', index: 0, message: { type: 'status', status: status('running', 5, [2.0, 1.9]) } });
  assert.deepEqual(s.runs[0]!.losses, [[1, 2.3], [2, 2.2], [3, 2.1], [4, 2.0], [5, 1.9]]);
  s = update(s, { type: 'worker', index: 0, message: { type: 'evaluation', evaluation: { step: 5, epoch: 5 / 75, metrics: { train_acc: 0.5 } } } });
  assert.equal(s.runs[0]!.history.length, 1);
  s = update(s, { type: 'worker', index: 0, message: { type: 'status', status: status('stopped', 5) } });
  assert.deepEqual(startPlan(s), { action: 'resume', runs: [0] });
  assert.equal(startLabel(s), 'Resume');
  const changed = update(s, { type: 'edit', field: { scope: 'shared', key: 'epochs' }, value: '30' });
  assert.equal(changed.dirty, true);
  assert.match(changed.notice.text, /press Start to run them/);
  assert.deepEqual(startPlan(changed), { action: 'fresh' });
  const reset = update(s, { type: 'reset', createdAt: T });
  assert.ok(reset.runs.every((r) => r.started === undefined && r.status.state === 'idle' && r.losses.length === 0));
  const failed = update(s, { type: 'worker', index: 1, message: { type: 'status', status: status('failed', 0, [], { error: 'out of memory' }) } });
  assert.deepEqual(failed.notice, { text: 'run B: out of memory', kind: 'error' });
});

test('URL errors are the first notice; a disabled run is not started', () => {
  const s = initialState('?a.lr=fast&c.enabled=false', T);
  assert.match(s.notice.text, /^URL: a\.lr: /);
  assert.equal(s.notice.kind, 'error');
  const run = update(s, { type: 'started', data: { kind: 'digits', n: 1200 }, createdAt: T });
  assert.deepEqual(run.runs.map((r) => r.started !== undefined), [true, true, false]);
});
