// Parameters (and the optimizer's state) to and from safetensors files. Tensor names are the
// parameter tree's paths ("layers.0.weight"), so checkpoints open in PyTorch/JAX/HF tooling under
// stable, documented names; optimizer state sits beside them as "opt.velocity.layers.0.weight".

import { flatten, HostTensor, type Tree } from '../graph/index.ts';
import type { OptState } from '../optim/index.ts';
import { readSafetensors, writeSafetensors, StoreError, type StoredTensor } from '../store/index.ts';

type HostParams = Tree<HostTensor>;

/** Prefix of the optimizer state's tensor names. */
export const OPT_PREFIX = 'opt.';

/** The named leaves of the parameters and, under OPT_PREFIX, of the optimizer state. */
function namedLeaves(params: HostParams, opt: OptState<HostTensor>): { names: string[]; leaves: HostTensor[]; unflatten: (leaves: HostTensor[]) => { params: HostParams; opt: OptState<HostTensor> } } {
  const p = flatten<HostTensor>(params);
  const o = flatten<HostTensor>(opt as HostParams);
  return {
    names: [...p.paths, ...o.paths.map((n) => OPT_PREFIX + n)],
    leaves: [...p.leaves, ...o.leaves],
    unflatten: (leaves) => ({
      params: p.unflatten(leaves.slice(0, p.leaves.length)) as HostParams,
      opt: o.unflatten(leaves.slice(p.leaves.length)) as OptState<HostTensor>,
    }),
  };
}

export function saveParams(path: string, params: HostParams, metadata: Record<string, string> = {}, opt: OptState<HostTensor> = {}): void {
  const named = namedLeaves(params, opt);
  const tensors: Record<string, StoredTensor> = {};
  named.leaves.forEach((t, i) => {
    // defineProperty, not assignment: a tensor named "__proto__" must stay a tensor.
    Object.defineProperty(tensors, named.names[i]!, { enumerable: true, writable: true, configurable: true, value: { dtype: t.dtype as StoredTensor['dtype'], shape: [...t.shape], data: t.data as StoredTensor['data'] } });
  });
  writeSafetensors(path, tensors, metadata);
}

/**
 * Parameters shaped like `template`, read from a checkpoint. Every name must be present with the
 * template's shape; values are converted to the template's float dtype (float32 ⇄ float64).
 * With `optTemplate` the optimizer state is read too (every tensor required); without it, the
 * checkpoint's optimizer state is ignored (--init and export take the parameters alone).
 */
export function loadParams(path: string, template: HostParams, optTemplate?: OptState<HostTensor>): { params: HostParams; opt: OptState<HostTensor>; metadata: Record<string, string> } {
  const { tensors, metadata } = readSafetensors(path);
  const named = namedLeaves(template, optTemplate ?? {});
  const expected = new Set(named.names);
  const extra = Object.keys(tensors).filter((k) => !expected.has(k) && (optTemplate || !k.startsWith(OPT_PREFIX)));
  if (extra.length) throw new StoreError(`${path}: unexpected tensor '${extra[0]}' for this model (expected ${named.names.slice(0, 4).join(', ')}${named.names.length > 4 ? ', …' : ''})`);
  const leaves = named.leaves.map((t, i) => {
    const name = named.names[i]!;
    const stored = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
    if (!stored) throw new StoreError(`${path}: missing tensor '${name}' for this ${name.startsWith(OPT_PREFIX) ? 'optimizer' : 'model'}`);
    if (stored.shape.join(',') !== t.shape.join(',')) {
      throw new StoreError(`${path}: tensor '${name}' has shape [${stored.shape}], the model needs [${t.shape}]`);
    }
    // An optimizer's step count (Adam's 'opt.step') is an int64 scalar, stored as safetensors I64 and
    // read back exactly; everything else is a float tensor, converted to the template's float dtype.
    if (t.dtype === 'int64') {
      if (stored.dtype !== 'int64') throw new StoreError(`${path}: tensor '${name}' has dtype ${stored.dtype}, expected int64 (a step count)`);
      return new HostTensor(BigInt64Array.from(stored.data as BigInt64Array), t.shape);
    }
    if (stored.dtype !== 'float32' && stored.dtype !== 'float64') throw new StoreError(`${path}: tensor '${name}' has dtype ${stored.dtype}, expected a float dtype`);
    const data = t.dtype === 'float64' ? Float64Array.from(stored.data as Float32Array) : Float32Array.from(stored.data as Float64Array);
    return new HostTensor(data, t.shape);
  });
  const { params, opt } = named.unflatten(leaves);
  return { params, opt, metadata };
}
