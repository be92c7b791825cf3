// The playground's data: the embedded digits exactly as `sgdlab train` sees them, seeded 2-D sets,
// and dropped CSV files validated with one line naming the file and the line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadDigits, preprocessSplit } from '../../src/data/index.ts';
import { CsvError, digitsFromGzip, parseCsvData, planeData, PLANE_TRAIN } from '../../src/web/datasets.ts';

test('digits from the gzip bytes the page fetches equal loadDigits + standardize, row for row', async () => {
  const bytes = readFileSync(new URL('../../src/data/assets/digits.csv.gz', import.meta.url));
  const page = await digitsFromGzip(new Uint8Array(bytes));
  const node = preprocessSplit(loadDigits(), 'standardize');
  assert.deepEqual(page.train.x, node.train.x);
  assert.deepEqual(page.train.y, node.train.y);
  assert.deepEqual(page.test!.x, node.test!.x);
  assert.deepEqual(page.test!.y, node.test!.y);
  assert.equal(page.plane, undefined);
});

test('2-D sets: seeded, both classes present, inside the drawn square', () => {
  for (const kind of ['moons', 'circles', 'xor', 'spirals'] as const) {
    const a = planeData(kind);
    assert.deepEqual(a, planeData(kind), `${kind} is deterministic`);
    assert.equal(a.train.n, PLANE_TRAIN);
    assert.deepEqual(a.train.shape, [2]);
    const ones = a.train.y.reduce((s, v) => s + v, 0);
    assert.ok(ones > 0.3 * a.train.n && ones < 0.7 * a.train.n, `${kind}: ${ones} of ${a.train.n} in class 1`);
    const inside = a.train.x.filter((v) => v > a.plane!.min && v < a.plane!.max).length;
    assert.ok(inside >= 0.99 * a.train.x.length, `${kind}: ${inside} of ${a.train.x.length} coordinates inside`);
  }
});

test('a CSV with a header and text labels: classes in sorted order, features standardised on the train rows', () => {
  const rows = Array.from({ length: 50 }, (_, i) => `${i},${(i * 7) % 11},${i % 2 ? 'dog' : 'cat'}`);
  const data = parseCsvData(['a,b,species', ...rows].join('\n'), 'pets.csv');
  assert.equal(data.train.numClasses, 2);
  assert.equal(data.train.n + data.test!.n, 50);
  assert.equal(data.test!.n, 10);
  assert.deepEqual(data.train.shape, [2]);
  const d = 2;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < data.train.n; i++) mean += data.train.x[i * d + j]! / data.train.n;
    assert.ok(Math.abs(mean) < 1e-5, `column ${j} mean ${mean}`);
  }
  // 'cat' < 'dog': class 0 for even a, class 1 for odd a; a's sign survives standardisation order.
  assert.ok(data.plane, 'two features: drawn on the plane');
  const named = parseCsvData('label,x\n1,0.5\n0,0.1\n1,0.7\n0,0.2\n1,0.9\n', 'named.csv');
  assert.deepEqual([...named.train.y, ...named.test!.y].sort(), [0, 0, 1, 1, 1]);
  assert.equal(named.test!.n, 1);
});

test('bad CSV files: one CsvError line naming the file and the line', () => {
  const cases: [string, RegExp][] = [
    ['', /^bad\.csv: the file is empty$/],
    ['1\n2\n3\n4\n', /^bad\.csv: needs at least one feature column and a label column, found 1 column$/],
    ['1,0\n2,1\n', /^bad\.csv: 2 data rows; need at least 4$/],
    ['1,2,0\n3,4,1\n5,6\n7,8,1\n', /^bad\.csv: line 3 has 2 columns, expected 3$/],
    ['x,y,label\n1,2,0\n3,oops,1\n5,6,0\n7,8,1\n', /^bad\.csv: line 3: column 'y' 'oops' is not a number$/],
    ['1,2,0\n3,4,0\n5,6,0\n7,8,0\n', /^bad\.csv: every row has the label '0'; need at least 2 classes$/],
    ['1,2,\n3,4,1\n5,6,0\n7,8,1\n', /^bad\.csv: line 1: empty label$/],
  ];
  for (const [text, expected] of cases) {
    assert.throws(() => parseCsvData(text, 'bad.csv'), (e: unknown) => e instanceof CsvError && expected.test(e.message) && !e.message.includes('\n'), JSON.stringify(text));
  }
});
