// Calibration of a verdict rule: run it on the experiment with its runs shuffled across the points, many times
// with a fixed seed, and count how often shuffled data gets a verdict that supports the claim (its false rate).
// A rule that supports the claim on shuffled data says nothing; no supporting verdict may rest on one that
// does so more than MAX_FALSE_RATE of the time.

import { PERMUTATION_SEED, Rng, permuteRuns, type Experiment } from './experiment.ts';

/** The most a rule may support the claim on shuffled data for a supporting verdict to stand. */
export const MAX_FALSE_RATE = 0.1;
/** Permutations per rule: enough that a 10% false rate is told from 5% or 15% (±2 standard errors ≈ ±4%). */
export const PERMUTATIONS = 200;

/** How often `supports` holds on the experiment with its points' runs shuffled (fixed seed). */
export function falseRate(e: Experiment, supports: (shuffled: Experiment) => boolean, options: { permutations?: number; seed?: number; shuffle?: (e: Experiment, rng: Rng) => Experiment } = {}): number {
  const permutations = options.permutations ?? PERMUTATIONS;
  const rng = new Rng(options.seed ?? PERMUTATION_SEED);
  const shuffle = options.shuffle ?? permuteRuns;
  let hits = 0;
  for (let i = 0; i < permutations; i++) if (supports(shuffle(e, rng))) hits++;
  return hits / permutations;
}

/** The verdict that may be printed: a supporting verdict from a rule that passes on shuffled data too often becomes inconclusive. */
export function calibratedVerdict(verdict: string, supports: boolean, rate: number): { verdict: string; supports: boolean } {
  if (!supports || rate <= MAX_FALSE_RATE) return { verdict, supports };
  return { verdict: `inconclusive: the rule would say "${verdict}" on shuffled scores ${(100 * rate).toFixed(0)}% of the time`, supports: false };
}
