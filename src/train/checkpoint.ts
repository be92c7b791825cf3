// Parameters to and from safetensors files. Tensor names are the parameter tree's paths
// ("layers.0.weight"), so checkpoints open in PyTorch/JAX/HF tooling under stable, documented names.

import { flatten, HostTensor, type Tree } from '../graph/index.ts';
import { readSafetensors, writeSafetensors, StoreError, type StoredTensor } from '../store/index.ts';

type HostParams = Tree<HostTensor>;

export function saveParams(path: string, params: HostParams, metadata: Record<string, string> = {}): void {
  const flat = flatten<HostTensor>(params);
  const tensors: Record<string, StoredTensor> = {};
  flat.leaves.forEach((t, i) => {
    Object.defineProperty(tensors, flat.paths[i]!, { enumerable: true, writable: true, configurable: true, value: { dtype: t.dtype as 'float32' | 'float64', shape: [...t.shape], data: t.data as Float32Array | Float64Array } });
  });
  writeSafetensors(path, tensors, metadata);
}

/**
 * Parameters shaped like `template`, read from a checkpoint. Every name must be present with the
 * template's shape; values are converted to the template's float dtype (float32 ⇄ float64).
 */
export function loadParams(path: string, template: HostParams): { params: HostParams; metadata: Record<string, string> } {
  const { tensors, metadata } = readSafetensors(path);
  const flat = flatten<HostTensor>(template);
  const expected = new Set(flat.paths);
  const extra = Object.keys(tensors).filter((k) => !expected.has(k));
  if (extra.length) throw new StoreError(`${path}: unexpected tensor '${extra[0]}' for this model (expected ${flat.paths.slice(0, 4).join(', ')}${flat.paths.length > 4 ? ', …' : ''})`);
  const leaves = flat.leaves.map((t, i) => {
    const name = flat.paths[i]!;
    const stored = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
    if (!stored) throw new StoreError(`${path}: missing tensor '${name}' for this model`);
    if (stored.shape.join(',') !== t.shape.join(',')) {
      throw new StoreError(`${path}: tensor '${name}' has shape [${stored.shape}], the model needs [${t.shape}]`);
    }
    if (stored.dtype !== 'float32' && stored.dtype !== 'float64') throw new StoreError(`${path}: tensor '${name}' has dtype ${stored.dtype}, expected a float dtype`);
    const data = t.dtype === 'float64' ? Float64Array.from(stored.data as Float32Array) : Float32Array.from(stored.data as Float64Array);
    return new HostTensor(data, t.shape);
  });
  return { params: flat.unflatten(leaves) as HostParams, metadata };
}
