// ONNX Runtime execution providers: which the installed onnxruntime-node offers and can open here, and
// what a session on one is told. Node only, like session.ts (the browser's runtime picks its own).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { HostTensor } from './host.ts';
import { GraphLowering, ModelBuilder, valueInfo } from './lower.ts';
import type { HostArray } from './tensor.ts';
import type { ProbeRuntime } from './targets/index.ts';
import type { GraphOptimization } from './options.ts';
import { GraphError } from './types.ts';

/** The provider every ONNX Runtime build has, and the default. */
export const DEFAULT_PROVIDER = 'cpu';

/**
 * The providers this onnxruntime-node build knows, and whether their libraries ship inside the package;
 * null in the browser bundle (src/web/ort-runtime.ts stands in for onnxruntime-node), whose page picks providers.
 */
function offeredProviders(): { name: string; bundled: boolean }[] | null {
  const list = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] }).listSupportedBackends;
  return typeof list === 'function' ? list() : null;
}

const checked = new Map<string, Promise<void>>();

/**
 * Resolves when `name` can run a session here; else a one-line GraphError: not offered by this
 * onnxruntime-node, or offered but failing to open (provider library not installed, no device).
 * Checked once per process and provider, by opening a one-node session on it.
 */
export function checkExecutionProvider(name: string): Promise<void> {
  let p = checked.get(name);
  if (!p) {
    p = openOn(name);
    checked.set(name, p);
  }
  return p;
}

async function openOn(name: string): Promise<void> {
  if (name === DEFAULT_PROVIDER) return;
  const offered = offeredProviders();
  if (!offered) throw new GraphError(`execution provider '${name}': this runtime chooses its own providers`);
  const where = `onnxruntime-node ${ort.env?.versions?.common ?? ''}`.trim();
  const entry = offered.find((p) => p.name === name);
  if (!entry) throw new GraphError(`execution provider '${name}': not offered by ${where} (offered: ${offered.map((p) => p.name).join(', ')})`);
  // A provider outside the npm package is a library its install script fetches (skipped here: .npmrc).
  // Asked for without it, ONNX Runtime logs a page of errors before failing; say it in one line instead.
  const missing = entry.bundled ? undefined : missingProviderLibrary(name);
  if (missing) throw new GraphError(`execution provider '${name}': not installed in ${where} (no ${missing} beside its binding; see docs/gpu.md)`);
  try {
    await runOn(name)(identityModel(), { x: new HostTensor(new Float32Array(1), [1]) });
  } catch (e) {
    throw new GraphError(`execution provider '${name}': not available in ${where}: ${firstLine(e)}`);
  }
}

/** The first library a non-bundled provider needs that is absent from onnxruntime-node's binding directory, if any. */
function missingProviderLibrary(name: string): string | undefined {
  let dir: string;
  try {
    const main = createRequire(import.meta.url).resolve('onnxruntime-node');
    dir = join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined; // not found the way the package lays itself out: let the session say what is wrong
  }
  const file = (lib: string) => (process.platform === 'win32' ? `onnxruntime_providers_${lib}.dll` : `libonnxruntime_providers_${lib}.so`);
  if (!existsSync(dir)) return undefined;
  return [file('shared'), file(name)].find((f) => !existsSync(join(dir, f)));
}

function identityModel(): Uint8Array {
  const model = new ModelBuilder();
  const g = new GraphLowering(model);
  const y = g.node('Identity', ['x']);
  return model.encode({ name: 'provider_probe', node: g.nodes, input: [valueInfo('x', 'float32', [1])], output: [valueInfo(y, 'float32', [1])] });
}

/** Session options that place a session on `provider` (the CPU's are ORT's defaults, left unset). */
export const providerOptions = (provider: string): ort.InferenceSession.SessionOptions =>
  provider === DEFAULT_PROVIDER ? {} : { executionProviders: [provider] };

/**
 * 'auto' resolved: on the CPU, 'basic' for programs with float64 (the extended CPU fusions fold scalar
 * factors into MatMul as float32, ≈ 2e-8 relative drift) and 'all' otherwise; elsewhere ORT's default, 'all'.
 */
export function autoOptimization(provider: string, usesFloat64: boolean): GraphOptimization {
  return provider === DEFAULT_PROVIDER && usesFloat64 ? 'basic' : 'all';
}

const runtimes = new Map<string, ProbeRuntime>();

/** A target's probe runtime on `provider` (one per provider, so probes are cached): a one-thread session, run once, released. */
export function runOn(provider: string): ProbeRuntime {
  let run = runtimes.get(provider);
  if (!run) {
    run = probeSession(provider);
    runtimes.set(provider, run);
  }
  return run;
}

function probeSession(provider: string): ProbeRuntime {
  return async (model, inputs) => {
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, logSeverityLevel: 4, ...providerOptions(provider) });
    try {
      const feeds = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, new ort.Tensor(t.dtype, t.data as never, [...t.shape])]));
      const out = await session.run(feeds);
      return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, new HostTensor(t.data as HostArray, t.dims)]));
    } finally {
      await session.release();
    }
  };
}

export function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]!;
}
