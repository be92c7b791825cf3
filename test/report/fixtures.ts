// Hand-made sweep summaries shaped like the paper's sweeps (ε and λ grids, batch sizes, n-step SGD),
// with accuracies that rise and fall like the paper's, for testing figures without training anything.

import type { PointSummary, SweepSummary } from '../../src/sweep/summary.ts';
import type { HistoryRow } from '../../src/report/index.ts';

const SCORING = { metric: 'best_test_acc', best: 5, of: 7 };
const BASE = { data: 'digits', model: 'mlp:256x2', batch: 16, epochs: 50, schedule: 'constant' };

let nextRunId = 1;

/** A peaked accuracy over log₂ of a rate: best at `peak`, falling off on both sides. */
const peaked = (log2x: number, peak: number, top: number) => top - 0.004 * (log2x - peak) ** 2;

function point(coordinates: Record<string, number>, accuracy: number | null, extra: { cReg?: number; trainAcc?: number; trainLoss?: number; effectiveLr?: number } = {}): PointSummary {
  const runIds = Array.from({ length: 7 }, () => nextRunId++);
  const diverged = accuracy === null ? 7 : 0;
  return {
    point: coordinates,
    effectiveLr: extra.effectiveLr ?? coordinates.lr! * (coordinates.nStep ?? 1),
    runs: 7,
    finished: 7 - diverged,
    diverged,
    failed: 0,
    scored: accuracy === null ? 0 : 5,
    score: accuracy === null ? null : { mean: accuracy, std: 0.004 },
    metrics: accuracy === null ? {} : {
      best_test_acc: { mean: accuracy, std: 0.004 },
      test_acc: { mean: accuracy - 0.003, std: 0.005 },
      train_acc: { mean: extra.trainAcc ?? 1, std: 0.001 },
      train_loss: { mean: extra.trainLoss ?? 0.01, std: 0.002 },
      c_reg: { mean: extra.cReg ?? 0.01, std: 0.001 },
    },
    runIds,
    scoredRunIds: accuracy === null ? [] : runIds.slice(0, 5),
  };
}

export const LR_EXPONENTS = [-10, -9, -8, -7, -6, -5, -4, -3];
export const LAMBDA_EXPONENTS = [-10, -8, -6, -4, -2];

/** Fig. 1/2/5: ε from 2^-10 to 2^-3 at λ = 0 (2^-3 diverged), and λ from 2^-10 to 2^-2 at ε = 2^-9. */
export function rateAndLambdaSweep(): SweepSummary {
  const points = [
    ...LR_EXPONENTS.map((e) => point({ lr: 2 ** e, lambda: 0 }, e === -3 ? null : peaked(e, -6, 0.975), { cReg: 0.05 * 2 ** (-(e + 10) * 1.2), trainAcc: e >= -5 ? 0.97 : 1, trainLoss: 0.005 * 2 ** (e + 10) })),
    ...LAMBDA_EXPONENTS.map((e) => point({ lr: 2 ** -9, lambda: 2 ** e }, peaked(e, -6, 0.98), { cReg: 0.05 * 2 ** (-(e + 10) * 1.1), trainAcc: e >= -4 ? 0.95 : 1, trainLoss: 0.004 * 2 ** (e + 10) })),
  ];
  return {
    sweepId: 'fig1-digits',
    name: 'fig1-digits',
    axes: [
      { name: 'lr', values: LR_EXPONENTS.map((e) => 2 ** e) },
      { name: 'lambda', values: [0, ...LAMBDA_EXPONENTS.map((e) => 2 ** e)] },
    ],
    scoring: SCORING,
    base: BASE,
    points,
  };
}

/**
 * The README tour's sweep (sweeps/digits/repro-fig1-eps.yaml): ε from 2^-10 to 2^1 at λ = 0, no λ axis;
 * at ε ≥ 1 four of five runs diverge and the fifth ends at chance with C_reg ≈ 1e24, as measured.
 */
export function rateOnlySweep(): SweepSummary {
  const exponents = [-10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1];
  const points = exponents.map((e) => {
    if (e < 0) return point({ lr: 2 ** e }, peaked(e, -2, 0.984), { cReg: 2 ** (-e - 8), trainAcc: 1, trainLoss: 2 ** (e - 2) });
    const runIds = Array.from({ length: 5 }, () => nextRunId++);
    const chance = { mean: 0.1, std: 0.015 };
    return {
      point: { lr: 2 ** e }, effectiveLr: 2 ** e, runs: 5, finished: 1, diverged: 4, failed: 0, scored: 2, score: chance,
      metrics: { best_test_acc: chance, test_acc: chance, train_acc: chance, train_loss: { mean: 2.3, std: 0.01 }, c_reg: { mean: 2e24, std: 1e24 } },
      runIds, scoredRunIds: runIds.slice(0, 2),
    };
  });
  return {
    sweepId: 'digits-repro-fig1-eps', name: 'digits-repro-fig1-eps', axes: [{ name: 'lr', values: exponents.map((e) => 2 ** e) }],
    scoring: { metric: 'best_test_acc', best: 3, of: 5 }, base: { ...BASE, epochs: 100 }, points,
  };
}

export const BATCHES = [8, 16, 32];

/** Fig. 3: ε × B at λ = 0 and λ × B at ε = 2^-9, accuracy a function of ε/B (or λ/B). */
export function batchSweep(): SweepSummary {
  const points: PointSummary[] = [];
  for (const batch of BATCHES) {
    for (const e of [-9, -8, -7, -6, -5, -4]) points.push(point({ lr: 2 ** e, lambda: 0, batch }, peaked(e - Math.log2(batch), -10, 0.97)));
    for (const e of [-8, -6, -4]) points.push(point({ lr: 2 ** -9, lambda: 2 ** e, batch }, peaked(e - Math.log2(batch), -10, 0.975)));
  }
  return {
    sweepId: 'fig3-digits',
    name: 'fig3-digits',
    axes: [
      { name: 'lr', values: [-9, -8, -7, -6, -5, -4].map((e) => 2 ** e) },
      { name: 'lambda', values: [0, 2 ** -8, 2 ** -6, 2 ** -4] },
      { name: 'batch', values: BATCHES },
    ],
    scoring: SCORING,
    base: { ...BASE, batch: undefined },
    points,
  };
}

export const STEP_COUNTS = [1, 2, 4];

/** Fig. 4/7: n × α at epoch budgets 8, 16, 32 and at 2000 updates; large n diverges at large α. */
export function nStepSweep(): SweepSummary {
  const points: PointSummary[] = [];
  for (const nStep of STEP_COUNTS) {
    for (const e of [-8, -7, -6, -5, -4, -3]) {
      const stable = e + Math.log2(nStep) <= -3;
      for (const epochs of [8, 16, 32]) points.push(point({ lr: 2 ** e, nStep, epochs }, stable ? peaked(e, -4, 0.96 + 0.001 * Math.log2(epochs)) : null));
      points.push(point({ lr: 2 ** e, nStep, updates: 2000 }, stable ? peaked(e, -4, 0.955) : null));
    }
  }
  return {
    sweepId: 'fig4-digits',
    name: 'fig4-digits',
    axes: [
      { name: 'nStep', values: STEP_COUNTS },
      { name: 'lr', values: [-8, -7, -6, -5, -4, -3].map((e) => 2 ** e) },
    ],
    scoring: SCORING,
    base: { ...BASE, epochs: undefined },
    points,
  };
}

/** A rising best-test-accuracy history for any run id; the regularized runs (higher ids) end higher. */
export function syntheticHistory(runId: number): HistoryRow[] {
  const top = runId > 56 ? 0.98 : 0.965;
  return Array.from({ length: 20 }, (_, i) => {
    const epoch = (i + 1) * 2.5;
    const acc = top * (1 - Math.exp(-epoch / 8)) + 0.001 * (runId % 3);
    return { step: (i + 1) * 100, epoch, test_acc: acc, best_test_acc: acc };
  });
}
