// The ONNX models the bench compiles (default options), written with their hashes without opening
// their sessions, so that a compiler refactor can be checked byte for byte against the commit before:
//   node --import tsx bench/dump-models.ts OUTDIR   (then diff OUTDIR/hashes.txt between commits)
import * as ort from 'onnxruntime-node';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildModel } from '../src/nn/index.ts';
import { compileTrainingSteps, paramSpecs } from '../src/train/index.ts';
import { compile, spec, vjp, conv2d, type Tensor } from '../src/graph/index.ts';
import { Rng } from '../src/util/random.ts';

const out = process.argv[2]!;
mkdirSync(out, { recursive: true });
const realCreate = ort.InferenceSession.create.bind(ort.InferenceSession);
// Small models (the NCHWc probe) open for real; the rest get a stand-in session.
(ort.InferenceSession as unknown as { create: unknown }).create = async (bytes: Uint8Array, opts: unknown) =>
  bytes.length < 2000 ? realCreate(bytes, opts as never) : ({ release: async () => {} } as unknown as ort.InferenceSession);

const configs = [
  ['mlp-784-1024x3-10', 'mlp:1024x3', [784], 16, 64],
  ['mlp-784-1024x3-10', 'mlp:1024x3', [784], 128, 64],
  ['mlp-784-4096x3-10', 'mlp:4096x3', [784], 16, 16],
  ['wrn-10-1', 'wrn:10-1', [3, 32, 32], 32, 4],
  ['wrn-16-4', 'wrn:16-4', [3, 32, 32], 32, 1],
] as const;
const lines: string[] = [];
const record = (name: string, bytes: Uint8Array) => {
  writeFileSync(`${out}/${name}.onnx`, bytes);
  lines.push(`${createHash('sha256').update(bytes).digest('hex').slice(0, 16)} ${bytes.length} ${name}`);
};
for (const [name, modelSpec, shape, batch, K] of configs) {
  for (const kind of ['plain', 'modified-exact', 'modified-fd'] as const) {
    for (const steps of K === 1 ? [1] : [1, K]) {
      const model = buildModel(modelSpec, [...shape], 10);
      const params = model.init(new Rng(7).fork('init'), 'float32');
      const p = await compileTrainingSteps(model, paramSpecs(params), { kind, dtype: 'float32', batch, steps }, { threads: 2 });
      record(`${name}-b${batch}-${kind}-K${steps}`, p.model);
    }
  }
}
// Convolution layers alone (both dtypes, the lowering's branches): forward, input and weight gradients.
const geometries = [
  [32, 64, 32, 64, 3, 1], [32, 128, 16, 128, 3, 1], [32, 256, 8, 256, 3, 1], [32, 128, 16, 256, 3, 2],
  [32, 128, 16, 256, 1, 2], [8, 3, 32, 16, 3, 1], [4, 5, 7, 6, 3, 2], [32, 16, 32, 16, 3, 1], [2, 640, 8, 640, 3, 1],
] as const;
for (const [n, c, h, o, k, s] of geometries) {
  for (const dtype of ['float32', 'float64'] as const) {
    const opts = { stride: s, padding: (k - 1) / 2 };
    const ho = Math.floor((h + k - 1 - k) / s) + 1;
    const specs = { x: spec([n, c, h, h], dtype), w: spec([o, c, k, k], dtype), g: spec([n, o, ho, ho], dtype) };
    type In = { x: Tensor; w: Tensor; g: Tensor };
    const tag = `conv-${n}-${c}-${h}-${o}-${k}-${s}-${dtype}`;
    record(`${tag}-fwd`, (await compile(({ x, w }: In) => conv2d(x, w, opts), specs)).model);
    record(`${tag}-ig`, (await compile(({ x, w, g }: In) => vjp((v: Tensor) => conv2d(v, w, opts), x)[1](g), specs)).model);
    record(`${tag}-wg`, (await compile(({ x, w, g }: In) => vjp((v: Tensor) => conv2d(x, v, opts), w)[1](g), specs)).model);
  }
}
writeFileSync(`${out}/hashes.txt`, lines.join('\n') + '\n');
console.log(lines.join('\n'));
