// Shared pieces for the training tests: a tiny float64 model and batch, flat views of parameter
// trees, comparisons, and a temporary directory with a run store.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flatten, HostTensor, type Tree } from '../../src/graph/index.ts';
import { mlp, type Model } from '../../src/nn/index.ts';
import { RunStore } from '../../src/store/index.ts';
import { Rng } from '../../src/util/random.ts';

export type HostParams = Tree<HostTensor>;
export type FloatArray = Float32Array | Float64Array;

/** A small ReLU MLP on 6 inputs and 3 classes (weights layers.{0,1}.weight, biases layers.{0,1}.bias). */
export const INPUTS = 6;
export const CLASSES = 3;
export function tinyModel(width = 8, depth = 1): Model {
  return mlp([INPUTS], CLASSES, width, depth);
}

export function tinyParams(model: Model, seed = 1): HostParams {
  const params = model.init(new Rng(seed), 'float64');
  // Non-zero biases, so that bias gradients and the absence of decay on them are visible.
  const flat = flatten<HostTensor>(params);
  const rng = new Rng(seed + 1000);
  return flat.unflatten(flat.leaves.map((t, i) => (/bias$/.test(flat.paths[i]!) ? new HostTensor(Float64Array.from(t.data as Float64Array, () => 0.1 * rng.normal()), t.shape) : t))) as HostParams;
}

/** A batch of B float64 inputs and int32 labels. */
export function tinyBatch(batch: number, seed = 2): { x: HostTensor; y: HostTensor } {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: batch * INPUTS }, () => rng.normal());
  const y = Int32Array.from({ length: batch }, () => Math.floor(rng.uniform() * CLASSES));
  return { x: new HostTensor(x, [batch, INPUTS]), y: new HostTensor(y, [batch]) };
}

/** Add a leading axis of length 1 (the stacked per-step inputs of a one-step Loop). */
export const stack1 = (t: HostTensor): HostTensor => new HostTensor(t.data, [1, ...t.shape]);

export const scalar64 = (v: number): HostTensor => new HostTensor(Float64Array.of(v), []);

/** All leaves of a tree, concatenated in flatten order, as float64. */
export function flat(tree: HostParams): Float64Array {
  const leaves = flatten<HostTensor>(tree).leaves;
  const out = new Float64Array(leaves.reduce((n, t) => n + t.data.length, 0));
  let o = 0;
  for (const t of leaves) {
    out.set(Float64Array.from(t.data as FloatArray), o);
    o += t.data.length;
  }
  return out;
}

export const norm = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
};

/** ||a − b|| / ||b||. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s) / Math.max(norm(b), 1e-300);
}

/** Bitwise equality of all leaves (dtype, shape and every value, NaN-safe). */
export function sameBits(a: HostParams, b: HostParams): boolean {
  const fa = flatten<HostTensor>(a);
  const fb = flatten<HostTensor>(b);
  if (fa.structure !== fb.structure) return false;
  return fa.leaves.every((t, i) => {
    const u = fb.leaves[i]!;
    if (t.dtype !== u.dtype || t.shape.join() !== u.shape.join()) return false;
    const x = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const y = new Uint8Array(u.data.buffer, u.data.byteOffset, u.data.byteLength);
    return x.length === y.length && x.every((v, j) => v === y[j]);
  });
}

/** Metric values without the wall-clock ones. */
export function withoutTiming<T extends Record<string, unknown>>(values: T): Omit<T, 'steps_per_sec' | 'wall_time'> {
  const { steps_per_sec: _, wall_time: _wall, ...rest } = values;
  return rest;
}

/** A temporary directory with a run store in it, removed afterwards. */
export function withStore(body: (store: RunStore, dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgdlab-train-'));
    const store = RunStore.open(join(dir, 'runs.db'));
    try {
      await body(store, dir);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
