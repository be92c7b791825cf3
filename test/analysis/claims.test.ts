// Claims as a spec declares them: one row per kind (typed by the table, so a new kind needs a row here), each parsed
// from YAML-shaped input and evaluated on a synthetic experiment; bad claims are one-line errors naming the key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLAIM_KINDS, evaluateClaim, parseClaims, verdictLine, type Claim, type Experiment } from '../../src/analysis/index.ts';
import { buildSweep, SpecError, sweepClaims } from '../../src/sweep/index.ts';
import { parseNumber } from '../../src/train/index.ts';
import { BATCH_GRID, curveExperiment, gridCoords } from './synthetic.ts';

const fail = (m: string): never => {
  throw new SpecError(`spec: ${m}`);
};
const parse = (raw: unknown): Claim[] => parseClaims(raw, 'claims', fail, parseNumber);

const curves = curveExperiment(BATCH_GRID, gridCoords(BATCH_GRID), 1, 3);
/**
 * Five groups of eight points, each with one sharp peak at 87% among points at 50–60%: the groups are similar at
 * their best, and shuffled they rarely are (a group left without a peak is 27 points behind).
 */
const peaks: Experiment = {
  points: Array.from({ length: 40 }, (_, i) => {
    const v = i % 8 === 3 ? 0.87 + 0.0003 * (i % 5) : 0.5 + 0.012 * (i % 8) + 0.001 * Math.floor(i / 8);
    return { coords: { nStep: Math.floor(i / 8) + 1, lr: 2 ** -(i % 8) }, runs: [0, 0.0005, -0.0005].map((d) => ({ best: v + d, final: v + d, diverged: false })) };
  }),
  bestOf: 2,
  failureScore: 0.1,
};
/** Seven rates, the value rising by a point per doubling with ±0.2 points between seeds. */
const rising: Experiment = {
  points: Array.from({ length: 7 }, (_, i) => ({ coords: { lr: 2 ** (i - 12) }, runs: [0, 0.002, -0.002].map((d) => ({ best: 0.8 + 0.01 * i + d, final: 0.8 + 0.01 * i + d, diverged: false })) })),
  bestOf: 2,
  failureScore: 0.1,
};
/** Two slices of three runs each, ten units apart (a metric's values: every run counts). */
const apart: Experiment = {
  points: [0, 1].map((lambda) => ({ coords: { lr: 2 ** -10, lambda }, runs: [0, 1, 2].map((d) => ({ best: 10 + 10 * lambda + d, final: 10 + 10 * lambda + d, diverged: false })) })),
  bestOf: Infinity,
  failureScore: NaN,
};
const ROWS: { [K in keyof typeof CLAIM_KINDS]: { raw: unknown; experiment: Experiment; supports: boolean } } = {
  collapse: { raw: { x: 'lr', by: 'batch', expect: 1, against: 0 }, experiment: curves, supports: true },
  optimum: { raw: { x: 'lr', expect: '2^-10', where: { batch: 16 } }, experiment: curves, supports: false },
  // The optima are 4× apart on the data, but two 7-point curves shuffled put 4 in the 90% set too often: not supported.
  ratio: { raw: { top: { x: 'lr', where: { batch: 64 } }, bottom: { x: 'lr', where: { batch: 16 } }, expect: 4 }, experiment: curves, supports: false },
  similar: { raw: { by: 'nStep', margin: 0.005 }, experiment: peaks, supports: true },
  trend: { raw: { x: 'lr', expect: 'rises' }, experiment: rising, supports: true },
  // The runs shuffled one by one: only 1 of the 20 ways to split six runs into three and three is as far apart.
  difference: { raw: { a: { lambda: 1 }, b: { lambda: 0 }, expect: 'rises', metric: 'one_norm', log: true }, experiment: apart, supports: true },
};

test('every claim kind parses and gives a verdict with a false rate, under both score rules', () => {
  for (const [kind, row] of Object.entries(ROWS)) {
    const [claim] = parse([{ [kind]: row.raw }]);
    assert.equal(claim!.kind, kind);
    for (const rule of ['best', 'final'] as const) {
      const r = evaluateClaim(claim!, row.experiment, rule, { replicates: 60, permutations: 40 });
      assert.equal(r.kind, kind);
      assert.ok(r.falseRate >= 0 && r.falseRate <= 1);
      assert.equal(r.supports, row.supports, `${kind} (${rule}): ${r.verdict}`);
      if (kind === 'collapse') assert.ok(r.interval![0] <= 1 && 1 <= r.interval![1], `${r.interval}`);
    }
  }
});

test('a slice with points of one run gets "too few runs" and no set or interval, whatever its shape; with two runs it is judged', () => {
  // The rising experiment cut to one run per point: every bootstrap replicate is the data itself, so a
  // 90% set would read as certain. With a second run at each point the same claim gets its verdict.
  const keep = (n: number): Experiment => ({ ...rising, points: rising.points.map((p) => ({ ...p, runs: p.runs.slice(0, n) })) });
  for (const [kind, raw] of [['optimum', { x: 'lr', expect: '2^-6' }], ['trend', { x: 'lr', expect: 'rises' }]] as const) {
    const [claim] = parse([{ [kind]: raw }]);
    const one = evaluateClaim(claim!, keep(1), 'best', { replicates: 60, permutations: 40 });
    assert.match(one.verdict, /^too few runs \(7 of 7 points have one run or none; a bootstrap over seeds needs 2 or more at each\)$/);
    assert.equal(one.supports, false);
    assert.equal(one.set, undefined);
    assert.equal(one.interval, undefined);
    const two = evaluateClaim(claim!, keep(2), 'best', { replicates: 60, permutations: 40 });
    assert.ok(two.set ?? two.interval, `${kind}: ${two.verdict}`);
    assert.match(two.verdict, kind === 'optimum' ? /2\^-6 is in the 90% set \{2\^-6\}/ : /^rises/);
  }
  // The best value on the data is still reported: a sweep part-way through shows where it stands, printed
  // without a set or an interval it does not have.
  const [optimum] = parse([{ optimum: { x: 'lr', expect: '2^-6' } }]);
  const partial = evaluateClaim(optimum!, keep(1), 'best', { replicates: 20, permutations: 20 });
  assert.equal(partial.value, 2 ** -6);
  assert.match(verdictLine(partial), /: best 2\^-6; too few runs \(/);
  assert.match(verdictLine(evaluateClaim(optimum!, keep(2), 'best', { replicates: 20, permutations: 20 })), /: best 2\^-6, 90% set \{2\^-6\}; /);
  const [similar] = parse([{ similar: { by: 'lr', margin: 0.005 } }]);
  assert.doesNotMatch(verdictLine(evaluateClaim(similar!, keep(1), 'best', { replicates: 20, permutations: 20 })), /NaN|points \[/);
});

test('bad claims are one-line errors naming the key', () => {
  const cases: [unknown, RegExp][] = [
    [[{ collapse: {} }], /^spec: claims\[0\]\.collapse\.x: must be one of lr, lambda$/],
    ['collapse', /^spec: claims: must be a list of claims/],
    [[{ collapse: { x: 'lr', by: 'width' } }], /claims\[0\]\.collapse\.by: must be one of batch, nStep, momentum$/],
    [[{ collapse: { x: 'lr', by: 'batch', expect: 1, against: 1 } }], /a claim needs an alternative$/],
    [[{ collapse: { x: 'lr', by: 'batch', expect: 5 } }], /claims\[0\]\.collapse\.expect: 5 is outside the exponents searched/],
    [[{ collapse: { x: 'lr', by: 'batch', where: { lambda: 'zero' } } }], /claims\[0\]\.collapse\.where\.lambda: 'zero' is not a number/],
    [[{ optimum: { x: 'lr', expect: 1 }, similar: {} }], /claims\[0\]: must be a mapping with one key/],
    [[{ guess: {} }], /claims\[0\]: unknown claim kind 'guess'/],
    [[{ similar: { by: 'nStep', margin: 5 } }], /claims\[0\]\.similar\.margin: 5 must be in \(0, 1\)/],
    [[{ similar: { margin: 0.005 } }], /give either by .* or groups/],
    [[{ ratio: { top: { x: 'lr' }, bottom: { x: 'lr' }, expect: -2 } }], /claims\[0\]\.ratio\.expect: a ratio must be positive$/],
    [[{ optimum: { x: 'lr', expect: 1, bogus: 1 } }], /claims\[0\]\.optimum: unknown key 'bogus'/],
    [[{ trend: { x: 'lr', expect: 'up' } }], /claims\[0\]\.trend\.expect: must be one of rises, falls$/],
    [[{ trend: { x: 'lr', expect: 'rises', metric: 'One Norm' } }], /claims\[0\]\.trend\.metric: must name a recorded metric/],
    [[{ difference: { a: {}, b: { lambda: 0 }, expect: 'rises' } }], /claims\[0\]\.difference: a and b must each name a slice/],
    [[{ difference: { a: { lambda: 1 }, b: { lambda: 0 }, expect: 'falls', log: 'yes' } }], /claims\[0\]\.difference\.log: must be true or false$/],
  ];
  for (const [raw, message] of cases) {
    assert.throws(() => parse(raw as unknown[]), (e: Error) => e instanceof SpecError && message.test(e.message) && !e.message.includes('\n'), `${JSON.stringify(raw)}`);
  }
});

test('a spec declares claims under claims:, checked with the rest of the spec, and its sweep id does not depend on them', () => {
  const spec = { name: 'c', base: { data: 'digits', model: 'mlp:8x1', epochs: 1 }, axes: { batch: [16, 32], lrPerBatch: ['2^-10', '2^-9'] } };
  const withClaims = buildSweep({ ...spec, claims: [{ collapse: { x: 'lr', by: 'batch' } }] });
  assert.equal(withClaims.id, buildSweep(spec).id);
  assert.deepEqual(sweepClaims(withClaims).map((c) => c.kind), ['collapse']);
  assert.throws(() => buildSweep({ ...spec, claims: [{ collapse: { x: 'speed', by: 'batch' } }] }, 'my.yaml'), /^SpecError: my\.yaml: claims\[0\]\.collapse\.x: must be one of lr, lambda$/);
});
