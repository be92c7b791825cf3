// Text from outside reaches a terminal with its control characters escaped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printable } from '../../src/util/printable.ts';

test('escape sequences, C1 controls and (unless kept) line breaks are shown as \\xNN', () => {
  assert.equal(printable('lr=1,\u001b[31mred\u001b[0m,seed=0'), 'lr=1,\\x1b[31mred\\x1b[0m,seed=0');
  assert.equal(printable('title\u001b]0;pwned\u0007'), 'title\\x1b]0;pwned\\x07');
  assert.equal(printable('csi\u009b2J del\u007f'), 'csi\\x9b2J del\\x7f');
  assert.equal(printable('a\nb\r\tc'), 'a\\x0ab\\x0d\\x09c');
  assert.equal(printable('a\nb\tc\rd', true), 'a\nb\tc\\x0dd');
  assert.equal(printable('λ=2^-6 ε ✓'), 'λ=2^-6 ε ✓');
});
