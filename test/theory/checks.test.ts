// The backward-error checks at a reduced size on every analytic model: fitted slopes near the theory's
// 2 and 3 (Eq. 10–11, 18–20, 39; docs/theory.md for momentum), a single order below 3, identities to round-off.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runVerify, MODEL_NAMES, type CheckResult, type ModelName } from '../../src/theory/index.ts';
import { SLOPE_TOLERANCE } from '../../src/theory/checks.ts';

/** m = 4 batches of 2 (24 orders), 5 ε values per grid: the full suite runs in seconds per model (Adam's grid: test/theory/adam.test.ts). */
const REDUCED = { batching: { batchCount: 4, batchSize: 2 }, settings: { epsilonCount: 5, rk4Steps: 8, stepCounts: [1, 2, 4], breakdownCount: 9, momentumBetas: [0, 0.5, 0.9], adamBeta1s: [], adamBeta2s: [] } };

const resultsByModel = new Map<ModelName, Promise<CheckResult[]>>();
const resultsFor = (model: ModelName): Promise<CheckResult[]> => {
  if (!resultsByModel.has(model)) resultsByModel.set(model, runVerify({ ...REDUCED, models: [model] }));
  return resultsByModel.get(model)!;
};
const find = (results: CheckResult[], name: string, n?: number, beta?: number): CheckResult => {
  const r = results.find((x) => x.name === name && x.n === n && x.beta === beta);
  assert.ok(r, `no ${name} result`);
  return r;
};
const assertNear = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= SLOPE_TOLERANCE, `${what}: slope ${actual.toFixed(3)}, expected ${expected} ± ${SLOPE_TOLERANCE}`);

for (const model of MODEL_NAMES) {
  test(`${model}: GD step follows the flow of C̃_GD to O(ε³), the flow of C only to O(ε²) (Eq. 10–11)`, async () => {
    const r = find(await resultsFor(model), 'gd');
    assertNear(r.slopes!.plain!, 2, 'plain flow');
    assertNear(r.slopes!.modified!, 3, 'modified flow');
    assert.ok(r.pass, r.verdict);
  });

  test(`${model}: the mean over all orders of one SGD epoch follows C̃_SGD to O(ε³); one order does not (Eq. 18–20)`, async () => {
    const r = find(await resultsFor(model), 'sgd-epoch');
    assertNear(r.slopes!.plain!, 2, 'plain flow');
    assertNear(r.slopes!.modified!, 3, 'modified flow');
    assert.ok(r.slopes!.singleOrder! < 2.5, `single order slope ${r.slopes!.singleOrder}`);
    // Every raw point is present and the integrator never dominates the measured error.
    assert.equal(r.points.length, REDUCED.settings.epsilonCount);
    for (const p of r.points) assert.ok(p.integratorRatio! < 1e-2, `RK4 error ${p.integratorRatio} of the error at ε=${p.epsilon}`);
    assert.ok(r.pass, r.verdict);
  });

  test(`${model}: a forward then a reversed epoch follows C̃_SGD to O(ε³) without averaging`, async () => {
    const r = find(await resultsFor(model), 'reversal');
    assertNear(r.slopes!.plain!, 2, 'plain flow');
    assertNear(r.slopes!.modified!, 3, 'modified flow');
    assert.ok(r.pass, r.verdict);
  });

  test(`${model}: n-step SGD follows C + (ε/4mn)Σ||∇Ĉ_k||² (Eq. 39); the SGD loss does worse for n > 1`, async () => {
    const results = await resultsFor(model);
    for (const n of REDUCED.settings.stepCounts) {
      const r = find(results, 'n-step', n);
      assertNear(r.slopes!.plain!, 2, `n=${n} plain flow`);
      assertNear(r.slopes!.modified!, 3, `n=${n} Eq. 39 flow`);
      if (n > 1) {
        assert.ok(r.slopes!.plainSgdModified! < 2.5, `n=${n}: the (ε/4m) loss reached slope ${r.slopes!.plainSgdModified}`);
        for (const p of r.points) assert.ok(p.plainSgdModified! > p.modified!, `n=${n}, ε=${p.epsilon}: the (ε/4m) loss is not worse`);
      }
      assert.ok(r.pass, r.verdict);
    }
  });

  test(`${model}: Appendix A over all subsets and Eq. 1 = Eq. 2 hold to round-off`, async () => {
    const r = find(await resultsFor(model), 'appendix-a');
    assert.ok(r.maxRelError! < 1e-10, `max relative error ${r.maxRelError}`);
    assert.equal(r.points.length, 7, 'B = 1..N−1 for N = 8');
    assert.deepEqual(r.points.map((p) => p.subsets), [8, 28, 56, 70, 56, 28, 8]);
    assert.ok(r.pass, r.verdict);
  });

  test(`${model}: for growing mε the error leaves the ε³ line`, async () => {
    const r = find(await resultsFor(model), 'breakdown');
    assertNear(r.slopes!.modified!, 3, 'asymptotic range');
    const ratios = r.points.map((p) => p.ratioToCubicLine!);
    assert.ok(ratios.some((x) => Math.abs(Math.log2(x)) >= 1), `ratios to the ε³ line: ${ratios.map((x) => x.toFixed(2)).join(' ')}`);
    assert.ok(r.pass, r.verdict);
  });
}

for (const model of MODEL_NAMES) {
  test(`${model}: heavy-ball GD follows C + η(1+β)/(4(1−β))||∇C||² to O(η³); β = 0 is the gd check's numbers`, async () => {
    const results = await resultsFor(model);
    for (const beta of REDUCED.settings.momentumBetas) {
      const r = find(results, 'gd-momentum', undefined, beta);
      assertNear(r.slopes!.plain!, 2, `β=${beta} plain flow`);
      assertNear(r.slopes!.modified!, 3, `β=${beta} modified flow`);
      assertNear(r.slopes!.fromRestCorrected!, 3, `β=${beta} from rest less its initial layer`);
      if (beta > 0) {
        assert.ok(r.slopes!.unamplified! < 2.5, `β=${beta}: C̃_GD at rate η reached slope ${r.slopes!.unamplified}`);
        assert.ok(r.slopes!.fromRest! < 2.5, `β=${beta}: from rest reached slope ${r.slopes!.fromRest}`);
      }
      assert.ok(r.pass, r.verdict);
    }
    const gd = find(results, 'gd');
    const zero = find(results, 'gd-momentum', undefined, 0);
    assert.deepEqual(zero.points.map((p) => [p.epsilon, p.plain, p.modified]), gd.points.map((p) => [p.epsilon, p.plain, p.modified]));
  });

  test(`${model}: the mean heavy-ball epoch follows the momentum loss (Eq. M9) to O(η³), not (1+β)/(1−β)·C̃_SGD; β = 0 is sgd-epoch`, async () => {
    const results = await resultsFor(model);
    for (const beta of REDUCED.settings.momentumBetas) {
      const r = find(results, 'sgd-epoch-momentum', undefined, beta);
      assertNear(r.slopes!.plain!, 2, `β=${beta} plain flow`);
      assertNear(r.slopes!.modified!, 3, `β=${beta} modified flow`);
      assertNear(r.slopes!.fromRestCorrected!, 3, `β=${beta} from rest less its initial layer`);
      assert.ok(r.slopes!.singleOrder! < 2.5, `β=${beta}: one order reached slope ${r.slopes!.singleOrder}`);
      if (beta > 0) {
        assert.ok(r.slopes!.scaledSgd! < 2.5, `β=${beta}: (1+β)/(1−β)·C̃_SGD reached slope ${r.slopes!.scaledSgd}`);
        for (const p of r.points) assert.ok(p.scaledSgd! > p.modified!, `β=${beta}, ε=${p.epsilon}: (1+β)/(1−β)·C̃_SGD is not worse`);
      }
      for (const p of r.points) assert.ok(p.integratorRatio! < 1e-2, `RK4 error ${p.integratorRatio} of the error at ε=${p.epsilon}`);
      assert.ok(r.pass, r.verdict);
    }
    const sgd = find(results, 'sgd-epoch');
    const zero = find(results, 'sgd-epoch-momentum', undefined, 0);
    const columns = (rows: typeof sgd.points) => rows.map((p) => [p.epsilon, p.plain, p.modified, p.singleOrder]);
    assert.deepEqual(columns(zero.points), columns(sgd.points));
  });
}

for (const model of MODEL_NAMES) {
  test(`${model}: Nesterov momentum follows the same losses with the echo β² (Eq. M13), GD and the mean epoch, to O(η³)`, async () => {
    const results = await resultsFor(model);
    for (const beta of REDUCED.settings.momentumBetas.filter((b) => b > 0)) {
      for (const name of ['gd-nesterov-momentum', 'sgd-epoch-nesterov-momentum']) {
        const r = find(results, name, undefined, beta);
        assertNear(r.slopes!.plain!, 2, `${name} β=${beta} plain flow`);
        assertNear(r.slopes!.modified!, 3, `${name} β=${beta} modified flow`);
        assertNear(r.slopes!.fromRestCorrected!, 3, `${name} β=${beta} from rest less its initial layer`);
        assert.ok(r.pass, r.verdict);
      }
    }
    assert.ok(!results.some((r) => r.name.includes('nesterov') && r.beta === 0), 'β = 0 is plain SGD: not repeated for Nesterov');
  });
}

for (const model of MODEL_NAMES) {
  test(`${model}: every passing check states the slopes it sees (its \`expected\`, which the report's legend prints)`, async () => {
    for (const r of await resultsFor(model)) {
      if (!r.slopes || !r.pass) continue;
      assert.ok(r.expected, `${r.name} β=${r.beta} n=${r.n}: states no expected slopes`);
      for (const [column, slope] of Object.entries(r.expected)) {
        // A wrong form is judged only as clearly below 3; its theory slope 2 is still what it shows.
        const tolerance = slope === 2 && column !== 'plain' ? 0.5 : SLOPE_TOLERANCE;
        assert.ok(Math.abs(r.slopes[column]! - slope) <= tolerance, `${r.name} β=${r.beta} n=${r.n} ${column}: slope ${r.slopes[column]!.toFixed(3)}, stated ${slope}`);
      }
    }
  });
}
