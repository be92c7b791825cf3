// jax-js peer (child process): one training step (plain, modified exact by nested grad, modified fd) of
// the bench's MLP or WRN on jax-js's wasm backend, jit-compiled; prints one @@PEER JSON line.

import { resolveObjectURL } from 'node:buffer';
import { Worker as ThreadWorker } from 'node:worker_threads';
import { FD_RADIUS, LAMBDA, LR, finish, gaussian, measure, modelShape, parseRequest, type MlpShape, type WrnShape } from './common.ts';

const request = parseRequest(process.argv);

/**
 * jax-js threads its wasm kernels with Web Workers when `Worker` and SharedArrayBuffer exist; Node 20 has
 * no global Worker (and no navigator), so its wasm backend would run on one thread. This shim gives it
 * worker_threads behind the Web Worker interface it uses (blob-URL source, onmessage, postMessage), and
 * navigator.hardwareConcurrency = the bench's thread count (jax-js sizes its pool from it).
 */
class NodeWebWorker {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  #worker: ThreadWorker | undefined;
  #queue: unknown[] = [];
  constructor(url: string) {
    const blob = resolveObjectURL(url);
    if (!blob) throw new Error(`NodeWebWorker: cannot resolve ${url}`);
    void blob.text().then((source) => {
      const prelude = "const { parentPort } = require('node:worker_threads'); globalThis.self = globalThis;" +
        'globalThis.postMessage = (m) => parentPort.postMessage(m);' +
        "parentPort.on('message', (data) => globalThis.self.onmessage?.({ data }));\n";
      const w = new ThreadWorker(prelude + source, { eval: true });
      w.unref();
      w.on('message', (data) => this.onmessage?.({ data }));
      w.on('error', (e) => this.onerror?.({ message: String(e) }));
      this.#worker = w;
      for (const m of this.#queue) w.postMessage(m);
      this.#queue = [];
    });
  }
  postMessage(m: unknown): void {
    if (this.#worker) this.#worker.postMessage(m);
    else this.#queue.push(m);
  }
  terminate(): void {
    void this.#worker?.terminate();
  }
}
const g = globalThis as Record<string, unknown>;
if (request.threads > 1 && g.Worker === undefined) {
  g.Worker = NodeWebWorker;
  if (g.navigator === undefined) g.navigator = { hardwareConcurrency: request.threads };
  else Object.defineProperty(g.navigator as object, 'hardwareConcurrency', { value: request.threads, configurable: true });
}

const jax = await import('@jax-js/jax');
const { numpy: np, nn, lax, tree, grad, valueAndGrad, jit, init, defaultDevice } = jax;
type Arr = InstanceType<typeof jax.Array>;
type P = { [k: string]: Arr | P | P[] } | P[];

await init('wasm');
defaultDevice('wasm');

const shape = modelShape(request.model);
const B = request.batch;

function initParams(s: MlpShape | WrnShape): P {
  let seed = 11;
  const normal = (dims: number[], std: number) => np.array(gaussian(dims.reduce((a, b) => a * b, 1), std, seed++)).reshape(dims);
  if (s.kind === 'mlp') {
    return { layers: s.sizes.slice(1).map((out, i) => ({ w: normal([s.sizes[i]!, out], Math.sqrt(2 / s.sizes[i]!)), b: np.zeros([out]) })) };
  }
  const conv = (cout: number, cin: number, k: number) => normal([cout, cin, k, k], Math.sqrt(2 / (cin * k * k)));
  return {
    stem: conv(16, s.channels, 3),
    blocks: s.blocks.map((b) => ({ conv1: conv(b.cout, b.cin, 3), conv2: conv(b.cout, b.cout, 3), gate: np.zeros([]), ...(b.shortcut ? { shortcut: conv(b.cout, b.cin, 1) } : {}) })),
    head: { w: normal([s.width, s.classes], Math.sqrt(1 / s.width)), b: np.zeros([s.classes]) },
  };
}

/** Logits, consuming params and x (jax-js ownership: every argument is consumed; .ref keeps a use). */
function apply(p: P, x: Arr): Arr {
  const q = p as Record<string, any>;
  if (shape.kind === 'mlp') {
    let h = x;
    const layers = q.layers as { w: Arr; b: Arr }[];
    layers.forEach((l, i) => {
      h = np.matmul(h, l.w).add(l.b);
      if (i < layers.length - 1) h = nn.relu(h);
    });
    return h;
  }
  const pad1: [number, number][] = [[1, 1], [1, 1]];
  let h = lax.conv(x, q.stem as Arr, [1, 1], pad1);
  shape.blocks.forEach((b, i) => {
    const blk = q.blocks[i] as { conv1: Arr; conv2: Arr; gate: Arr; shortcut?: Arr };
    const pre = nn.relu(h.ref);
    const mid = nn.relu(lax.conv(pre.ref, blk.conv1, [b.stride, b.stride], pad1));
    const branch = lax.conv(mid, blk.conv2, [1, 1], pad1).mul(blk.gate);
    const skip = blk.shortcut ? lax.conv(pre, blk.shortcut, [b.stride, b.stride], [[0, 0], [0, 0]]) : (pre.dispose(), h.ref);
    h.dispose();
    h = skip.add(branch);
  });
  const pooled = nn.relu(h).mean([2, 3]);
  return np.matmul(pooled, q.head.w as Arr).add(q.head.b as Arr);
}

const cost = (p: P, x: Arr, y: Arr): Arr => nn.logSoftmax(apply(p, x), -1).mul(y).sum(-1).mean().neg();
const sqnorm = (t: P): Arr => (tree.leaves(t) as Arr[]).map((a) => a.ref.mul(a).sum()).reduce((a, b) => a.add(b));

/** One step: params → params − lr·direction (all arguments consumed). */
function step(p: P, x: Arr, y: Arr, lr: Arr, lambda: Arr): P {
  let d: P;
  if (request.kind === 'plain') {
    lambda.dispose();
    d = grad(cost)(tree.ref(p), x, y) as P;
  } else if (request.kind === 'modified-exact') {
    d = grad((w: P) => {
      const [c, gw] = valueAndGrad(cost)(w, x.ref, y.ref) as [Arr, P];
      return c.add(sqnorm(gw).mul(lambda.ref).mul(0.25));
    })(tree.ref(p)) as P;
    x.dispose(); y.dispose(); lambda.dispose();
  } else {
    const g0 = grad(cost)(tree.ref(p), x.ref, y.ref) as P;
    const h = np.reciprocal(np.maximum(np.sqrt(sqnorm(tree.ref(g0))), 1e-30)).mul(FD_RADIUS);
    const shifted = tree.map((w: Arr, gi: Arr) => w.sub(gi.mul(h.ref)), tree.ref(p), tree.ref(g0)) as P;
    const g1 = grad(cost)(shifted, x, y) as P;
    const coef = lambda.mul(0.5).div(h);
    d = tree.map((a: Arr, b: Arr) => a.ref.add(b.sub(a).mul(coef.ref)), g0, g1) as P;
    coef.dispose();
  }
  const out = tree.map((w: Arr, di: Arr) => w.sub(di.mul(lr.ref)), p, d) as P;
  lr.dispose();
  return out;
}

let note = `jax-js wasm, jit-compiled step; ${request.threads > 1 ? `${request.threads} worker threads (worker_threads shim for its Web Worker pool)` : '1 thread'}`;
try {
  let jitted = jit(step as any) as unknown as (p: P, x: Arr, y: Arr, lr: Arr, l: Arr) => P;
  const inShape = shape.kind === 'mlp' ? [B, 784] : [B, 3, 32, 32];
  const xData = gaussian(inShape.reduce((a, b) => a * b, 1), 1, 5);
  const yData = new Float32Array(B * 10);
  for (let i = 0; i < B; i++) yData[i * 10 + (i * 7) % 10] = 1;
  const p0 = initParams(shape);
  const x = np.array(xData).reshape(inShape);
  const y = np.array(yData).reshape([B, 10]);
  const lr = np.array(new Float32Array([LR])).reshape([]);
  const lambda = np.array(new Float32Array([LAMBDA])).reshape([]);
  // Every call restarts from the same parameters (as the sgdlab rows do); the result is read back.
  const run = async () => {
    const out = jitted(tree.ref(p0), x.ref, y.ref, lr.ref, lambda.ref);
    const leaves = tree.leaves(out) as Arr[];
    await Promise.all(leaves.map((a) => a.blockUntilReady()));
    const probe = await leaves[0]!.ref.data();
    if (!Number.isFinite(probe[0]!)) throw new Error('non-finite parameters after the step');
    tree.dispose(out);
  };
  try {
    await run();
  } catch (e) {
    if (!request.eagerFallback) throw e;
    note += `; jit failed (${String((e as Error).message ?? e).split('\n')[0]!.slice(0, 120)}): timed eagerly, op by op`;
    jitted = step;
  }
  const r = await measure(run, request);
  finish({ ...r, note });
} catch (e) {
  note += `; failed: ${String((e as Error).message ?? e).split('\n')[0]!.slice(0, 300)}`;
  finish({ msPerStep: null, bestMsPerStep: null, reps: 0, foreignLoad: null, warmupMs: null, note });
}
