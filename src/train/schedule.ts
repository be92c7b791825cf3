// Learning-rate schedules. 'paper' is Sec. 4's: hold ε for the first half of training, then halve it
// at the start of each remaining tenth (ε/2, ε/4, ε/8, ε/16, ε/32).

import type { Schedule } from './config.ts';

export function learningRateAt(schedule: Schedule, base: number, step: number, totalSteps: number): number {
  if (schedule === 'constant' || totalSteps <= 0) return base;
  const tenth = Math.floor((10 * step) / totalSteps);
  return base * 2 ** -Math.max(0, tenth - 4);
}
