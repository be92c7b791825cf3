// Pytrees: nested plain objects and arrays whose leaves are tensors (symbolic or host). Paths name
// the leaves ("layers.0.weight"), and are the stable names of graph inputs and checkpoint entries.

export type Tree<L> = L | readonly Tree<L>[] | { readonly [key: string]: Tree<L> };

export interface Flat<L> {
  leaves: L[];
  paths: string[];
  /** Build a tree of the same structure from new leaves, in the same order. */
  unflatten<M>(leaves: readonly M[]): Tree<M>;
  /** The structure, for cache keys. */
  structure: string;
}

const isContainer = (x: unknown): x is Record<string, unknown> | unknown[] =>
  Array.isArray(x) || (typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype);

export function flatten<L>(tree: Tree<L>): Flat<L> {
  const leaves: L[] = [];
  const paths: string[] = [];
  const walk = (node: unknown, path: string): unknown => {
    if (Array.isArray(node)) return node.map((child, i) => walk(child, path ? `${path}.${i}` : `${i}`));
    if (isContainer(node)) {
      const shape: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) shape[k] = walk(v, path ? `${path}.${k}` : k);
      return shape;
    }
    leaves.push(node as L);
    paths.push(path);
    return null;
  };
  const skeleton = walk(tree, '');
  const rebuild = (node: unknown, next: () => unknown): unknown => {
    if (Array.isArray(node)) return node.map((c) => rebuild(c, next));
    if (isContainer(node)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = rebuild(v, next);
      return out;
    }
    return next();
  };
  return {
    leaves,
    paths,
    structure: JSON.stringify(skeleton),
    unflatten<M>(newLeaves: readonly M[]): Tree<M> {
      if (newLeaves.length !== leaves.length) throw new Error(`pytree: ${newLeaves.length} leaves for a tree of ${leaves.length}`);
      let i = 0;
      return rebuild(skeleton, () => newLeaves[i++]) as Tree<M>;
    },
  };
}
