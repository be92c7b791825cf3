// The symbolic Tensor: a node of a traced program. Every operation on tensors appends a node,
// checked by its primitive's shape rule; nothing is computed until the program is compiled.

import type { PrimitiveName, PrimitiveParams } from './primitive-params.ts';
import { GraphError, fmtShape, type Aval, type DType, type Shape } from './types.ts';

export type HostArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** Where a tensor's value comes from. */
export type Origin =
  | { kind: 'input'; name: string }
  | { kind: 'constant'; data: HostArray }
  | { kind: 'op'; prim: PrimitiveName; inputs: Tensor[]; params: unknown };

let nextId = 0;

export class Tensor implements Aval {
  readonly id = nextId++;
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    readonly origin: Origin,
  ) {}

  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  toString(): string {
    return `Tensor#${this.id}<${this.dtype}${fmtShape(this.shape)}>`;
  }

  // Elementwise arithmetic (numpy broadcasting; numbers become constants of this dtype).
  add(o: TensorLike): Tensor { return bind('add', [this, lift(o, this)], {}); }
  sub(o: TensorLike): Tensor { return bind('sub', [this, lift(o, this)], {}); }
  mul(o: TensorLike): Tensor { return bind('mul', [this, lift(o, this)], {}); }
  div(o: TensorLike): Tensor { return bind('div', [this, lift(o, this)], {}); }
  maximum(o: TensorLike): Tensor { return bind('maximum', [this, lift(o, this)], {}); }
  neg(): Tensor { return bind('neg', [this], {}); }
  exp(): Tensor { return bind('exp', [this], {}); }
  log(): Tensor { return bind('log', [this], {}); }
  sqrt(): Tensor { return bind('sqrt', [this], {}); }
  tanh(): Tensor { return bind('tanh', [this], {}); }
  relu(): Tensor { return bind('relu', [this], {}); }
  abs(): Tensor { return bind('abs', [this], {}); }
  sign(): Tensor { return bind('sign', [this], {}); }
  pow(exponent: number): Tensor { return bind('powScalar', [this], { exponent }); }
  square(): Tensor { return this.mul(this); }
  // Comparisons give bool tensors; they have no derivative.
  less(o: TensorLike): Tensor { return bind('less', [this, lift(o, this)], {}); }
  greater(o: TensorLike): Tensor { return bind('greater', [this, lift(o, this)], {}); }
  equal(o: TensorLike): Tensor { return bind('equal', [this, lift(o, this)], {}); }
  cast(dtype: DType): Tensor { return dtype === this.dtype ? this : bind('cast', [this], { dtype }); }
  stopGradient(): Tensor { return bind('stopGradient', [this], {}); }

  // Reductions over axes (all axes when omitted).
  sum(axes?: number | number[], keepdims = false): Tensor {
    return bind('sum', [this], { axes: axesList(axes, this.rank), keepdims });
  }
  max(axes?: number | number[], keepdims = false): Tensor {
    return bind('max', [this], { axes: axesList(axes, this.rank), keepdims });
  }
  mean(axes?: number | number[], keepdims = false): Tensor {
    const list = axesList(axes, this.rank);
    const count = list.reduce((n, a) => n * this.shape[a < 0 ? a + this.rank : a]!, 1);
    return this.sum(list, keepdims).div(count);
  }

  // Shape manipulation.
  reshape(shape: readonly number[]): Tensor {
    return bind('reshape', [this], { shape: inferReshape(shape, this.size, this.shape) });
  }
  flatten(startAxis = 1): Tensor {
    const keep = this.shape.slice(0, startAxis);
    return this.reshape([...keep, -1]);
  }
  transpose(perm?: readonly number[]): Tensor {
    return bind('transpose', [this], { perm: perm ? [...perm] : [...this.shape.keys()].reverse() });
  }
  /** Swap the last two axes (matrix transpose, batched). */
  get T(): Tensor {
    const perm = [...this.shape.keys()];
    const r = this.rank;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
    return this.transpose(perm);
  }
  broadcastTo(shape: readonly number[]): Tensor {
    return bind('broadcastTo', [this], { shape: [...shape] });
  }
  /** Step-1 slice: per axis [start, end); omitted axes are kept whole. */
  slice(ranges: readonly (readonly [number, number] | null)[]): Tensor {
    const starts = this.shape.map((d, i) => normIndex(ranges[i]?.[0] ?? 0, d));
    const ends = this.shape.map((d, i) => normIndex(ranges[i]?.[1] ?? d, d));
    return bind('slice', [this], { starts, ends });
  }
  /** Zero padding: per axis [before, after]. */
  pad(pads: readonly (readonly [number, number] | null)[]): Tensor {
    return bind('pad', [this], { pads: this.shape.map((_, i) => [pads[i]?.[0] ?? 0, pads[i]?.[1] ?? 0] as [number, number]) });
  }
  expandDims(axis: number): Tensor {
    const a = axis < 0 ? axis + this.rank + 1 : axis;
    const s = [...this.shape];
    s.splice(a, 0, 1);
    return this.reshape(s);
  }

  matmul(o: Tensor): Tensor { return bind('matmul', [this, o], {}); }
  logSoftmax(axis = -1): Tensor {
    return bind('logSoftmax', [this], { axis: axis < 0 ? axis + this.rank : axis });
  }
}

export type TensorLike = Tensor | number;

// The rule table reaches `bind` through registry.ts, which installs it when it loads: the family
// modules under prims/ build tensors, so this module cannot import them (an import cycle).
let rules: ShapeRules | undefined;

/** What bind needs of the rule table (primitives.ts's RuleTable): each primitive's shape rule. */
type ShapeRules = { [P in PrimitiveName]: { abstractEval(inputs: readonly Aval[], params: PrimitiveParams[P]): Aval } };

/** Called once by registry.ts with the complete rule table. */
export function installRules(table: ShapeRules): void {
  rules = table;
}

/** Append a node for primitive `prim`; its shape rule checks the inputs and names the output. */
export function bind<P extends PrimitiveName>(prim: P, inputs: Tensor[], params: PrimitiveParams[P]): Tensor {
  if (!rules) throw new GraphError(`${prim}: the primitive rules are not loaded (import sgdlab's graph/index.ts, not tensor.ts alone)`);
  const aval = rules[prim].abstractEval(inputs, params);
  return new Tensor(aval.shape, aval.dtype, { kind: 'op', prim, inputs, params });
}

/** The operation that computes `t`, if it is computed (not an input or constant). */
export const opOf = (t: Tensor) => (t.origin.kind === 'op' ? t.origin : undefined);

/**
 * `t`'s operation applied to its inputs as `get` maps them, for rewriting passes: a new node when
 * an input changed, else undefined (`t` stands as it is).
 */
export function rebound(t: Tensor, get: (x: Tensor) => Tensor): Tensor | undefined {
  const o = opOf(t);
  if (!o) return undefined;
  const inputs = o.inputs.map(get);
  return inputs.some((x, i) => x !== o.inputs[i]) ? bind(o.prim, inputs, o.params as never) : undefined;
}

/** A symbolic placeholder (a graph input). */
export function placeholder(name: string, shape: Shape, dtype: DType): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new GraphError(`input '${name}': bad dimension ${d} in ${fmtShape(shape)}`);
  }
  return new Tensor([...shape], dtype, { kind: 'input', name });
}

const ARRAY_OF: Record<DType, (n: number) => HostArray> = {
  float32: (n) => new Float32Array(n),
  float64: (n) => new Float64Array(n),
  int32: (n) => new Int32Array(n),
  int64: (n) => new BigInt64Array(n),
  bool: (n) => new Uint8Array(n),
};

/** A constant tensor; `value` is a number (filled) or the row-major data. */
export function constant(value: number | ArrayLike<number>, shape: Shape = [], dtype: DType = 'float32'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = ARRAY_OF[dtype](n);
  if (typeof value === 'number') {
    if (data instanceof BigInt64Array) data.fill(BigInt(value));
    else data.fill(value);
  } else {
    if (value.length !== n) throw new GraphError(`constant: ${value.length} values for shape ${fmtShape(shape)}`);
    for (let i = 0; i < n; i++) {
      if (data instanceof BigInt64Array) data[i] = BigInt(value[i]!);
      else data[i] = value[i]!;
    }
  }
  return new Tensor([...shape], dtype, { kind: 'constant', data });
}

export const zerosLike = (t: Aval): Tensor => constant(0, [], t.dtype).broadcastTo(t.shape);
export const onesLike = (t: Aval): Tensor => constant(1, [], t.dtype).broadcastTo(t.shape);

/** Numbers become scalar constants of the other operand's dtype. */
export function lift(x: TensorLike, like: Aval): Tensor {
  return typeof x === 'number' ? constant(x, [], like.dtype) : x;
}


function axesList(axes: number | number[] | undefined, rank: number): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  return typeof axes === 'number' ? [axes] : axes;
}

function normIndex(i: number, dim: number): number {
  return i < 0 ? Math.max(0, i + dim) : Math.min(i, dim);
}

function inferReshape(shape: readonly number[], size: number, from: Shape): number[] {
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new GraphError(`reshape: more than one -1 in ${fmtShape(shape)}`);
  if (unknown === 0) return [...shape];
  const known = shape.reduce((a, d) => (d === -1 ? a : a * d), 1);
  if (known === 0 || size % known !== 0) {
    throw new GraphError(`reshape: cannot reshape ${fmtShape(from)} into ${fmtShape(shape)}`);
  }
  return shape.map((d) => (d === -1 ? size / known : d));
}
