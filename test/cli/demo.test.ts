// The demo's closing ranking: enough digits that two settings that differ never print the same
// number, and a tie said as one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankingLine } from '../../src/cli/demo.ts';

const row = (label: string, mean: number) => ({ label, bestTestAcc: { mean } });

test('the ranking prints the fewest decimals at which neighbours that differ differ, and says tie', () => {
  // 3 seeds on 597 test images: means move in steps of 1/1791.
  const cases: [rows: ReturnType<typeof row>[], line: string][] = [
    [[row('a', 587 / 597), row('b', 584 / 597), row('c', 590 / 597)], 'c 98.8% > a 98.3% > b 97.8%'],
    [[row('small', 1751 / 1791), row('reg', 1761 / 1791), row('large', 1760 / 1791)], 'reg 98.32% > large 98.27% > small 97.77%'],
    [[row('x', 0.5), row('y', 0.5000001)], 'y 50.000% > x 50.000%'],
    [[row('x', 0.9), row('y', 0.9), row('z', 0.8)], 'x 90.0% = y 90.0% (tie) > z 80.0%'],
  ];
  for (const [rows, line] of cases) assert.equal(rankingLine(rows), line);
});
