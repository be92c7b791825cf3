// The paper's headline comparison at laptop scale (Sec. 2.3, Fig. 1): a small learning rate, the
// same small rate plus the explicit regularizer, and a large learning rate, several seeds each.

import type { RunStore } from '../store/index.ts';
import { resolveConfig, type TrainConfig } from './config.ts';
import { train } from './loop.ts';

export interface DemoSetting {
  label: string;
  overrides: Partial<TrainConfig>;
}

export interface DemoRow {
  label: string;
  config: TrainConfig;
  runIds: number[];
  bestTestAcc: { mean: number; std: number; values: number[] };
  finalTrainAcc: number;
  finalCReg: number;
  seconds: number;
}

/** Chosen on digits so that every run reaches 100% train accuracy: what differs is generalisation. */
export const DEMO_BASE: Partial<TrainConfig> = { data: 'digits', model: 'mlp:256x2', batch: 16, epochs: 200, evalEvery: 5 };
export const DEMO_SETTINGS: DemoSetting[] = [
  { label: 'small ε = 2^-8', overrides: { lr: 2 ** -8 } },
  { label: 'small ε = 2^-8 + regularizer λ = 1', overrides: { lr: 2 ** -8, lambda: 1 } },
  { label: 'large ε = 2^-3', overrides: { lr: 2 ** -3 } },
];

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

export async function runDemo(options: { seeds: number; epochs?: number; store?: RunStore; onRun?: (label: string, seed: number) => void }): Promise<DemoRow[]> {
  const rows: DemoRow[] = [];
  for (const setting of DEMO_SETTINGS) {
    const config = resolveConfig({ ...DEMO_BASE, ...(options.epochs ? { epochs: options.epochs } : {}), ...setting.overrides }, 'demo');
    const started = performance.now();
    const best: number[] = [];
    const train_acc: number[] = [];
    const cReg: number[] = [];
    const runIds: number[] = [];
    for (let seed = 0; seed < options.seeds; seed++) {
      options.onRun?.(setting.label, seed);
      const r = await train({ ...config, seed }, options.store ? { store: options.store } : {});
      if (r.runId !== undefined) runIds.push(r.runId);
      best.push(r.final.best_test_acc ?? NaN);
      train_acc.push(r.final.train_acc ?? NaN);
      cReg.push(r.final.c_reg ?? NaN);
    }
    rows.push({
      label: setting.label,
      config,
      runIds,
      bestTestAcc: { mean: mean(best), std: std(best), values: best },
      finalTrainAcc: mean(train_acc),
      finalCReg: mean(cReg),
      seconds: (performance.now() - started) / 1000,
    });
  }
  return rows;
}
