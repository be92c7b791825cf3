// compile(fn, specs): trace fn on placeholders, lower to one ONNX model, open one ORT session and
// run it on host tensors. compileLoop builds K applications of a step in one call (ONNX Loop).

import { writeFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { deferUpdates, type DeferOptions, type DeferredWeight } from './defer.ts';
import { reassociateLowRank } from './lowrank.ts';
import { GraphLowering, ModelBuilder, valueInfo, type GraphProto } from './lower.ts';
import { flatten, type Tree } from './pytree.ts';
import { placeholder, type HostArray, type Tensor } from './tensor.ts';
import { topologicalOrder } from './autodiff.ts';
import { nchwcBlockSize } from './prims/nchwc.ts';
import { GraphError, fmtShape, sameShape, sizeOf, type Aval, type DType, type Shape } from './types.ts';

/** The signature of one input: a leaf of a spec tree. */
export class TensorSpec {
  constructor(readonly shape: Shape, readonly dtype: DType = 'float32') {}
  toString(): string {
    return `${this.dtype}${fmtShape(this.shape)}`;
  }
}
export const spec = (shape: Shape, dtype: DType = 'float32'): TensorSpec => new TensorSpec([...shape], dtype);

/** A tensor in host memory: row-major data and its shape. */
export class HostTensor {
  constructor(readonly data: HostArray, readonly shape: Shape) {
    if (data.length !== sizeOf(shape)) throw new GraphError(`HostTensor: ${data.length} values for shape ${fmtShape(shape)}`);
  }
  get dtype(): DType {
    return dtypeOfArray(this.data);
  }
  /** The single value of a scalar (or the first value). */
  item(): number {
    return Number(this.data[0]);
  }
}

export function dtypeOfArray(data: HostArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  return 'bool';
}

export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

export interface CompileOptions {
  /** ORT intra-op threads; default: ORT's own choice (all cores). */
  threads?: number;
  /**
   * Default 'auto': 'all' for float32 programs; 'basic' when float64 is involved, because the
   * extended fusions fold scalar factors into MatMul as float32 (≈ 2e-8 relative drift).
   */
  optimization?: GraphOptimization | 'auto';
  /** Shown in errors and stored in the model's doc string. */
  name?: string;
  /** sgdlab's own fusions (src/graph/fusion.ts) before ONNX Runtime's; default true. */
  fuse?: boolean;
  /**
   * compileLoop only: carry small-batch weight updates as low-rank factors and write the weights
   * once per window of steps (src/graph/defer.ts). Same arithmetic up to rounding, not
   * bit-identical to the eager loop; default false.
   */
  deferUpdates?: boolean | DeferOptions;
  /**
   * Re-associate matmuls through low-rank operands (src/graph/lowrank.ts): double backprop's
   * x·(c·xᵀ·δ) becomes (x·xᵀ)·(c·δ). Same arithmetic up to rounding; default true.
   */
  reassociate?: boolean;
  /**
   * Run float32 convolutions on ONNX Runtime's blocked-layout (NCHWc) kernels where the channel
   * counts fit (src/graph/prims/nchwc.ts); default true.
   */
  nchwc?: boolean;
  /** Write ONNX Runtime's per-node profile (Chrome trace JSON) with this file prefix; see endProfiling(). */
  profilePrefix?: string;
}

/** Host-tensor trees in and out of a compiled program. */
export type HostTree = Tree<HostTensor>;

export class CompiledFunction {
  private constructor(
    readonly name: string,
    readonly model: Uint8Array,
    private readonly session: ort.InferenceSession,
    private readonly inputNames: string[],
    private readonly inputSpecs: TensorSpec[],
    private readonly inputStructure: string,
    private readonly outputNames: string[],
    private readonly rebuildOutputs: (leaves: HostTensor[]) => HostTree,
  ) {}

  static async create(
    name: string,
    model: Uint8Array,
    inputs: { names: string[]; specs: TensorSpec[]; structure: string },
    outputs: { names: string[]; rebuild: (leaves: HostTensor[]) => HostTree },
    options: CompileOptions,
    usesFloat64: boolean,
  ): Promise<CompiledFunction> {
    const level = options.optimization ?? 'auto';
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: level === 'auto' ? (usesFloat64 ? 'basic' : 'all') : level,
      executionMode: 'sequential',
      interOpNumThreads: 1,
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
      ...(options.profilePrefix ? { enableProfiling: true, profileFilePrefix: options.profilePrefix } : {}),
    };
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model, sessionOptions);
    } catch (e) {
      throw new GraphError(`compile ${name}: onnxruntime rejected the graph: ${firstLine(e)}`);
    }
    return new CompiledFunction(name, model, session, inputs.names, inputs.specs, inputs.structure, outputs.names, outputs.rebuild);
  }

  /** Run on host tensors with the structure, shapes and dtypes of the compiled specs. */
  async run(inputs: HostTree): Promise<HostTree> {
    const flat = flatten<HostTensor>(inputs);
    if (flat.structure !== this.inputStructure) {
      throw new GraphError(`${this.name}: inputs have another structure than compiled (got ${flat.paths.join(', ')}; expected ${this.inputNames.join(', ')})`);
    }
    const feeds: Record<string, ort.Tensor> = {};
    flat.leaves.forEach((t, i) => {
      const want = this.inputSpecs[i]!;
      const path = this.inputNames[i]!;
      if (!(t instanceof HostTensor)) throw new GraphError(`${this.name}: input '${path}' is not a HostTensor`);
      if (t.dtype !== want.dtype || !sameShape(t.shape, want.shape)) {
        throw new GraphError(`${this.name}: input '${path}' expected ${want}, got ${t.dtype}${fmtShape(t.shape)}`);
      }
      feeds[path] = new ort.Tensor(t.dtype, t.data as never, [...t.shape]);
    });
    const result = await this.session.run(feeds);
    return this.rebuildOutputs(
      this.outputNames.map((n) => {
        const r = result[n]!;
        return new HostTensor(r.data as HostArray, r.dims);
      }),
    );
  }

  /** Write the ONNX model; stock onnxruntime and Netron open it. */
  async save(path: string): Promise<void> {
    await writeFile(path, this.model);
  }

  /** Stop profiling (CompileOptions.profilePrefix) and flush the trace file. */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]!;
}

function placeholders<S>(specs: S, prefix: string): { tree: unknown; leaves: Tensor[]; names: string[]; specs: TensorSpec[]; structure: string } {
  const flat = flatten<TensorSpec>(specs as Tree<TensorSpec>);
  flat.leaves.forEach((s, i) => {
    if (!(s instanceof TensorSpec)) throw new GraphError(`compile: spec '${flat.paths[i]}' is not a TensorSpec (use spec(shape, dtype))`);
  });
  const names = flat.paths.map((p) => (prefix ? (p ? `${prefix}.${p}` : prefix) : p || 'input'));
  const leaves = flat.leaves.map((s, i) => placeholder(names[i]!, s.shape, s.dtype));
  return { tree: flat.unflatten(leaves), leaves, names, specs: flat.leaves, structure: flat.structure };
}

function outputLeaves(out: unknown, what: string): ReturnType<typeof flatten<Tensor>> {
  const flat = flatten<Tensor>(out as Tree<Tensor>);
  if (flat.leaves.length === 0) throw new GraphError(`${what}: the function returned no tensors`);
  return flat;
}

const usesFloat64 = (outputs: readonly Tensor[]): boolean => topologicalOrder(outputs).some((t) => t.dtype === 'float64');

/**
 * Graph outputs get their own Identity nodes (an output may be an input, or appear twice), named
 * after their paths in the output tree so that exported models read well ("logits", "out.loss").
 */
function nameOutputs(g: GraphLowering, names: string[], leaves: readonly Aval[], paths: readonly string[], taken: readonly string[]) {
  const used = new Set(taken);
  return names.map((n, i) => {
    let wanted = paths[i] || 'output';
    while (used.has(wanted)) wanted = `${wanted}_out`;
    used.add(wanted);
    g.nodes.push({ opType: 'Identity', input: [n], output: [wanted], name: g.model.fresh('output_') });
    return { name: wanted, info: valueInfo(wanted, leaves[i]!.dtype, leaves[i]!.shape), path: paths[i]! };
  });
}

const nchwcBlock = (options: CompileOptions): Promise<number | null> =>
  options.nchwc === false ? Promise.resolve(null) : nchwcBlockSize();

/** Trace `fn` on placeholders with the given specs and compile it to one ONNX Runtime session. */
export async function compile<S, O>(fn: (inputs: S) => O, specs: unknown, options: CompileOptions = {}): Promise<CompiledFunction> {
  const name = options.name ?? (fn.name || 'function');
  const ins = placeholders(specs, '');
  const out = outputLeaves(fn(ins.tree as S), `compile ${name}`);
  const model = new ModelBuilder(await nchwcBlock(options));
  const g = new GraphLowering(model, options.fuse ?? true);
  const bound = new Map(ins.leaves.map((t, i) => [t.id, ins.names[i]!]));
  const outs = nameOutputs(g, g.lower(reassociated(out.leaves, options), bound), out.leaves, out.paths, ins.names);
  const graph: GraphProto = {
    name,
    node: g.nodes,
    input: ins.leaves.map((t, i) => valueInfo(ins.names[i]!, t.dtype, t.shape)),
    output: outs.map((o) => o.info),
  };
  return CompiledFunction.create(
    name,
    model.encode(graph, `sgdlab: ${name}`),
    { names: ins.names, specs: ins.specs, structure: ins.structure },
    { names: outs.map((o) => o.name), rebuild: (leaves) => out.unflatten(leaves) as HostTree },
    options,
    usesFloat64(out.leaves),
  );
}

/** The outputs as lowered: re-associated through low-rank operands unless the options say not. */
const reassociated = (outputs: Tensor[], options: CompileOptions): Tensor[] => (options.reassociate ?? true ? reassociateLowRank(outputs) : outputs);

/** Append to `host` an ONNX Loop of `trips` iterations over `body`, carrying `inits` (always-true condition). */
function pushLoop(host: GraphLowering, model: ModelBuilder, name: string, trips: number, inits: string[], outputs: string[], body: GraphProto): void {
  host.nodes.push({
    opType: 'Loop',
    name: model.fresh(name),
    input: [host.int64sScalar(trips), model.constant('bool', [], Uint8Array.of(1)), ...inits],
    output: outputs,
    attribute: [{ name: 'body', type: 5 /* GRAPH */, g: body }],
  });
}

type Placeholders = ReturnType<typeof placeholders>;

/** A traced loop body, ready to lower as many times as the loop needs it. */
interface StepsPlan {
  model: ModelBuilder;
  fuse: boolean;
  name: string;
  carry: Placeholders;
  perStep: Placeholders;
  shared: Placeholders;
  bodyNewCarry: Tensor[];
  bodyOuts: Tensor[];
  deferred: Map<number, DeferredWeight>;
}

/**
 * Emit into `host` one Loop of `n` steps, reading per-step inputs from row `base` + i of the stacked
 * inputs (base: an int64 scalar in scope, or null for 0) and starting from the parameters named
 * `params`. Deferred weights are carried as factors from zero and written once after the Loop.
 * Returns the parameters after it and the stacked per-step outputs [n, …].
 */
function emitSteps(plan: StepsPlan, host: GraphLowering, base: string | null, n: number, params: string[]): { params: string[]; stacked: string[] } {
  const { model, carry } = plan;
  const body = new GraphLowering(model, plan.fuse);
  const iter = model.fresh('iter');
  const condIn = model.fresh('cond_in');
  // What the Loop carries: each parameter, or a deferred weight's two factor matrices; W0 of a
  // deferred weight is read from the enclosing scope.
  const carried: { input: Tensor; init: string; next: Tensor }[] = [];
  const bound = new Map<number, string>();
  const zeros = (f: Tensor) => host.node('Expand', [host.scalar(0, f.dtype), host.int64s(f.shape)]);
  carry.leaves.forEach((t, i) => {
    const d = plan.deferred.get(i);
    if (!d) {
      carried.push({ input: t, init: params[i]!, next: plan.bodyNewCarry[i]! });
      return;
    }
    bound.set(d.w0.id, params[i]!);
    carried.push({ input: d.u, init: zeros(d.u), next: d.uNext }, { input: d.v, init: zeros(d.v), next: d.vNext });
  });
  const carriedNames = carried.map((c) => model.fresh(`${c.input.origin.kind === 'input' ? c.input.origin.name : 'carry'}_in_`));
  carried.forEach((c, i) => bound.set(c.input.id, carriedNames[i]!));
  plan.shared.leaves.forEach((t, i) => bound.set(t.id, plan.shared.names[i]!));
  const row = base ? body.node('Add', [base, iter]) : iter;
  plan.perStep.leaves.forEach((t, i) => bound.set(t.id, body.node('Gather', [plan.perStep.names[i]!, row], { axis: 0 })));
  const outLeaves = [...carried.map((c) => c.next), ...plan.bodyOuts];
  const outNames = body.lower(outLeaves, bound).map((x) => body.node('Identity', [x]));
  const condOut = body.node('Identity', [condIn]);
  const bodyGraph: GraphProto = {
    name: model.fresh(`${plan.name}_body`),
    node: body.nodes,
    input: [valueInfo(iter, 'int64', []), valueInfo(condIn, 'bool', []), ...carried.map((c, i) => valueInfo(carriedNames[i]!, c.input.dtype, c.input.shape))],
    output: [valueInfo(condOut, 'bool', []), ...outLeaves.map((t, i) => valueInfo(outNames[i]!, t.dtype, t.shape))],
  };
  const carriedOuts = carried.map(() => model.fresh('carry_out'));
  const stacked = plan.bodyOuts.map(() => model.fresh('stacked'));
  pushLoop(host, model, 'loop', n, carried.map((c) => c.init), [...carriedOuts, ...stacked], bodyGraph);
  // The parameters after the Loop: as carried, or W = W0 + Uᵀ·V for a deferred weight.
  let next = 0;
  const after = carry.leaves.map((_, i) => {
    if (!plan.deferred.has(i)) return carriedOuts[next++]!;
    const [u, v] = [carriedOuts[next++]!, carriedOuts[next++]!];
    return host.node('Gemm', [u, v, params[i]!], { transA: 1 });
  });
  return { params: after, stacked };
}

/** The step function of a loop: new carried state, and per-iteration outputs to stack. */
export type LoopStep<C, X, S, O> = (carry: C, x: X, shared: S) => { carry: C; out: O };

export interface LoopSpecs {
  /** State carried through the iterations (e.g. parameters). */
  carry: unknown;
  /** Per-iteration inputs, given stacked along a new leading axis of length `steps`. */
  perStep: unknown;
  /** Inputs read by every iteration unchanged (e.g. the learning rate). */
  shared?: unknown;
}

/**
 * K applications of `step` in one call: an ONNX Loop whose body reads iteration k's inputs from
 * the stacked inputs (Gather on the iteration number) and carries the state. run() takes
 * {carry, perStep (stacked), shared} and returns {carry (final), out (stacked per iteration)}.
 */
export async function compileLoop<C, X, S, O>(
  step: LoopStep<C, X, S, O>,
  specs: LoopSpecs,
  steps: number,
  options: CompileOptions = {},
): Promise<CompiledFunction> {
  const name = options.name ?? (step.name || 'loop');
  if (!Number.isInteger(steps) || steps < 1) throw new GraphError(`compileLoop ${name}: steps must be a positive integer, got ${steps}`);
  const carry = placeholders(specs.carry, 'carry');
  const perStep = placeholders(specs.perStep, 'perStep');
  const shared = placeholders(specs.shared ?? {}, 'shared');
  const result = step(carry.tree as C, perStep.tree as X, shared.tree as S);
  const newCarry = outputLeaves(result.carry, `compileLoop ${name}`);
  if (newCarry.structure !== flatten(specs.carry as Tree<TensorSpec>).structure) {
    throw new GraphError(`compileLoop ${name}: the step returns a carry of another structure than its input`);
  }
  newCarry.leaves.forEach((t, i) => {
    const want = carry.specs[i]!;
    if (t.dtype !== want.dtype || !sameShape(t.shape, want.shape)) {
      throw new GraphError(`compileLoop ${name}: carry '${carry.names[i]}' enters as ${want} and leaves as ${t.dtype}${fmtShape(t.shape)}`);
    }
  });
  const outs = flatten<Tensor>(result.out as Tree<Tensor>);
  const computed = reassociated([...newCarry.leaves, ...outs.leaves], options);
  const [bodyCarry, bodyOuts] = [computed.slice(0, newCarry.leaves.length), computed.slice(newCarry.leaves.length)];
  const deferOptions = typeof options.deferUpdates === 'object' ? options.deferUpdates : {};
  const rewritten = options.deferUpdates ? deferUpdates(carry.leaves, bodyCarry, bodyOuts, steps, deferOptions) : null;
  const model = new ModelBuilder(await nchwcBlock(options));
  const main = new GraphLowering(model);
  const plan: StepsPlan = {
    model, fuse: options.fuse ?? true, name, carry, perStep, shared,
    bodyNewCarry: rewritten?.newCarry ?? bodyCarry,
    bodyOuts: rewritten?.outs ?? bodyOuts,
    deferred: new Map((rewritten?.weights ?? []).map((w) => [w.index, w])),
  };
  // K steps as ⌊K/D⌋ windows of D steps (an outer Loop when there are several) and a remainder;
  // without deferred weights, one Loop of K steps.
  const D = rewritten?.window ?? steps;
  const windows = Math.floor(steps / D);
  const rest = steps - windows * D;
  let params = carry.names;
  const stackedParts: string[][] = [];
  if (windows === 1) {
    const r = emitSteps(plan, main, null, D, params);
    params = r.params;
    stackedParts.push(r.stacked);
  } else if (windows > 1) {
    const outer = new GraphLowering(model);
    const j = model.fresh('window');
    const condIn = model.fresh('cond_in');
    const ins = carry.names.map((n) => model.fresh(`${n}_w_`));
    const r = emitSteps(plan, outer, outer.node('Mul', [j, outer.int64sScalar(D)]), D, ins);
    const outNames = [...r.params, ...r.stacked].map((n) => outer.node('Identity', [n]));
    const condOut = outer.node('Identity', [condIn]);
    const perWindow = plan.bodyOuts.map((t) => [D, ...t.shape]);
    const outerGraph: GraphProto = {
      name: `${name}_windows`,
      node: outer.nodes,
      input: [valueInfo(j, 'int64', []), valueInfo(condIn, 'bool', []), ...carry.leaves.map((t, i) => valueInfo(ins[i]!, t.dtype, t.shape))],
      output: [valueInfo(condOut, 'bool', []), ...carry.leaves.map((t, i) => valueInfo(outNames[i]!, t.dtype, t.shape)),
        ...plan.bodyOuts.map((t, i) => valueInfo(outNames[carry.leaves.length + i]!, t.dtype, perWindow[i]!))],
    };
    const loopParams = carry.names.map(() => model.fresh('window_carry'));
    const loopStacked = plan.bodyOuts.map(() => model.fresh('window_stacked'));
    pushLoop(main, model, 'windows', windows, params, [...loopParams, ...loopStacked], outerGraph);
    params = loopParams;
    stackedParts.push(loopStacked.map((n, i) => main.node('Reshape', [n, main.int64s([windows * D, ...plan.bodyOuts[i]!.shape])])));
  }
  if (rest > 0) {
    const r = emitSteps(plan, main, windows > 0 ? main.int64sScalar(windows * D) : null, rest, params);
    params = r.params;
    stackedParts.push(r.stacked);
  }
  const stackedOuts = outs.leaves.map((_, i) => (stackedParts.length === 1 ? stackedParts[0]![i]! : main.node('Concat', stackedParts.map((p) => p[i]!), { axis: 0 })));
  const loopOuts = [...params, ...stackedOuts];
  const outTensors = [
    ...newCarry.leaves.map((t, i) => ({ dtype: t.dtype, shape: t.shape, path: `carry.${newCarry.paths[i]}` })),
    ...outs.leaves.map((t, i) => ({ dtype: t.dtype, shape: [steps, ...t.shape], path: `out.${outs.paths[i]}` })),
  ];
  const allInputs = [carry, perStep, shared];
  const inputLeaves = allInputs.flatMap((p, k) =>
    p.leaves.map((t, i) => ({ name: p.names[i]!, spec: k === 1 ? new TensorSpec([steps, ...t.shape], t.dtype) : p.specs[i]! })),
  );
  const finalOutputs = nameOutputs(main, loopOuts, outTensors, outTensors.map((o) => o.path), inputLeaves.map((x) => x.name));
  const graph: GraphProto = {
    name,
    node: main.nodes,
    input: inputLeaves.map((x) => valueInfo(x.name, x.spec.dtype, x.spec.shape)),
    output: finalOutputs.map((o) => o.info),
  };
  const inputStructure = flatten({ carry: specs.carry, perStep: specs.perStep, shared: specs.shared ?? {} } as unknown as Tree<TensorSpec>).structure;
  return CompiledFunction.create(
    name,
    model.encode(graph, `sgdlab: ${steps} steps of ${name}`),
    { names: inputLeaves.map((x) => x.name), specs: inputLeaves.map((x) => x.spec), structure: inputStructure },
    {
      names: finalOutputs.map((o) => o.name),
      rebuild: (leaves) => ({
        carry: newCarry.unflatten(leaves.slice(0, newCarry.leaves.length)),
        out: outs.unflatten(leaves.slice(newCarry.leaves.length)),
      }) as HostTree,
    },
    options,
    usesFloat64([...plan.bodyNewCarry, ...plan.bodyOuts]),
  );
}

/** A compile cache keyed on the input signature (structure, shapes and dtypes). */
export function jit<S, O>(fn: (inputs: S) => O, options: CompileOptions = {}) {
  const cache = new Map<string, Promise<CompiledFunction>>();
  const signature = (inputs: HostTree): { key: string; specs: unknown } => {
    const flat = flatten<HostTensor>(inputs);
    const specs = flat.leaves.map((t) => new TensorSpec(t.shape, t.dtype));
    return { key: `${flat.structure}|${specs.join(';')}`, specs: flat.unflatten(specs) };
  };
  return {
    /** The compiled program for these inputs' signature, compiling it on first use. */
    lower(inputs: HostTree): Promise<CompiledFunction> {
      const { key, specs } = signature(inputs);
      let hit = cache.get(key);
      if (!hit) {
        hit = compile(fn, specs, options);
        cache.set(key, hit);
      }
      return hit;
    },
    async run(inputs: HostTree): Promise<HostTree> {
      return (await this.lower(inputs)).run(inputs);
    },
    get cacheSize(): number {
      return cache.size;
    },
  };
}
