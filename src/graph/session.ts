// compile(fn, specs) and compileLoop: lower for the target, then open one ONNX Runtime session
// (onnxruntime-node) on the execution provider and run it on host tensors. With providers.ts, the only
// modules of the compiler that need Node.

import { writeFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { HostTensor, type HostOf, type HostTree } from './host.ts';
import { lowerLoop, type LoopStep } from './loop.ts';
import type { CompileOptions } from './options.ts';
import { lowerFunction, type LoweredProgram } from './program.ts';
import { autoOptimization, checkExecutionProvider, DEFAULT_PROVIDER, firstLine, providerOptions, runOn } from './providers.ts';
import { flatten } from './pytree.ts';
import type { HostArray } from './tensor.ts';
import { prepareTarget, targetRunsOn, type Target } from './targets/index.ts';
import { TensorSpec, type Traced } from './trace.ts';
import { GraphError, fmtShape, sameShape } from './types.ts';

/** A compiled program: `run` takes host tensors shaped like the specs (I) and returns the outputs' (O). */
export class CompiledFunction<I = HostTree, O = HostTree> {
  private constructor(
    readonly name: string,
    readonly model: Uint8Array,
    private readonly session: ort.InferenceSession,
    private readonly program: LoweredProgram,
  ) {}

  static async create<I = HostTree, O = HostTree>(program: LoweredProgram, options: CompileOptions): Promise<CompiledFunction<I, O>> {
    const provider = options.executionProvider ?? DEFAULT_PROVIDER;
    // Operators of a provider-specific target (ORT-CPU's com.microsoft.nchwc) never reach another provider.
    if (!targetRunsOn(program.target, provider)) throw new GraphError(`compile ${program.name}: lowered for target '${program.target}', which does not run on execution provider '${provider}'`);
    await checkExecutionProvider(provider);
    const level = options.optimization ?? 'auto';
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      ...providerOptions(provider),
      graphOptimizationLevel: level === 'auto' ? autoOptimization(provider, program.usesFloat64) : level,
      executionMode: 'sequential',
      interOpNumThreads: 1,
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
      ...(options.profilePrefix ? { enableProfiling: true, profileFilePrefix: options.profilePrefix } : {}),
    };
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(program.model, sessionOptions);
    } catch (e) {
      throw new GraphError(`compile ${program.name}: onnxruntime rejected the graph: ${firstLine(e)}`);
    }
    return new CompiledFunction<I, O>(program.name, program.model, session, program);
  }

  /** Run on host tensors with the structure, shapes and dtypes of the compiled specs. */
  async run(inputs: I): Promise<O> {
    const { names, specs, structure } = this.program.inputs;
    const flat = flatten<HostTensor>(inputs as HostTree);
    if (flat.structure !== structure) {
      throw new GraphError(`${this.name}: inputs have another structure than compiled (got ${flat.paths.join(', ')}; expected ${names.join(', ')})`);
    }
    const feeds: Record<string, ort.Tensor> = {};
    flat.leaves.forEach((t, i) => {
      const want = specs[i]!;
      const path = names[i]!;
      if (!(t instanceof HostTensor)) throw new GraphError(`${this.name}: input '${path}' is not a HostTensor`);
      if (t.dtype !== want.dtype || !sameShape(t.shape, want.shape)) {
        throw new GraphError(`${this.name}: input '${path}' expected ${want}, got ${t.dtype}${fmtShape(t.shape)}`);
      }
      feeds[path] = new ort.Tensor(t.dtype, t.data as never, [...t.shape]);
    });
    const result = await this.session.run(feeds);
    return this.program.outputs.rebuild(
      this.program.outputs.names.map((n) => {
        const r = result[n]!;
        return new HostTensor(r.data as HostArray, r.dims);
      }),
    ) as O;
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

/** The options' target, after checking the provider and letting the target probe the runtime it will run on. */
async function targetFor(options: CompileOptions): Promise<Target> {
  const provider = options.executionProvider ?? DEFAULT_PROVIDER;
  await checkExecutionProvider(provider);
  return prepareTarget(options, runOn(provider));
}

/**
 * Trace `fn` on placeholders with the given specs and compile it to one ONNX Runtime session. The
 * function receives tensors shaped like the spec tree; run() takes host tensors likewise.
 */
export async function compile<S, O>(fn: (inputs: Traced<S>) => O, specs: S, options: CompileOptions = {}): Promise<CompiledFunction<HostOf<S>, HostOf<O>>> {
  const program = lowerFunction(fn, specs, options, await targetFor(options));
  return CompiledFunction.create<HostOf<S>, HostOf<O>>(program, options);
}

/**
 * K applications of `step` in one call: an ONNX Loop whose body reads iteration k's inputs from
 * the stacked inputs (Gather on the iteration number) and carries the state. run() takes
 * {carry, perStep (stacked), shared} and returns {carry (final), out (stacked per iteration)}.
 */
export async function compileLoop<CS, XS, O, SS = Record<string, never>>(
  step: LoopStep<Traced<CS>, Traced<XS>, Traced<SS>, O>,
  specs: { carry: CS; perStep: XS; shared?: SS },
  steps: number,
  options: CompileOptions = {},
): Promise<CompiledFunction<{ carry: HostOf<CS>; perStep: HostOf<XS>; shared: HostOf<SS> }, { carry: HostOf<CS>; out: HostOf<O> }>> {
  const program = lowerLoop(step, specs, steps, options, await targetFor(options));
  return CompiledFunction.create(program, options);
}

/**
 * A compile cache keyed on the input signature (structure, shapes and dtypes): `fn` takes a tree of
 * traced tensors T, run() the same tree of host tensors (HostOf<T>) and returns HostOf of fn's output.
 */
export function jit<T, O>(fn: (inputs: T) => O, options: CompileOptions = {}) {
  type Compiled = CompiledFunction<HostOf<T>, HostOf<O>>;
  const cache = new Map<string, Promise<Compiled>>();
  const signature = (inputs: HostOf<T>): { key: string; specs: unknown } => {
    const flat = flatten<HostTensor>(inputs as HostTree);
    const specs = flat.leaves.map((t) => new TensorSpec(t.shape, t.dtype));
    return { key: `${flat.structure}|${specs.join(';')}`, specs: flat.unflatten(specs) };
  };
  return {
    /** The compiled program for these inputs' signature, compiling it on first use. */
    lower(inputs: HostOf<T>): Promise<Compiled> {
      const { key, specs } = signature(inputs);
      let hit = cache.get(key);
      if (!hit) {
        hit = compile(fn as (inputs: unknown) => O, specs, options) as Promise<Compiled>;
        cache.set(key, hit);
      }
      return hit;
    },
    async run(inputs: HostOf<T>): Promise<HostOf<O>> {
      return (await this.lower(inputs)).run(inputs);
    },
    get cacheSize(): number {
      return cache.size;
    },
  };
}
