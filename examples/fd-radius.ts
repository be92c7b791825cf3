// How far the finite-difference regularizer (--reg-grad fd) moves with its radius r on a ReLU MLP:
// 48 float64 steps of MLP 784-1024x3-10 at batch 16 on random data, λ = 2^-6, ε = 0.01, from the
// same start, compared with r = 2^-20 (the float64 default). Run: npx tsx examples/fd-radius.ts
// (about 20 s on 2 cores). The numbers are in the README under "Optimizers".

import { compileLoop, flatten, nn, paramSpecs, spec, trainingStep, HostTensor, Rng, type Tree } from '../src/index.ts'; // 'sgdlab' when installed

const model = nn.buildModel('mlp:1024x3', [784], 10);
const [BATCH, STEPS] = [16, 48];

/** Final parameters after STEPS fd steps with radius r, and the initial ones. */
async function finalParams(fdRadius: number): Promise<{ final: Float64Array[]; initial: Float64Array[] }> {
  const rng = new Rng(7);
  const params = model.init(rng.fork('init'), 'float64');
  const program = await compileLoop(
    trainingStep(model, { kind: 'modified-fd', nStep: 1, weightDecay: 0, dtype: 'float64', fdRadius }),
    { carry: paramSpecs(params), perStep: { x: spec([BATCH, 784], 'float64'), y: spec([BATCH], 'int32'), lr: spec([], 'float64') }, shared: { lambda: spec([], 'float64') } },
    STEPS,
  );
  const x = new Float64Array(STEPS * BATCH * 784).map(() => rng.normal());
  const y = new Int32Array(STEPS * BATCH).map(() => rng.int(10));
  const out = (await program.run({
    carry: params,
    perStep: { x: new HostTensor(x, [STEPS, BATCH, 784]), y: new HostTensor(y, [STEPS, BATCH]), lr: new HostTensor(new Float64Array(STEPS).fill(0.01), [STEPS]) },
    shared: { lambda: new HostTensor(Float64Array.of(2 ** -6), []) },
  })) as { carry: Tree<HostTensor> };
  await program.release();
  const data = (t: Tree<HostTensor>) => flatten<HostTensor>(t).leaves.map((l) => l.data as Float64Array);
  return { final: data(out.carry), initial: data(params as Tree<HostTensor>) };
}

const maxAbsDiff = (a: Float64Array[], b: Float64Array[]) => Math.max(...a.map((x, i) => x.reduce((m, v, j) => Math.max(m, Math.abs(v - b[i]![j]!)), 0)));

const reference = await finalParams(2 ** -20);
console.log(`r = 2^-20: parameters moved up to ${maxAbsDiff(reference.final, reference.initial).toExponential(2)}`);
for (const log2r of [-10, -15, -25]) {
  const other = await finalParams(2 ** log2r);
  console.log(`r = 2^${log2r}: ends ${maxAbsDiff(other.final, reference.final).toExponential(2)} away from r = 2^-20`);
}
