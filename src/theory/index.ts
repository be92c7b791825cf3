// Entry of the theory checks: build each model's graphs once, run the requested checks on them, and
// format the results as tables with verdicts (the `sgdlab verify` command prints these).

import {
  CHECK_NAMES, DEFAULT_CHECK_SETTINGS, checkAppendixA, checkBreakdown, checkGradientDescent, checkNStep, checkReversal, checkSgdEpoch,
  type CheckName, type CheckResult, type CheckSettings, type Row,
} from './checks.ts';
import { MODEL_NAMES, createModel, type ModelName } from './models.ts';
import { checkMomentumGradientDescent, checkMomentumSgdEpoch } from './momentum-checks.ts';
import { adaptiveCases, checkAdaptive } from './adam-checks.ts';
import { ModelPrograms, type Batching } from './programs.ts';

export { CHECK_NAMES, isCheckName, type CheckName, type CheckResult, type CheckSettings } from './checks.ts';
export { MODEL_NAMES, isModelName, type ModelName } from './models.ts';
export { adamOneNormCoefficient, adaptiveFlowWeights, memoryLag, type AdaptiveFlowWeights } from './adam.ts';
export {
  MOMENTUM_KINDS, momentumModifiedLoss, momentumRegularizerCoefficient, velocityEcho, withinEpochCorrelation, type MomentumKind, type MomentumModifiedLoss,
} from './momentum.ts';

export interface VerifyOptions {
  checks?: readonly CheckName[];
  models?: readonly ModelName[];
  /** m batches of B examples; N = mB. m! orders are enumerated exactly, so keep m ≤ 6. */
  batching?: Batching;
  settings?: Partial<CheckSettings>;
  seed?: number;
  /** Called as each result is ready (for streaming output). */
  onResult?: (result: CheckResult) => void;
}

export const DEFAULT_BATCHING: Batching = { batchCount: 5, batchSize: 2 };

export async function runVerify(options: VerifyOptions = {}): Promise<CheckResult[]> {
  const checks = options.checks?.length ? options.checks : CHECK_NAMES;
  const models = options.models?.length ? options.models : MODEL_NAMES;
  const batching = options.batching ?? DEFAULT_BATCHING;
  if (batching.batchCount < 2 || batching.batchCount > 7) throw new RangeError(`verify: m = ${batching.batchCount} batches (need 2..7: all m! orders are enumerated)`);
  const settings = { ...DEFAULT_CHECK_SETTINGS, ...options.settings };
  const nesterovBetas = settings.momentumBetas.filter((beta) => beta > 0);
  const results: CheckResult[] = [];
  const emit = (r: CheckResult) => {
    results.push(r);
    options.onResult?.(r);
  };
  for (const name of models) {
    const model = createModel(name, { examples: batching.batchCount * batching.batchSize, seed: options.seed });
    const programs = await ModelPrograms.build(model, batching);
    try {
      for (const check of checks) {
        switch (check) {
          case 'gd': emit(await checkGradientDescent(programs, settings)); break;
          case 'sgd-epoch': emit(await checkSgdEpoch(programs, settings)); break;
          case 'reversal': emit(await checkReversal(programs, settings)); break;
          case 'n-step': for (const n of settings.stepCounts) emit(await checkNStep(programs, settings, n)); break;
          case 'appendix-a': emit(await checkAppendixA(programs)); break;
          case 'breakdown': emit(await checkBreakdown(programs, settings)); break;
          case 'gd-momentum': for (const beta of settings.momentumBetas) emit(await checkMomentumGradientDescent(programs, settings, beta)); break;
          case 'sgd-epoch-momentum': for (const beta of settings.momentumBetas) emit(await checkMomentumSgdEpoch(programs, settings, beta)); break;
          case 'gd-nesterov-momentum': for (const beta of nesterovBetas) emit(await checkMomentumGradientDescent(programs, settings, beta, 'nesterov')); break;
          case 'sgd-epoch-nesterov-momentum': for (const beta of nesterovBetas) emit(await checkMomentumSgdEpoch(programs, settings, beta, { kind: 'nesterov' })); break;
          case 'adam': case 'rmsprop': for (const testCase of adaptiveCases(check, settings)) emit(await checkAdaptive(programs, settings, testCase)); break;
        }
      }
    } finally {
      await programs.release();
    }
  }
  return results;
}

const formatNumber = (key: string, x: number): string => {
  if (Number.isNaN(x)) return '–';
  if (key === 'batchSize' || key === 'subsets' || key === 'resolved') return String(x);
  if (key === 'localSlope') return x.toFixed(2);
  return x.toExponential(3);
};

/** A fixed-width table of rows whose keys are the columns. */
export function formatTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const cells = [keys, ...rows.map((r) => keys.map((k) => formatNumber(k, r[k]!)))];
  const widths = keys.map((_, j) => Math.max(...cells.map((line) => line[j]!.length)));
  return cells.map((line) => '  ' + line.map((c, j) => c.padStart(widths[j]!)).join('  ')).join('\n');
}

/** A check's name and its parameters: `n-step (n=2)`, `gd-momentum (β=0.5)`, `adam (β₁=0.9, β₂=0.999, ε̂ small)`. */
export function checkLabel(r: CheckResult): string {
  const parameters = [
    r.n !== undefined ? `n=${r.n}` : '',
    r.beta !== undefined ? `β=${r.beta}` : '',
    r.beta1 !== undefined && r.name !== 'rmsprop' ? `β₁=${r.beta1}` : '',
    r.beta2 !== undefined ? (r.name === 'rmsprop' ? `α=${r.beta2}` : `β₂=${r.beta2}`) : '',
    r.epsRegime !== undefined ? `ε̂ ${r.epsRegime}` : '',
  ].filter((p) => p !== '');
  return parameters.length ? `${r.name} (${parameters.join(', ')})` : r.name;
}

/** A check's title, table(s) and verdict, as printed by `sgdlab verify`. */
export function formatResult(r: CheckResult): string {
  const title = `${checkLabel(r)} · ${r.model}`;
  const parts = [title, formatTable(r.points)];
  if (r.forms) parts.push(formatTable(r.forms));
  parts.push(`  ${r.pass ? 'PASS' : 'FAIL'}  ${r.verdict}`);
  return parts.join('\n');
}

/** The `--json` document: NaN (an undefined local slope) becomes null, as JSON has no NaN. */
export function resultsToJson(results: readonly CheckResult[]): string {
  return JSON.stringify({ checks: results, pass: results.every((r) => r.pass) }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}
