// TensorFlow.js peer (child process): the plain training step of the bench's MLP or WRN on the wasm
// backend (cpu if wasm fails to start), and the attempt at the second-order gradient; prints @@PEER JSON.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FD_RADIUS, LAMBDA, LR, finish, gaussian, measure, modelShape, parseRequest } from './common.ts';

const request = parseRequest(process.argv);
const tf = await import('@tensorflow/tfjs');
const wasm = await import('@tensorflow/tfjs-backend-wasm');
type T = import('@tensorflow/tfjs').Tensor;

let backendNote: string;
try {
  const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(`${join(dist, '/')}`);
  wasm.setThreadsCount(request.threads);
  if (request.backend === 'cpu') throw new Error('cpu backend requested: tfjs-backend-wasm has no Conv2DBackpropFilter kernel');
  if (!(await tf.setBackend('wasm'))) throw new Error('setBackend(wasm) returned false');
  await tf.ready();
  backendNote = `tfjs ${tf.version.tfjs} wasm backend, setThreadsCount(${request.threads}) → getThreadsCount() = ${wasm.getThreadsCount()}`;
} catch (e) {
  await tf.setBackend('cpu');
  backendNote = `tfjs ${tf.version.tfjs} cpu backend (wasm failed: ${String((e as Error).message).slice(0, 120)})`;
}

const shape = modelShape(request.model);
const B = request.batch;
let seed = 11;
const normal = (dims: number[], std: number) => tf.tensor(gaussian(dims.reduce((a, b) => a * b, 1), std, seed++), dims);

// Parameters as a flat list (tf.grads differentiates with respect to a list); NHWC layout, HWIO kernels.
const params: T[] = [];
let apply: (p: T[], x: T) => T;
if (shape.kind === 'mlp') {
  const sizes = shape.sizes;
  for (let i = 1; i < sizes.length; i++) params.push(normal([sizes[i - 1]!, sizes[i]!], Math.sqrt(2 / sizes[i - 1]!)), tf.zeros([sizes[i]!]));
  apply = (p, x) => {
    let h = x;
    for (let i = 0; i < p.length / 2; i++) {
      h = tf.add(tf.matMul(h, p[2 * i]!), p[2 * i + 1]!);
      if (i < p.length / 2 - 1) h = tf.relu(h);
    }
    return h;
  };
} else {
  const conv = (cout: number, cin: number, k: number) => normal([k, k, cin, cout], Math.sqrt(2 / (cin * k * k)));
  params.push(conv(16, shape.channels, 3));
  const index: { c1: number; c2: number; gate: number; sc: number }[] = [];
  for (const b of shape.blocks) {
    const c1 = params.push(conv(b.cout, b.cin, 3)) - 1;
    const c2 = params.push(conv(b.cout, b.cout, 3)) - 1;
    const gate = params.push(tf.scalar(0)) - 1;
    const sc = b.shortcut ? params.push(conv(b.cout, b.cin, 1)) - 1 : -1;
    index.push({ c1, c2, gate, sc });
  }
  const hw = params.push(normal([shape.width, shape.classes], Math.sqrt(1 / shape.width))) - 1;
  const hb = params.push(tf.zeros([shape.classes])) - 1;
  apply = (p, x) => {
    let h = tf.conv2d(x as import('@tensorflow/tfjs').Tensor4D, p[0] as import('@tensorflow/tfjs').Tensor4D, 1, 'same');
    shape.blocks.forEach((b, i) => {
      const ix = index[i]!;
      const pre = tf.relu(h);
      const mid = tf.relu(tf.conv2d(pre, p[ix.c1] as import('@tensorflow/tfjs').Tensor4D, b.stride, 'same'));
      const branch = tf.mul(tf.conv2d(mid, p[ix.c2] as import('@tensorflow/tfjs').Tensor4D, 1, 'same'), p[ix.gate]!);
      const skip = ix.sc >= 0 ? tf.conv2d(pre, p[ix.sc] as import('@tensorflow/tfjs').Tensor4D, b.stride, 'same') : h;
      h = tf.add(skip, branch);
    });
    return tf.add(tf.matMul(tf.mean(tf.relu(h), [1, 2]), p[hw]!), p[hb]!);
  };
}

const inShape = shape.kind === 'mlp' ? [B, 784] : [B, 32, 32, 3];
const x = tf.tensor(gaussian(inShape.reduce((a, b) => a * b, 1), 1, 5), inShape);
const labels = new Int32Array(B).map((_, i) => (i * 7) % 10);
const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
const cost = (...p: T[]): T => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(apply(p, x)), y), -1)));

/** What tfjs does when asked for ∇(Ĉ + (λ/4)||∇Ĉ||²): tf.grads of a function that itself calls tf.grads. */
function secondOrder(): string {
  try {
    const modified = (...p: T[]): T => {
      const g = tf.grads(cost)(p);
      return tf.add(cost(...p), tf.mul(tf.addN(g.map((gi) => tf.sum(tf.square(gi)))), LAMBDA / 4));
    };
    const d = tf.tidy(() => {
      const out = tf.grads(modified)(params);
      return tf.addN(out.map((gi) => tf.sum(tf.square(gi))));
    });
    const v = d.dataSync()[0]!;
    d.dispose();
    // Reference: the first-order gradient's own norm² (the modified gradient differs from it by (λ/2)H∇Ĉ).
    const g0 = tf.tidy(() => tf.addN(tf.grads(cost)(params).map((gi) => tf.sum(tf.square(gi)))));
    const v0 = g0.dataSync()[0]!;
    g0.dispose();
    // Check against forward differences at two radii: ∇Ĉ + (λ/2)(∇Ĉ(w + h∇Ĉ) − ∇Ĉ(w))/h, h = r/||∇Ĉ||.
    const fdNorm = (r: number): number => {
      const fd = tf.tidy(() => {
        const g = tf.grads(cost)(params);
        const h = r / Math.sqrt(v0);
        const gs = tf.grads(cost)(params.map((w, i) => tf.add(w, tf.mul(g[i]!, h))));
        return tf.addN(g.map((gi, i) => tf.sum(tf.square(tf.add(gi, tf.mul(tf.sub(gs[i]!, gi), LAMBDA / 2 / h))))));
      });
      const vf = fd.dataSync()[0]!;
      fd.dispose();
      return vf;
    };
    const [f1, f2] = [fdNorm(FD_RADIUS), fdNorm(FD_RADIUS / 8)];
    return `second-order tf.grads(tf.grads) runs without error and returns ||∇C_mod||² = ${v.toPrecision(4)} against ||∇Ĉ||² = ${v0.toPrecision(4)}; finite differences of tfjs's own gradients give ${f1.toPrecision(4)} (r = 2^-10) and ${f2.toPrecision(4)} (r = 2^-13)${v === v0 ? ': the (λ/2)H∇Ĉ term is silently dropped' : ''}; not timed (the issue asks tfjs for the plain step)`;
  } catch (e) {
    return `second-order tf.grads(…tf.grads…) fails: ${String((e as Error).message ?? e).split('\n')[0]!.slice(0, 200)}`;
  }
}

let note = backendNote;
try {
  if (request.kind !== 'plain') {
    finish({ msPerStep: null, bestMsPerStep: null, reps: 0, foreignLoad: null, warmupMs: null, note: `${note}; ${secondOrder()}` });
  }
  const lr = LR;
  const run = async () => {
    const updated = tf.tidy(() => {
      const g = tf.grads(cost)(params);
      return params.map((w, i) => tf.sub(w, tf.mul(g[i]!, lr)));
    });
    await updated[0]!.data();
    tf.dispose(updated);
  };
  try {
    if (request.warmup > 0) await run();
  } catch (e) {
    if (tf.getBackend() !== 'wasm') throw e;
    // tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel: the conv nets train on the cpu backend.
    note = `${note}; ${String((e as Error).message).split('\n')[0]}: fell back to the cpu backend (pure JS, 1 thread)`;
    await tf.setBackend('cpu');
    await tf.ready();
  }
  const r = await measure(run, request);
  finish({ ...r, note });
} catch (e) {
  note += `; failed: ${String((e as Error).message ?? e).split('\n')[0]!.slice(0, 300)}`;
  finish({ msPerStep: null, bestMsPerStep: null, reps: 0, foreignLoad: null, warmupMs: null, note });
}
