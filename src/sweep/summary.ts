// The aggregated result of a sweep: per grid point, the scored runs' statistics. This is the
// contract between `sgdlab sweep show` (which computes it) and `sgdlab report` (which plots it).

/** One grid point's coordinates: every swept axis except the seed, e.g. {lr: 2^-5, lambda: 0, batch: 16}. */
export type GridPoint = Record<string, number | string>;

export interface MetricSummary {
  mean: number;
  std: number;
}

export interface PointSummary {
  point: GridPoint;
  /** The learning rate ε actually used (bare rate × n for n-step SGD). */
  effectiveLr: number;
  /** Trials at this point (seeds), and how they ended. */
  runs: number;
  finished: number;
  diverged: number;
  failed: number;
  /** How many runs the score averages over (e.g. the best 5 of 7). */
  scored: number;
  /** The score: mean and std of the scoring metric (default best test accuracy) over the scored runs; null if none. */
  score: MetricSummary | null;
  /** Mean/std over the scored runs of their final (and best) metrics: train_acc, train_loss, test_acc, c_reg, best_test_acc, … */
  metrics: Record<string, MetricSummary>;
  /** Run ids in the store, scored runs first. */
  runIds: number[];
  scoredRunIds: number[];
}

export interface SweepSummary {
  sweepId: string;
  name: string;
  /** The axes that vary across points, in spec order, with their values. */
  axes: { name: string; values: (number | string)[] }[];
  /** The scoring rule, e.g. {metric: 'best_test_acc', best: 5, of: 7}. */
  scoring: { metric: string; best: number; of: number };
  /** The base training config shared by all trials. */
  base: Record<string, unknown>;
  points: PointSummary[];
}

/** `summarizeSweep(store, sweepId): SweepSummary` computes this contract from the run store. */
