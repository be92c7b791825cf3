// K applications of a step in one ONNX model: a Loop whose body reads iteration k's inputs from the
// stacked inputs and carries the state. With deferred carries (targets/target.ts's contract) the K
// steps run as windows of D steps, the deferred leaves written once per window.

import type { HostTree } from './host.ts';
import { GraphLowering, ModelBuilder, valueInfo, type GraphProto, type LoweringPlan } from './lower.ts';
import type { CompileOptions } from './options.ts';
import { nameOutputs, usesFloat64, type LoweredProgram } from './program.ts';
import { flatten, type Tree } from './pytree.ts';
import type { Tensor } from './tensor.ts';
import { targetWithoutRuntime, type DeferredCarry, type Target } from './targets/index.ts';
import { outputLeaves, placeholders, TensorSpec, type Placeholders, type Traced } from './trace.ts';
import { GraphError, fmtShape, sameShape } from './types.ts';

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

/** A traced loop body, ready to lower as many times as the loop needs it. */
interface StepsPlan {
  model: ModelBuilder;
  lowering: LoweringPlan;
  /** The target's name (LoweredProgram.target). */
  target: string;
  name: string;
  carry: Placeholders;
  perStep: Placeholders;
  shared: Placeholders;
  /** The body's outputs as lowered (after the target's rewrites): new carry, per-step outputs. */
  bodyNewCarry: Tensor[];
  bodyOuts: Tensor[];
  /** Carried leaves (by index) whose updates are deferred, and the steps per window. */
  deferred: Map<number, DeferredCarry>;
  window: number;
}

/**
 * Trace `step` and lower K = `steps` applications of it for `target` (default: the options' target as
 * it lowers without asking a runtime). run() of the compiled program takes {carry, perStep (stacked),
 * shared} and returns {carry (final), out (stacked)}.
 */
export function lowerLoop<CS, XS, O, SS = Record<string, never>>(
  step: LoopStep<Traced<CS>, Traced<XS>, Traced<SS>, O>,
  specs: { carry: CS; perStep: XS; shared?: SS },
  steps: number,
  options: CompileOptions = {},
  target: Target = targetWithoutRuntime(options),
): LoweredProgram {
  const name = options.name ?? (step.name || 'loop');
  if (!Number.isInteger(steps) || steps < 1) throw new GraphError(`compileLoop ${name}: steps must be a positive integer, got ${steps}`);
  const traced = traceBody(step as unknown as LoopStep<never, never, never, unknown>, specs as LoopSpecs, name);
  const plan = planSteps(traced, steps, target, Boolean(options.deferCarries), name);
  const main = new GraphLowering(plan.model);
  const { params, stacked } = emitWindows(plan, main, steps);
  const stackedOuts = traced.outs.leaves.map((_, i) => (stacked.length === 1 ? stacked[0]![i]! : main.node('Concat', stacked.map((p) => p[i]!), { axis: 0 })));
  return finishLoop(plan, main, traced, specs as LoopSpecs, steps, [...params, ...stackedOuts]);
}

interface TracedBody {
  carry: Placeholders;
  perStep: Placeholders;
  shared: Placeholders;
  newCarry: ReturnType<typeof outputLeaves>;
  outs: ReturnType<typeof flatten<Tensor>>;
}

/** Trace the step on placeholders and check that the carry leaves as it entered. */
function traceBody(step: LoopStep<never, never, never, unknown>, specs: LoopSpecs, name: string): TracedBody {
  const carry = placeholders(specs.carry, 'carry');
  const perStep = placeholders(specs.perStep, 'perStep');
  const shared = placeholders(specs.shared ?? {}, 'shared');
  const result = step(carry.tree as never, perStep.tree as never, shared.tree as never);
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
  return { carry, perStep, shared, newCarry, outs: flatten<Tensor>(result.out as Tree<Tensor>) };
}

/** The body as the target rewrites it (its program passes, then deferred carries if allowed). */
function planSteps(traced: TracedBody, steps: number, target: Target, deferCarries: boolean, name: string): StepsPlan {
  const n = traced.newCarry.leaves.length;
  const computed = target.rewrite([...traced.newCarry.leaves, ...traced.outs.leaves]);
  const [bodyCarry, bodyOuts] = [computed.slice(0, n), computed.slice(n)];
  const rewritten = deferCarries ? target.deferCarries?.(traced.carry.leaves, bodyCarry, bodyOuts, steps) ?? null : null;
  return {
    model: new ModelBuilder(), lowering: target.lowering, target: target.name, name, carry: traced.carry, perStep: traced.perStep, shared: traced.shared,
    bodyNewCarry: rewritten?.newCarry ?? bodyCarry,
    bodyOuts: rewritten?.outs ?? bodyOuts,
    deferred: new Map((rewritten?.carries ?? []).map((c) => [c.index, c])),
    window: rewritten?.window ?? steps,
  };
}

/**
 * K steps as ⌊K/D⌋ windows of D steps (an outer Loop when there are several) and a remainder;
 * without deferred carries, one Loop of K steps. Returns the parameters after them and the
 * stacked per-step outputs of each part.
 */
function emitWindows(plan: StepsPlan, main: GraphLowering, steps: number): { params: string[]; stacked: string[][] } {
  const D = plan.window;
  const windows = Math.floor(steps / D);
  const rest = steps - windows * D;
  let params = plan.carry.names;
  const stacked: string[][] = [];
  if (windows === 1) {
    const r = emitSteps(plan, main, null, D, params);
    params = r.params;
    stacked.push(r.stacked);
  } else if (windows > 1) {
    const r = emitWindowLoop(plan, main, windows, params);
    params = r.params;
    stacked.push(r.stacked);
  }
  if (rest > 0) {
    const r = emitSteps(plan, main, windows > 0 ? main.int64sScalar(windows * D) : null, rest, params);
    params = r.params;
    stacked.push(r.stacked);
  }
  return { params, stacked };
}

/** An outer Loop over `windows` windows, each a Loop of D steps followed by the deferred carries' writes. */
function emitWindowLoop(plan: StepsPlan, main: GraphLowering, windows: number, params: string[]): { params: string[]; stacked: string[] } {
  const { model, carry, name } = plan;
  const D = plan.window;
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
  return {
    params: loopParams,
    stacked: loopStacked.map((n, i) => main.node('Reshape', [n, main.int64s([windows * D, ...plan.bodyOuts[i]!.shape])])),
  };
}

/**
 * Emit into `host` one Loop of `n` steps, reading per-step inputs from row `base` + i of the stacked
 * inputs (base: an int64 scalar in scope, or null for 0) and starting from the parameters named
 * `params`. A deferred carry's state starts at zeros and its leaf is written once after the Loop.
 * Returns the parameters after it and the stacked per-step outputs [n, …].
 */
function emitSteps(plan: StepsPlan, host: GraphLowering, base: string | null, n: number, params: string[]): { params: string[]; stacked: string[] } {
  const { model, carry } = plan;
  const body = new GraphLowering(model, plan.lowering);
  const iter = model.fresh('iter');
  const condIn = model.fresh('cond_in');
  // What the Loop carries: each leaf, or a deferred carry's state; the deferred leaf's value at the
  // start (its base) is read from the enclosing scope.
  const carried: { input: Tensor; init: string; next: Tensor }[] = [];
  const bound = new Map<number, string>();
  const zeros = (f: Tensor) => host.node('Expand', [host.scalar(0, f.dtype), host.int64s(f.shape)]);
  carry.leaves.forEach((t, i) => {
    const d = plan.deferred.get(i);
    if (!d) {
      carried.push({ input: t, init: params[i]!, next: plan.bodyNewCarry[i]! });
      return;
    }
    bound.set(d.base.id, params[i]!);
    d.state.forEach((s, k) => carried.push({ input: s, init: zeros(s), next: d.stateNext[k]! }));
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
  // The leaves after the Loop: as carried, or written by the target from a deferred carry's base and state.
  let next = 0;
  const after = carry.leaves.map((_, i) => {
    const d = plan.deferred.get(i);
    if (!d) return carriedOuts[next++]!;
    const state = d.state.map(() => carriedOuts[next++]!);
    return d.write(host, params[i]!, state);
  });
  return { params: after, stacked };
}

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

/** The main graph around the Loops: named outputs {carry, out}, inputs {carry, perStep (stacked), shared}. */
function finishLoop(plan: StepsPlan, main: GraphLowering, traced: TracedBody, specs: LoopSpecs, steps: number, loopOuts: string[]): LoweredProgram {
  const { newCarry, outs } = traced;
  const outTensors = [
    ...newCarry.leaves.map((t, i) => ({ dtype: t.dtype, shape: t.shape, path: `carry.${newCarry.paths[i]}` })),
    ...outs.leaves.map((t, i) => ({ dtype: t.dtype, shape: [steps, ...t.shape], path: `out.${outs.paths[i]}` })),
  ];
  const inputLeaves = [traced.carry, traced.perStep, traced.shared].flatMap((p, k) =>
    p.leaves.map((t, i) => ({ name: p.names[i]!, spec: k === 1 ? new TensorSpec([steps, ...t.shape], t.dtype) : p.specs[i]! })),
  );
  const finalOutputs = nameOutputs(main, loopOuts, outTensors, outTensors.map((o) => o.path), inputLeaves.map((x) => x.name));
  const graph: GraphProto = {
    name: plan.name,
    node: main.nodes,
    input: inputLeaves.map((x) => valueInfo(x.name, x.spec.dtype, x.spec.shape)),
    output: finalOutputs.map((o) => o.info),
  };
  const inputStructure = flatten({ carry: specs.carry, perStep: specs.perStep, shared: specs.shared ?? {} } as unknown as Tree<TensorSpec>).structure;
  return {
    name: plan.name,
    target: plan.target,
    model: plan.model.encode(graph, `sgdlab: ${steps} steps of ${plan.name}`),
    inputs: { names: inputLeaves.map((x) => x.name), specs: inputLeaves.map((x) => x.spec), structure: inputStructure },
    outputs: {
      names: finalOutputs.map((o) => o.name),
      rebuild: (leaves) => ({
        carry: newCarry.unflatten(leaves.slice(0, newCarry.leaves.length)),
        out: outs.unflatten(leaves.slice(newCarry.leaves.length)),
      }) as HostTree,
    },
    usesFloat64: usesFloat64([...plan.bodyNewCarry, ...plan.bodyOuts]),
  };
}
