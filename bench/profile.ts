// bench:profile — where one compiled training step spends its time (see profile-step.ts).
//
//   npm run bench:profile -- --model wrn-16-4 --batch 32 --kind plain [--steps K] [--calls 3] [--top 20] [--threads 2]
// --steps: steps per call, compiled as the training loop compiles them; times are per step.

import type { StepKind } from '../src/train/index.ts';
import { BENCH_MODELS, table, type BenchModel } from './lib.ts';
import { profileStep } from './profile-step.ts';

const KINDS: readonly StepKind[] = ['plain', 'modified-exact', 'modified-fd'];

function options(argv: readonly string[]) {
  const o = { model: 'wrn-16-4' as BenchModel['name'], batch: 32, kind: 'plain' as StepKind, calls: 3, top: 20, threads: 2, steps: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) throw new Error(`${flag}: missing value`);
    if (flag === '--model') {
      if (!(value in BENCH_MODELS)) throw new Error(`--model: '${value}' is not one of ${Object.keys(BENCH_MODELS).join(', ')}`);
      o.model = value as BenchModel['name'];
    } else if (flag === '--kind') {
      if (!KINDS.includes(value as StepKind)) throw new Error(`--kind: '${value}' is not one of ${KINDS.join(', ')}`);
      o.kind = value as StepKind;
    } else if (flag === '--batch' || flag === '--calls' || flag === '--top' || flag === '--threads' || flag === '--steps') {
      const v = Number(value);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${flag}: expected a positive integer, got '${value}'`);
      o[flag.slice(2) as 'batch' | 'calls' | 'top' | 'threads' | 'steps'] = v;
    } else {
      throw new Error(`unknown option '${flag}' (known: --model, --batch, --kind, --calls, --top, --threads, --steps)`);
    }
  }
  return o;
}

const o = options(process.argv.slice(2));
const p = await profileStep(o);
console.log(`${p.model} batch ${p.batch} ${p.kind}, ${o.steps} step(s) per call: ${p.wallMs.toFixed(2)} ms/step wall (median of ${o.calls} calls), ${p.runMs.toFixed(2)} ms in ONNX Runtime's Run, ${p.nodeMs.toFixed(2)} ms summed node time (the profiler itself slows the nodes)\n`);
console.log(table(['operator', 'nodes', 'ms', 'share'], p.byOp.map((e) => [e.op, e.nodes, e.ms.toFixed(2), `${(100 * e.share).toFixed(1)}%`])));
console.log('');
console.log(table(['node', 'operator', 'ms', 'input shapes'], p.nodes.slice(0, o.top).map((n) => [n.name, n.op, n.ms.toFixed(2), n.shapes])));
