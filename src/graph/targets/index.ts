// The target a compilation lowers for, from CompileOptions.

import type { CompileOptions } from '../options.ts';
import { ORT_CPU_OVERRIDES, ortCpuTarget, type OrtCpuOverride } from './ort-cpu/index.ts';
import { GraphError } from '../types.ts';
import { REFERENCE_TARGET, type Target } from './target.ts';

export { REFERENCE_TARGET, type Target } from './target.ts';

/** `nchwcBlock`: ORT's NCHWc channel block where the session will run (ort-cpu/probe.ts), or null. */
export function resolveTarget(options: CompileOptions, nchwcBlock: number | null): Target {
  const name = options.target ?? 'ort-cpu';
  if (name === 'reference') return REFERENCE_TARGET;
  if (name !== 'ort-cpu') throw new GraphError(`compile: unknown target '${String(name)}' (known: reference, ort-cpu)`);
  for (const k of Object.keys(options.overrides ?? {})) {
    if (!(ORT_CPU_OVERRIDES as readonly string[]).includes(k)) throw new GraphError(`compile: unknown override '${k}' (known: ${ORT_CPU_OVERRIDES.join(', ')})`);
  }
  const overrides = Object.fromEntries(ORT_CPU_OVERRIDES.map((k) => [k, options.overrides?.[k] ?? true])) as Record<OrtCpuOverride, boolean>;
  return ortCpuTarget({
    passes: {
      reassociate: options.reassociate ?? true,
      deferUpdates: Boolean(options.deferUpdates),
      fuse: options.fuse ?? true,
      fuseNchwc: options.fuseNchwc ?? true,
    },
    overrides,
    nchwcBlock,
    defer: typeof options.deferUpdates === 'object' ? options.deferUpdates : {},
  });
}

/** Whether lowering for these options can use the NCHWc kernels (so the caller probes for them). */
export const wantsNchwc = (options: CompileOptions): boolean => (options.target ?? 'ort-cpu') === 'ort-cpu' && options.overrides?.nchwc !== false;
