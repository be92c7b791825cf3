// Synthetic experiments with a known answer, for the analysis tests: curves of x/g^c (or x·n^c) around a peak,
// seeded runs with Gaussian noise, and grids shaped like the reproduction's (3 curves of 7 rates, 3 runs best 2).

import type { Experiment, ExperimentPoint } from '../../src/analysis/index.ts';
import { Rng } from '../../src/util/random.ts';

export interface CurveGrid {
  /** The grouping axis and its values (e.g. batch: 16, 32, 64). */
  by: string;
  groups: number[];
  /** log₂ of the rates along x. */
  logx: number[];
  /** log₂ of the grouping value as it enters u = log₂x + sign·c·log₂g. */
  logg: (g: number) => number;
  sign: 1 | -1;
}

export const BATCH_GRID: CurveGrid = { by: 'batch', groups: [16, 32, 64], logx: [-13, -12, -11, -10, -9, -8, -7], logg: Math.log2, sign: -1 };

/** Coordinates built once per grid, as sweeps do: replicates and permutations share them (and the collapse geometry). */
export function gridCoords(grid: CurveGrid): Record<string, number>[] {
  return grid.groups.flatMap((g) => grid.logx.map((lx) => ({ lr: 2 ** lx, [grid.by]: g })));
}

/**
 * Runs of a peaked curve f(u) = top − curvature·(u − centre)² on u = log₂x + sign·c·log₂g, the centre placed
 * mid-grid for the middle group so that every curve's peak is inside its range.
 */
export function curveExperiment(grid: CurveGrid, coords: Record<string, number>[], c: number, seed: number, options: { runs?: number; bestOf?: number; sigma?: number; curvature?: number } = {}): Experiment {
  const { runs = 3, bestOf = 2, sigma = 0.002, curvature = 0.004 } = options;
  const rng = new Rng(seed);
  const mid = grid.groups[Math.floor(grid.groups.length / 2)]!;
  const centre = (grid.logx[0]! + grid.logx[grid.logx.length - 1]!) / 2 + grid.sign * c * grid.logg(mid);
  const points: ExperimentPoint[] = coords.map((coords) => {
    const u = Math.log2(coords.lr!) + grid.sign * c * grid.logg(coords[grid.by]!);
    const f = 0.87 - curvature * (u - centre) ** 2;
    return { coords, runs: Array.from({ length: runs }, () => {
      const v = f + sigma * rng.normal();
      return { best: v, final: v - 0.001, diverged: false };
    }) };
  });
  return { points, bestOf, failureScore: 0.1 };
}
