// Builds the playground: esbuild bundles the page and its worker (the compiler included) for the
// browser; onnxruntime-web's wasm files and the embedded digits are copied beside them, same origin.
// `sgdlab playground` serves the result from memory; `npm run build:playground` writes it to a folder.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

// The page's sources, also when this module runs compiled from dist/web (the package ships src/ beside dist/).
const here = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'web');

/** One file of the built site: its path under the site root and its bytes. */
export interface SiteFile {
  path: string;
  bytes: Uint8Array;
}

/**
 * The headers a host must send for onnxruntime-web's threads: cross-origin isolation (COOP + COEP)
 * unlocks SharedArrayBuffer. Without them the page still works, on one thread per run.
 */
export const ISOLATION_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** onnxruntime-web's files the page loads: the plain wasm build, and the WebGPU (asyncify) build on demand. */
const ORT_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

/**
 * Node built-ins (and Node-only packages: node-tar, for CIFAR-10 downloads) reached through modules the
 * browser code imports but whose Node-only functions it never calls (file reading in src/data/digits.ts,
 * archive extraction in src/data/tar.ts): each becomes an object whose every function throws, so a call
 * by mistake fails loudly instead of silently.
 */
const nodeBuiltinsUnavailable: esbuild.Plugin = {
  name: 'node-builtins-unavailable',
  setup(build) {
    build.onResolve({ filter: /^(node:.*|tar)$/ }, (args) => ({ path: args.path, namespace: 'node-builtin' }));
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
      contents: `module.exports = new Proxy({}, { get: (_, key) => key === '__esModule' ? false : () => { throw new Error(${JSON.stringify(args.path)} + '.' + String(key) + ' is not available in the browser'); } });`,
      loader: 'js',
    }));
  },
};

export interface BuildOptions {
  minify?: boolean;
}

/** The whole site as files in memory. */
export async function buildPlayground(options: BuildOptions = {}): Promise<SiteFile[]> {
  const result = await esbuild.build({
    entryPoints: { app: join(here, 'app.ts'), worker: join(here, 'worker.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: '/playground',
    write: false,
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
    // The compiler's `import * as ort from 'onnxruntime-node'` runs on onnxruntime-web in the page.
    alias: { 'onnxruntime-node': join(here, 'ort-runtime.ts') },
    // onnxruntime-web's builds that load their .wasm and loader from env.wasm.wasmPaths (our origin).
    conditions: ['onnxruntime-web-use-extern-wasm'],
    plugins: [nodeBuiltinsUnavailable],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const files: SiteFile[] = result.outputFiles.map((f) => ({ path: f.path.replace(/^\/playground\//, ''), bytes: f.contents }));
  files.push({ path: 'index.html', bytes: readFileSync(join(here, 'static', 'index.html')) });
  files.push({ path: 'style.css', bytes: readFileSync(join(here, 'static', 'style.css')) });
  files.push({ path: 'assets/digits.csv.gz', bytes: readFileSync(join(here, '..', 'data', 'assets', 'digits.csv.gz')) });
  const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
  for (const name of ORT_FILES) files.push({ path: `ort/${name}`, bytes: readFileSync(join(ortDist, name)) });
  // Static hosts that read a _headers file (Netlify, Cloudflare Pages) send the isolation headers from it.
  const headers = `/*\n${Object.entries(ISOLATION_HEADERS).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`;
  files.push({ path: '_headers', bytes: new TextEncoder().encode(headers) });
  return files;
}

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.gz': 'application/gzip',
};

/** Write the site to `dir` (what `npm run build:playground` does). */
export async function writePlayground(dir: string): Promise<SiteFile[]> {
  const files = await buildPlayground();
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.bytes);
  }
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? 'dist/playground';
  const files = await writePlayground(dir);
  const bytes = files.reduce((s, f) => s + f.bytes.byteLength, 0);
  process.stdout.write(`playground: ${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MB in ${dir}\nserve it with these headers for threads: ${Object.entries(ISOLATION_HEADERS).map(([k, v]) => `${k}: ${v}`).join('; ')}\n`);
}
