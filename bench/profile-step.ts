// Where one compiled training step spends its time, from ONNX Runtime's per-node profiler: the
// median kernel time of every node over R calls (the first, warm-up call is dropped), also summed by
// operator type. Used by bench:profile and by npm run bench's diagnostics.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostTensor } from '../src/graph/index.ts';
import { buildModel } from '../src/nn/index.ts';
import { compileTrainingSteps, paramSpecs, type StepKind } from '../src/train/index.ts';
import { Rng } from '../src/util/random.ts';
import { BENCH_MODELS, median, type BenchModel } from './lib.ts';

interface NodeEvent { cat?: string; name?: string; dur?: number; args?: { op_name?: string; input_type_shape?: Record<string, number[]>[] } }

export interface StepProfile {
  model: BenchModel['name'];
  batch: number;
  kind: StepKind;
  /** Per step (a call runs `steps`): median wall time, the time ORT's Run reported, and the nodes' summed kernel time. */
  wallMs: number;
  runMs: number;
  nodeMs: number;
  byOp: { op: string; nodes: number; ms: number; share: number }[];
  nodes: { name: string; op: string; ms: number; shapes: string }[];
}

export async function profileStep(o: { model: BenchModel['name']; batch: number; kind: StepKind; calls: number; threads: number; steps?: number }): Promise<StepProfile> {
  const K = o.steps ?? 1;
  const bm = BENCH_MODELS[o.model];
  const model = buildModel(bm.spec, bm.inputShape, 10);
  const rng = new Rng(7);
  const params = model.init(rng.fork('init'), 'float32');
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-profile-'));
  try {
    const program = await compileTrainingSteps(
      model, paramSpecs(params), { kind: o.kind, dtype: 'float32', batch: o.batch, steps: K },
      { name: `${o.kind}-profile`, threads: o.threads, profilePrefix: join(dir, 'p') },
    );
    const size = bm.inputShape.reduce((a, b) => a * b, 1);
    const inputs = {
      carry: params,
      perStep: {
        x: new HostTensor(new Float32Array(K * o.batch * size).map(() => rng.normal()), [K, o.batch, ...bm.inputShape]),
        y: new HostTensor(new Int32Array(K * o.batch).map((_, i) => i % 10), [K, o.batch]),
        lr: new HostTensor(new Float32Array(K).fill(2 ** -8), [K]),
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
    const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur! / 1000).slice(1);
    // Drop each node's first (warm-up) occurrence. The Loop nodes would count their bodies twice.
    const byNode = new Map<string, { op: string; shapes: string; durs: number[] }>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name || e.args.op_name === 'Loop') continue;
      const name = e.name.slice(0, -'_kernel_time'.length);
      const shapes = (e.args.input_type_shape ?? []).map((s) => JSON.stringify(Object.values(s)[0])).join(' ');
      const entry = byNode.get(name) ?? { op: e.args.op_name, shapes, durs: [] };
      entry.durs.push(e.dur! / 1000);
      byNode.set(name, entry);
    }
    // ms per step: a node's median time × how often it runs per call (K for the step's nodes, once
    // per window for a deferred weight's write) ÷ K.
    const nodes = [...byNode]
      .map(([name, n]) => ({ name, op: n.op, shapes: n.shapes, ms: (median(n.durs.slice(1)) * n.durs.length) / (o.calls + 1) / K }))
      .filter((n) => Number.isFinite(n.ms));
    const nodeMs = nodes.reduce((s, n) => s + n.ms, 0);
    const ops = new Map<string, { ms: number; nodes: number }>();
    for (const n of nodes) {
      const e = ops.get(n.op) ?? { ms: 0, nodes: 0 };
      ops.set(n.op, { ms: e.ms + n.ms, nodes: e.nodes + 1 });
    }
    return {
      model: o.model, batch: o.batch, kind: o.kind, wallMs: median(wall) / K, runMs: median(runs) / K, nodeMs,
      byOp: [...ops].map(([op, e]) => ({ op, nodes: e.nodes, ms: e.ms, share: e.ms / nodeMs })).sort((a, b) => b.ms - a.ms),
      nodes: nodes.sort((a, b) => b.ms - a.ms),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
