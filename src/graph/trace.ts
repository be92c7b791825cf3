// Tracing: input signatures (specs), the placeholders a function is traced on, and the checks on
// what it returns.

import { flatten, type Tree } from './pytree.ts';
import { placeholder, type Tensor } from './tensor.ts';
import { GraphError, fmtShape, type DType, type Shape } from './types.ts';

/** The signature of one input: a leaf of a spec tree. */
export class TensorSpec {
  constructor(readonly shape: Shape, readonly dtype: DType = 'float32') {}
  toString(): string {
    return `${this.dtype}${fmtShape(this.shape)}`;
  }
}
export const spec = (shape: Shape, dtype: DType = 'float32'): TensorSpec => new TensorSpec([...shape], dtype);

/**
 * A tree of specs with each spec replaced by the tensor traced for it (`any` where the spec type is
 * a whole Tree<TensorSpec>, whose structure is only known at run time).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Traced<S> = Tree<TensorSpec> extends S ? any : S extends TensorSpec
  ? Tensor
  : S extends readonly unknown[]
    ? { [K in keyof S]: Traced<S[K]> }
    : S extends object
      ? { [K in keyof S]: Traced<S[K]> }
      : never;

/** The placeholders for a spec tree: graph inputs named by their paths under `prefix`. */
export interface Placeholders {
  tree: unknown;
  leaves: Tensor[];
  names: string[];
  specs: TensorSpec[];
  structure: string;
}

export function placeholders(specs: unknown, prefix: string): Placeholders {
  const flat = flatten<TensorSpec>(specs as Tree<TensorSpec>);
  flat.leaves.forEach((s, i) => {
    if (!(s instanceof TensorSpec)) throw new GraphError(`compile: spec '${flat.paths[i]}' is not a TensorSpec (use spec(shape, dtype))`);
  });
  const names = flat.paths.map((p) => (prefix ? (p ? `${prefix}.${p}` : prefix) : p || 'input'));
  const leaves = flat.leaves.map((s, i) => placeholder(names[i]!, s.shape, s.dtype));
  return { tree: flat.unflatten(leaves), leaves, names, specs: flat.leaves, structure: flat.structure };
}

/** The tensors a traced function returned, or an error when there are none. */
export function outputLeaves(out: unknown, what: string): ReturnType<typeof flatten<Tensor>> {
  const flat = flatten<Tensor>(out as Tree<Tensor>);
  if (flat.leaves.length === 0) throw new GraphError(`${what}: the function returned no tensors`);
  return flat;
}
