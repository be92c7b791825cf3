// Provenance's dirty flag: which changed paths of `git status --porcelain` count as changed code.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeChanges } from '../../src/util/provenance.ts';

test('a reproduction\'s results file that a sweep appends to is not a code change; anything else is', () => {
  assert.deepEqual(codeChanges(''), []);
  // The first line as the trimmed output gives it (X's space gone), then untrimmed lines.
  assert.deepEqual(codeChanges('M docs/reproduction/adam/results.jsonl\n M docs/reproduction/fashion-mnist/results.jsonl'), []);
  assert.deepEqual(codeChanges('M docs/reproduction/adam/results.jsonl\n M src/train/loop.ts\nMM sweeps/fashion-mnist/adam.yaml'), ['src/train/loop.ts', 'sweeps/fashion-mnist/adam.yaml']);
  assert.deepEqual(codeChanges(' M docs/reproduction/adam/build-doc.ts'), ['docs/reproduction/adam/build-doc.ts'], 'only the results file itself');
  assert.deepEqual(codeChanges('R  src/util/random.ts -> src/util/provenance.ts'), ['src/util/provenance.ts']);
  assert.deepEqual(codeChanges(' M results.jsonl\n M vendor/docs/reproduction/adam/results.jsonl'), ['results.jsonl', 'vendor/docs/reproduction/adam/results.jsonl']);
});
