// bench:profile — where one compiled training step spends its time, from ONNX Runtime's per-node
// profiler: median kernel time per node over R calls (the first, warm-up call is dropped), summed by
// operator type and listed by node with the shapes it saw.
//
//   npm run bench:profile -- --model wrn-16-4 --batch 32 --kind plain [--calls 3] [--top 20]

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileLoop, spec, HostTensor } from '../src/graph/index.ts';
import { buildModel } from '../src/nn/index.ts';
import { paramSpecs, trainingStep, type StepKind } from '../src/train/index.ts';
import { Rng } from '../src/util/random.ts';
import { BENCH_MODELS, median, table, type BenchModel } from './lib.ts';

const KINDS: readonly StepKind[] = ['plain', 'modified-exact', 'modified-fd'];

function options(argv: readonly string[]) {
  const o = { model: 'wrn-16-4' as BenchModel['name'], batch: 32, kind: 'plain' as StepKind, calls: 3, top: 20, threads: 2 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) throw new Error(`${flag}: missing value`);
    if (flag === '--model') {
      if (!(value in BENCH_MODELS)) throw new Error(`--model: '${value}' is not one of ${Object.keys(BENCH_MODELS).join(', ')}`);
      o.model = value as BenchModel['name'];
    } else if (flag === '--kind') {
      if (!KINDS.includes(value as StepKind)) throw new Error(`--kind: '${value}' is not one of ${KINDS.join(', ')}`);
      o.kind = value as StepKind;
    } else if (flag === '--batch' || flag === '--calls' || flag === '--top' || flag === '--threads') {
      const v = Number(value);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${flag}: expected a positive integer, got '${value}'`);
      o[flag.slice(2) as 'batch' | 'calls' | 'top' | 'threads'] = v;
    } else {
      throw new Error(`unknown option '${flag}' (known: --model, --batch, --kind, --calls, --top, --threads)`);
    }
  }
  return o;
}

interface NodeEvent { cat?: string; name?: string; dur?: number; args?: { op_name?: string; input_type_shape?: Record<string, number[]>[]; output_type_shape?: Record<string, number[]>[] } }

const o = options(process.argv.slice(2));
const bm = BENCH_MODELS[o.model];
const model = buildModel(bm.spec, bm.inputShape, 10);
const rng = new Rng(7);
const params = model.init(rng.fork('init'), 'float32');
const dir = mkdtempSync(join(tmpdir(), 'sgdlab-profile-'));
try {
  const program = await compileLoop(
    trainingStep(model, { kind: o.kind, nStep: 1, weightDecay: 0, dtype: 'float32' }),
    { carry: paramSpecs(params), perStep: { x: spec([o.batch, ...bm.inputShape]), y: spec([o.batch], 'int32'), lr: spec([]) }, shared: { lambda: spec([]) } },
    1,
    { name: `${o.kind}-profile`, threads: o.threads, profilePrefix: join(dir, 'p') },
  );
  const size = bm.inputShape.reduce((a, b) => a * b, 1);
  const inputs = {
    carry: params,
    perStep: {
      x: new HostTensor(new Float32Array(o.batch * size).map(() => rng.normal()), [1, o.batch, ...bm.inputShape]),
      y: new HostTensor(new Int32Array(o.batch).map((_, i) => i % 10), [1, o.batch]),
      lr: new HostTensor(Float32Array.of(2 ** -8), [1]),
    },
    shared: { lambda: new HostTensor(Float32Array.of(2 ** -6), []) },
  };
  const wall: number[] = [];
  for (let i = 0; i <= o.calls; i++) {
    const t0 = performance.now();
    await program.run(inputs);
    if (i > 0) wall.push(performance.now() - t0);
  }
  program.endProfiling();
  await program.release();
  const file = readdirSync(dir).find((f) => f.endsWith('.json'))!;
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as NodeEvent[];
  // Every node runs once per call; drop each node's first (warm-up) occurrence.
  const byNode = new Map<string, { op: string; shapes: string; durs: number[] }>();
  const modelRuns = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur! / 1000).slice(1);
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name || e.args.op_name === 'Loop') continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    const shapes = (e.args.input_type_shape ?? []).map((s) => JSON.stringify(Object.values(s)[0])).join(' ');
    const entry = byNode.get(name) ?? { op: e.args.op_name, shapes, durs: [] };
    entry.durs.push(e.dur! / 1000);
    byNode.set(name, entry);
  }
  const nodes = [...byNode].map(([name, n]) => ({ name, op: n.op, shapes: n.shapes, ms: median(n.durs.slice(1)) })).filter((n) => Number.isFinite(n.ms));
  const total = nodes.reduce((s, n) => s + n.ms, 0);
  const byOp = new Map<string, { ms: number; count: number }>();
  for (const n of nodes) {
    const e = byOp.get(n.op) ?? { ms: 0, count: 0 };
    byOp.set(n.op, { ms: e.ms + n.ms, count: e.count + 1 });
  }
  console.log(`${o.model} batch ${o.batch} ${o.kind}: ${median(wall).toFixed(1)} ms/call wall (median of ${o.calls}), ${total.toFixed(1)} ms summed node time, ${median(modelRuns).toFixed(1)} ms in ONNX Runtime's Run (the rest is the Node binding)\n`);
  console.log(table(['operator', 'nodes', 'ms', 'share'], [...byOp].sort((a, b) => b[1].ms - a[1].ms).map(([op, e]) => [op, e.count, e.ms.toFixed(2), `${((100 * e.ms) / total).toFixed(1)}%`])));
  console.log('');
  console.log(table(['node', 'operator', 'ms', 'input shapes'], nodes.sort((a, b) => b.ms - a.ms).slice(0, o.top).map((n) => [n.name, n.op, n.ms.toFixed(2), n.shapes])));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
