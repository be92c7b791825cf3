// Provenance's dirty flag (which changed paths of `git status --porcelain` count as changed code), and the
// execution provider a run records when it did not train on the CPU.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeChanges, describeProvenance, runProvenance } from '../../src/util/provenance.ts';

test('a reproduction\'s results file that a sweep appends to is not a code change; anything else is', () => {
  assert.deepEqual(codeChanges(''), []);
  // The first line as the trimmed output gives it (X's space gone), then untrimmed lines.
  assert.deepEqual(codeChanges('M docs/reproduction/adam/results.jsonl\n M docs/reproduction/fashion-mnist/results.jsonl'), []);
  assert.deepEqual(codeChanges('M docs/reproduction/adam/results.jsonl\n M src/train/loop.ts\nMM sweeps/fashion-mnist/adam.yaml'), ['src/train/loop.ts', 'sweeps/fashion-mnist/adam.yaml']);
  assert.deepEqual(codeChanges(' M docs/reproduction/adam/build-doc.ts'), ['docs/reproduction/adam/build-doc.ts'], 'only the results file itself');
  assert.deepEqual(codeChanges('R  src/util/random.ts -> src/util/provenance.ts'), ['src/util/provenance.ts']);
  assert.deepEqual(codeChanges(' M results.jsonl\n M vendor/docs/reproduction/adam/results.jsonl'), ['results.jsonl', 'vendor/docs/reproduction/adam/results.jsonl']);
});

test('a run records its execution provider only when it is not the CPU, and runs show names it', () => {
  assert.ok(!('executionProvider' in runProvenance(1)));
  assert.ok(!('executionProvider' in runProvenance(1, 'cpu')), 'the CPU is the default: old and new CPU runs record the same facts');
  const onGpu = runProvenance(undefined, 'cuda');
  assert.equal(onGpu.executionProvider, 'cuda');
  assert.equal(onGpu.threads, null);
  const lines = describeProvenance(onGpu);
  assert.equal(lines.at(-1), 'execution provider cuda');
  assert.ok(!describeProvenance(runProvenance(1)).some((l) => l.includes('execution provider')));
});
