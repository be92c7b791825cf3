// The compiler's runtime in the browser: the playground's bundle maps `onnxruntime-node` to this
// module (src/web/build.ts), so src/graph's sessions run on onnxruntime-web, wasm or WebGPU, unchanged.

import type * as Ort from 'onnxruntime-web';
import type { Runtime } from './settings.ts';

let ort: typeof Ort | undefined;
let providers: string[] = ['wasm'];

/**
 * Load onnxruntime-web once per worker: the plain wasm build (SIMD, threads), or the WebGPU build,
 * whose unsupported ops fall back to wasm node by node. The .wasm and its loader come from the page's
 * own origin (`wasmBase`), never from a CDN.
 */
export async function useRuntime(kind: Runtime, threads: number, wasmBase: string): Promise<{ threads: number; crossOriginIsolated: boolean }> {
  if (!ort) {
    ort = kind === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
    providers = kind === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'];
    ort.env.logLevel = 'error';
    ort.env.wasm.wasmPaths = wasmBase;
    // Threads need SharedArrayBuffer, which only a cross-origin isolated page has.
    ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? threads : 1;
  }
  return { threads: ort.env.wasm.numThreads ?? 1, crossOriginIsolated: Boolean(globalThis.crossOriginIsolated) };
}

function runtime(): typeof Ort {
  if (!ort) throw new Error('onnxruntime-web is not loaded yet (call useRuntime first)');
  return ort;
}

// ONNX Runtime's NCHWc kernels are MLAS x86 code, absent from the wasm build; src/graph probes for
// them once, and a refused probe is its answer (null: no NCHWc). Refused here, before the runtime
// would log the unknown operator set as an error.
const NCHWC = new TextEncoder().encode('com.microsoft.nchwc');
function usesNchwc(model: Uint8Array): boolean {
  outer: for (let i = 0; i + NCHWC.length <= model.length; i++) {
    for (let j = 0; j < NCHWC.length; j++) if (model[i + j] !== NCHWC[j]) continue outer;
    return true;
  }
  return false;
}

/** What src/graph/session.ts calls: InferenceSession.create with the page's execution providers. */
export const InferenceSession = {
  async create(model: Uint8Array, options: Ort.InferenceSession.SessionOptions = {}): Promise<Ort.InferenceSession> {
    if (model.length < 4096 && usesNchwc(model)) throw new Error('com.microsoft.nchwc: not in onnxruntime-web');
    // Thread counts are the page's (env.wasm.numThreads), not a session option in onnxruntime-web.
    const { intraOpNumThreads: _intra, interOpNumThreads: _inter, ...rest } = options;
    return runtime().InferenceSession.create(model, { ...rest, executionProviders: providers });
  },
};

/** `new Tensor(type, data, dims)` of the loaded runtime. */
export const Tensor = function Tensor(type: Ort.Tensor.Type, data: Ort.Tensor.DataType, dims: readonly number[]) {
  return new (runtime().Tensor)(type as 'float32', data as Float32Array, dims);
} as unknown as typeof Ort.Tensor;
