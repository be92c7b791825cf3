// The playground's settings: defaults are the paper's comparison as `sgdlab demo` runs it, the URL
// round-trips every setting, and a bad or unknown URL parameter is one line naming it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/random.ts';
import { DEMO_BASE, DEMO_SETTINGS } from '../../src/train/demo.ts';
import { SAMPLER_KINDS } from '../../src/data/samplers.ts';
import {
  DATA_KINDS, DEFAULT_RUNS, DEFAULT_SHARED, RUNTIMES, describeRun, formatSetting, settingsFromQuery, settingsToQuery, type PlaygroundSettings,
} from '../../src/web/settings.ts';
import { modifiedLoss } from '../../src/web/formula.ts';
import { CHECK_NAMES, MODEL_NAMES } from '../../src/theory/index.ts';
import { THEORY_CHECKS, THEORY_MODELS } from '../../src/web/settings.ts';

test('the default comparison is sgdlab demo\'s: small ε, small ε + λ, large ε on digits with mlp:256x2, B = 16', () => {
  assert.equal(`mlp:${DEFAULT_SHARED.width}x${DEFAULT_SHARED.depth}`, DEMO_BASE.model);
  assert.equal(DEFAULT_SHARED.data, DEMO_BASE.data);
  DEMO_SETTINGS.forEach((s, i) => {
    assert.equal(DEFAULT_RUNS[i]!.lr, s.overrides.lr);
    assert.equal(DEFAULT_RUNS[i]!.lambda, s.overrides.lambda ?? 0);
    assert.equal(DEFAULT_RUNS[i]!.batch, DEMO_BASE.batch);
  });
  assert.equal(DEFAULT_SHARED.epochs, 20);
  assert.deepEqual(settingsFromQuery(''), { settings: { shared: DEFAULT_SHARED, runs: DEFAULT_RUNS }, errors: [] });
  assert.equal(settingsToQuery({ shared: DEFAULT_SHARED, runs: DEFAULT_RUNS }), '');
});

test('every setting survives the URL (200 seeded random settings over the validated ranges)', () => {
  const rng = new Rng(19);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const int = (lo: number, hi: number) => lo + rng.int(hi - lo + 1);
  const rate = () => (rng.uniform() < 0.5 ? 2 ** int(-12, 3) : Number((1e-4 + 3 * rng.uniform()).toPrecision(6)));
  for (let k = 0; k < 200; k++) {
    const s: PlaygroundSettings = {
      shared: {
        data: pick(DATA_KINDS), width: int(1, 2048), depth: int(0, 6), sampler: pick(SAMPLER_KINDS), seed: int(0, 2 ** 31 - 1),
        epochs: int(1, 2000), threads: int(1, 16), runtime: pick(RUNTIMES),
      },
      runs: [0, 1, 2].map(() => ({ enabled: rng.uniform() < 0.7, lr: rate(), lambda: rng.uniform() < 0.5 ? 0 : rate(), batch: int(1, 4096), nStep: int(1, 16), regGrad: pick(['exact', 'fd'] as const) })),
    };
    const back = settingsFromQuery(`?${settingsToQuery(s)}`);
    assert.deepEqual(back.errors, []);
    assert.deepEqual(back.settings, s);
  }
});

test('bad and unknown URL parameters: one line each, naming the parameter; the rest still applies', () => {
  const { settings, errors } = settingsFromQuery('?a.lr=fast&b.batch=0&c.lambda=2%5E-3&widht=9&depth=7&sampler=random&d.lr=1');
  assert.deepEqual(errors, [
    "URL: a.lr: 'fast' is not a number (e.g. 0.01, 1e-3 or 2^-9)",
    'URL: b.batch: must be an integer in 1..4096, got 0',
    "URL: unknown setting 'widht'",
    'URL: depth: must be an integer in 0..6, got 7',
    "URL: sampler: 'random' is not one of reshuffle, fixed, reversed-pairs, with-replacement, full",
    "URL: unknown setting 'd.lr'",
  ]);
  assert.equal(settings.runs[2]!.lambda, 2 ** -3);
  assert.equal(settings.runs[0]!.lr, DEFAULT_RUNS[0]!.lr);
  assert.equal(settings.shared.depth, DEFAULT_SHARED.depth);
});

test('powers of two print in the paper\'s notation; run names say the rule', () => {
  assert.equal(formatSetting(2 ** -8), '2^-8');
  assert.equal(formatSetting(1), '1');
  assert.equal(formatSetting(0.3), '0.3');
  assert.equal(describeRun({ enabled: true, lr: 2 ** -6, lambda: 1, batch: 16, nStep: 4, regGrad: 'fd' }), 'ε=2^-4 λ=1 (fd) B=16 n=4');
});

test('the modified loss: C + (α + λ)·C_reg with α = ε, or ε/n for n-step SGD (Eq. 20, 39, Sec. 2.3)', () => {
  const plain = modifiedLoss({ ...DEFAULT_RUNS[0]! }, 'reshuffle', 75, { c: 0.5, cReg: 0.25 });
  assert.equal(plain.value, 0.5 + 2 ** -8 * 0.25);
  assert.equal(plain.symbolic, 'C̃ = C + (ε/4m)Σₖ‖∇Ĉₖ‖² = C + ε·C_reg');
  assert.equal(plain.numeric, '= 0.5000 + 2^-8·0.2500 = 0.5010');
  const explicit = modifiedLoss({ ...DEFAULT_RUNS[1]! }, 'reshuffle', 75, { c: 0.5, cReg: 0.25 });
  assert.equal(explicit.value, 0.5 + (2 ** -8 + 1) * 0.25);
  assert.match(explicit.symbolic, /= C \+ \(ε \+ λ\)·C_reg$/);
  const nStep = modifiedLoss({ ...DEFAULT_RUNS[0]!, lr: 2 ** -6, nStep: 4 }, 'reshuffle', 75, { c: 1, cReg: 1 });
  assert.equal(nStep.value, 1 + 2 ** -6, 'the bare rate α, not ε = nα');
  assert.match(nStep.symbolic, /\(ε\/4mn\)/);
  assert.match(modifiedLoss({ ...DEFAULT_RUNS[0]! }, 'full', 1, {}).symbolic, /\(ε\/4\)‖∇C‖²/);
});

test('the theory view offers every model of sgdlab verify and only checks that fit slopes', () => {
  assert.deepEqual(THEORY_MODELS, MODEL_NAMES);
  for (const c of THEORY_CHECKS) assert.ok(CHECK_NAMES.includes(c));
});
