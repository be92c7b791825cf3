// Basic vocabulary of the compiler: dtypes, static shapes, abstract values and the error type.
// Shapes are always concrete: sgdlab compiles one graph per input signature.

import { UserError } from '../util/user-error.ts';

export type FloatDType = 'float32' | 'float64';
export type DType = FloatDType | 'int32' | 'int64' | 'bool';
export type Shape = readonly number[];

/** Abstract value: what a tensor is at trace time. */
export interface Aval {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** A problem found while tracing or compiling: always a one-line message naming what is wrong. */
export class GraphError extends UserError {
  override name = 'GraphError';
}

export const isFloat = (d: DType): d is FloatDType => d === 'float32' || d === 'float64';

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

export const fmtShape = (shape: Shape): string => `[${shape.join(',')}]`;

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Normalise a possibly negative axis against a rank, or throw naming the primitive. */
export function normAxis(axis: number, rank: number, prim: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new GraphError(`${prim}: axis ${axis} out of range for rank ${rank}`);
  }
  return a;
}

/** Numpy broadcasting of two shapes; the error names the primitive and both shapes. */
export function broadcastShapes(prim: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new GraphError(`${prim}: cannot broadcast shapes ${fmtShape(a)} and ${fmtShape(b)}`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}
