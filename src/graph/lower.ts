// The reference lowering driver: traced programs to ONNX (opset 17, IR 8), one GraphProto per
// program, constants as initializers of the outermost graph (Loop bodies read them from the outer
// scope). A target (targets/) may override primitives' lowerings, fuse nodes and rewrite the nodes
// after lowering, through a LoweringPlan; this module knows no backend.

import onnxProto from 'onnx-proto';
import { rules } from './registry.ts';
import { topologicalOrder } from './graph-order.ts';
import type { AttrValue, LowerCtx } from './primitives.ts';
import type { PrimitiveName, PrimitiveParams } from './primitive-params.ts';
import type { HostArray, Tensor } from './tensor.ts';
import { GraphError, type DType, type Shape } from './types.ts';
import type { AttributeProto, GraphProto, NodeProto, TensorProto, ValueInfoProto } from './onnx-types.ts';

const { onnx } = onnxProto;
export type { GraphProto, NodeProto };
// What this module builds must be what onnx-proto encodes (checked here, not part of the public types).
type Encodable<T extends onnxProto.onnx.IGraphProto> = T;
type GraphProtoEncodes = Encodable<GraphProto>;
export const OPSET = 17;
const IR_VERSION = 8;

const ONNX_TYPE: Record<DType, number> = { float32: 1, float64: 11, int32: 6, int64: 7, bool: 9 };

function attribute(name: string, v: AttrValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.GRAPH, g: v.graph };
}

function hostBytes(data: HostArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function tensorProto(name: string, dtype: DType, shape: Shape, data: HostArray): TensorProto {
  // rawData is little-endian, as typed arrays are on every platform Node runs on here.
  return { name, dataType: ONNX_TYPE[dtype], dims: [...shape], rawData: hostBytes(data) };
}

export function valueInfo(name: string, dtype: DType, shape: Shape): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ONNX_TYPE[dtype], shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  };
}

/** A primitive's lowering that a target puts before the reference one; `undefined`: it does not apply here. */
export type LoweringOverride<P extends PrimitiveName> = (
  ctx: LowerCtx, inputs: string[], params: PrimitiveParams[P], node: { inputs: readonly Tensor[]; out: Tensor },
) => string | undefined;
export type LoweringOverrides = { [P in PrimitiveName]?: LoweringOverride<P> };

/** A node of the program lowered together with part of its sub-expression (a target's fusion). */
export interface FusedNode {
  /** The tensors it reads in place of its traced sub-expression. */
  inputs: readonly Tensor[];
  lower(ctx: LowerCtx, name: (t: Tensor) => string): string;
}

/** A rewrite of one graph's nodes once lowered (in place); returns how output names changed. */
export type NodePass = (nodes: NodeProto[], outputs: readonly string[], model: ModelBuilder) => Map<string, string>;

/** What a target adds to the reference lowering. */
export interface LoweringPlan {
  overrides: LoweringOverrides;
  /** Which nodes lower fused, planned on the whole traced program. */
  fusions?: (order: readonly Tensor[], outputs: readonly Tensor[]) => Map<number, FusedNode>;
  /** Run in order over each graph's nodes after lowering. */
  nodePasses: readonly NodePass[];
}

/** Every primitive by its own rule, nothing fused or rewritten: plain ONNX for any runtime. */
export const REFERENCE_LOWERING: LoweringPlan = { overrides: {}, nodePasses: [] };

/** Shared by a model's main graph and its subgraphs: unique names and the constant table. */
export class ModelBuilder {
  private counter = 0;
  readonly initializers: TensorProto[] = [];
  private readonly constantNames = new Map<string, string>();
  /** Operator sets other than ONNX's that some node uses (all at version 1: ONNX Runtime's contrib sets). */
  readonly domains = new Set<string>();

  fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  /**
   * A constant initializer, deduplicated by dtype, shape and value; a larger one only when the caller
   * names its content with `key`.
   */
  constant(dtype: DType, shape: Shape, data: HostArray, key?: string): string {
    key = key !== undefined ? `${dtype}|${shape.join(',')}|${key}` : data.length <= 64 ? `${dtype}|${shape.join(',')}|${Array.from(data as ArrayLike<number | bigint>, String).join(',')}` : undefined;
    const known = key ? this.constantNames.get(key) : undefined;
    if (known) return known;
    const name = this.fresh('const');
    this.initializers.push(tensorProto(name, dtype, shape, data));
    if (key) this.constantNames.set(key, name);
    return name;
  }

  /** Whether `name` is a one-element initializer holding zero (any float or integer type). */
  isZeroScalar(name: string): boolean {
    const t = this.initializers.find((i) => i.name === name);
    return t !== undefined && (t.dims ?? []).every((d) => Number(d) === 1) && t.rawData !== undefined && t.rawData !== null && t.rawData.length > 0 && t.rawData.every((b) => b === 0);
  }

  encode(graph: GraphProto, docString = ''): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'sgdlab',
      producerVersion: '0.1.0',
      docString,
      opsetImport: [{ domain: '', version: OPSET }, ...[...this.domains].map((domain) => ({ domain, version: 1 }))],
      graph: { ...graph, initializer: [...(graph.initializer ?? []), ...this.initializers] },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** Builds the nodes of one graph (the main graph or a Loop body). */
export class GraphLowering implements LowerCtx {
  readonly nodes: NodeProto[] = [];
  constructor(readonly model: ModelBuilder, private readonly plan: LoweringPlan = REFERENCE_LOWERING) {}

  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, domain?: string): string {
    const out = this.model.fresh(`${op.toLowerCase()}_`);
    this.nodes.push({
      opType: op,
      input: inputs,
      output: [out],
      name: out,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      ...(domain ? { domain } : {}),
    });
    if (domain) this.model.domains.add(domain);
    return out;
  }

  int64s(values: readonly number[]): string {
    return this.model.constant('int64', [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  constant(dtype: DType, shape: Shape, data: HostArray, key?: string): string {
    return this.model.constant(dtype, shape, data, key);
  }

  /** A 0-d int64 constant (trip counts, indices). */
  int64sScalar(value: number): string {
    return this.model.constant('int64', [], BigInt64Array.of(BigInt(value)));
  }

  scalar(value: number, dtype: DType): string {
    const data = dtype === 'float64' ? Float64Array.of(value) : dtype === 'int64' ? BigInt64Array.of(BigInt(value)) : dtype === 'int32' ? Int32Array.of(value) : Float32Array.of(value);
    return this.model.constant(dtype, [], data);
  }

  onnxType(dtype: DType): number {
    return ONNX_TYPE[dtype];
  }

  /**
   * Emit the nodes computing `outputs`; `bound` maps tensors that already have names in this graph
   * (its inputs). Returns the output names.
   */
  lower(outputs: readonly Tensor[], bound: Map<number, string>): string[] {
    const names = new Map(bound);
    const order = topologicalOrder(outputs);
    const fusions = this.plan.fusions?.(order, outputs) ?? new Map<number, FusedNode>();
    // Only what the outputs need, reading fused nodes through their own inputs.
    const needed = new Set<number>();
    const stack = [...outputs];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (needed.has(t.id) || names.has(t.id)) continue;
      needed.add(t.id);
      const fusion = fusions.get(t.id);
      if (fusion) stack.push(...fusion.inputs);
      else if (t.origin.kind === 'op') stack.push(...t.origin.inputs);
    }
    for (const t of order) {
      if (names.has(t.id) || !needed.has(t.id)) continue;
      const o = t.origin;
      if (o.kind === 'input') throw new GraphError(`compile: the function uses input '${o.name}', which is not among the compiled inputs`);
      if (o.kind === 'constant') {
        names.set(t.id, this.model.constant(t.dtype, t.shape, o.data));
        continue;
      }
      const fusion = fusions.get(t.id);
      if (fusion) {
        names.set(t.id, fusion.lower(this, (x) => names.get(x.id)!));
        continue;
      }
      const ins = o.inputs.map((x) => names.get(x.id)!);
      const node = { inputs: o.inputs, out: t };
      const override = this.plan.overrides[o.prim] as LoweringOverride<PrimitiveName> | undefined;
      const lowerRule = rules[o.prim].lower as (c: LowerCtx, i: string[], p: unknown, n: { inputs: readonly Tensor[]; out: Tensor }) => string;
      names.set(t.id, override?.(this, ins, o.params as never, node) ?? lowerRule(this, ins, o.params, node));
    }
    let results = outputs.map((t) => names.get(t.id)!);
    for (const pass of this.plan.nodePasses) {
      const renamed = pass(this.nodes, results, this.model);
      results = results.map((n) => renamed.get(n) ?? n);
    }
    return results;
  }
}
