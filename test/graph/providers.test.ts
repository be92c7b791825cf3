// Execution providers (src/graph/providers.ts): training through the reference lowering on the CPU
// provider gives the ort-cpu target's numbers, and a provider this runtime cannot open is refused in
// one line, by the library and by `sgdlab train` (exit 2, no store). No GPU here: CUDA/WebGPU untested.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkExecutionProvider, compile, flatten, lowerFunction, spec, CompiledFunction, HostTensor, type Tensor, type Tree } from '../../src/graph/index.ts';
import { resolveConfig, train, type TrainConfig } from '../../src/train/index.ts';
import { sgdlab } from '../sgdlab-cli.ts';
import { maxRelDiff } from './helpers.ts';

const leaves = (params: Tree<HostTensor>) => flatten<HostTensor>(params).leaves.map((t) => t.data as Float32Array | Float64Array);

async function trained(overrides: Partial<TrainConfig>) {
  // Batch 16 of 784 inputs into 1024 units: the ort-cpu target defers the first layer's updates,
  // re-associates nothing (plain SGD) and fuses the updates into Gemms; the reference does none of it.
  const config = resolveConfig({ data: 'synthetic', dimension: 784, trainSize: 128, testSize: 32, model: 'mlp:1024x1', batch: 16, lr: 2 ** -4, epochs: 3, threads: 1, ...overrides });
  const r = await train(config);
  assert.equal(r.status, 'finished');
  return { params: leaves(r.params), loss: r.final.train_loss!, acc: r.final.test_acc! };
}

for (const dtype of ['float64', 'float32'] as const) {
  test(`${dtype} training on the CPU provider through the reference lowering gives the ort-cpu target's numbers`, async () => {
    const ortCpu = await trained({ dtype });
    const viaProvider = await trained({ dtype, executionProvider: 'cpu' });
    const reference = await trained({ dtype, executionProvider: 'cpu', target: 'reference' });
    const referenceDefault = await trained({ dtype, target: 'reference' });
    // Naming the CPU provider changes nothing: the same target, model and session, bit for bit.
    viaProvider.params.forEach((p, i) => assert.deepEqual(p, ortCpu.params[i]));
    reference.params.forEach((p, i) => assert.deepEqual(p, referenceDefault.params[i]));
    // The reference lowering differs from ort-cpu's only in rounding (associativity of sums, deferred updates).
    const tolerance = dtype === 'float64' ? 1e-10 : 2e-4;
    reference.params.forEach((p, i) => {
      const d = maxRelDiff(p, ortCpu.params[i]!);
      assert.ok(d < tolerance, `parameter ${i}: relative difference ${d}`);
      if (dtype === 'float64') assert.notDeepEqual(p, ortCpu.params[i], 'bit-identical: the two lowerings were the same program');
    });
    assert.ok(Math.abs(reference.loss - ortCpu.loss) <= tolerance * Math.abs(ortCpu.loss), `train loss ${reference.loss} vs ${ortCpu.loss}`);
  });
}

/** The first provider library the runtime would need for `name` that is missing here, as providers.ts looks for it. */
function libraryMissing(name: string): boolean {
  const dir = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  return !existsSync(join(dir, `libonnxruntime_providers_${name}.so`));
}

test('a provider the runtime does not offer, or cannot open, is a one-line GraphError before anything compiles', async () => {
  const f = ({ x }: { x: Tensor }) => x.sum();
  await assert.rejects(compile(f, { x: spec([2]) }, { executionProvider: 'no-such-provider' }), /^GraphError: execution provider 'no-such-provider': not offered by onnxruntime-node [\d.]+ \(offered: cpu, [^\n]*\)$/);
  await assert.doesNotReject(checkExecutionProvider('cpu'));
});

test('a session refuses a program lowered for a target that does not run on its provider', async () => {
  const program = lowerFunction(({ x }: { x: Tensor }) => x.sum(), { x: spec([2]) }, { target: 'ort-cpu' });
  await assert.rejects(CompiledFunction.create(program, { executionProvider: 'webgpu' }), /^GraphError: compile function: lowered for target 'ort-cpu', which does not run on execution provider 'webgpu'$/);
  const reference = lowerFunction(({ x }: { x: Tensor }) => x.sum(), { x: spec([2]) }, { target: 'reference' });
  const session = await CompiledFunction.create(reference, { executionProvider: 'cpu' });
  await session.release();
});

test('sgdlab train --execution-provider refuses an unavailable provider in one line, exit 2, no store', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-provider-'));
  const cases: [string, RegExp][] = [['no-such-provider', /^sgdlab: execution provider 'no-such-provider': not offered by onnxruntime-node [\d.]+ \(offered: cpu, [^\n]*\)\n$/]];
  if (process.platform === 'linux' && libraryMissing('cuda')) cases.push(['cuda', /^sgdlab: execution provider 'cuda': not installed in onnxruntime-node [\d.]+ \(no libonnxruntime_providers_\w+\.so beside its binding; see docs\/gpu\.md\)\n$/]);
  else t.diagnostic('the CUDA provider library is installed here: its refusal is not tested');
  for (const [provider, message] of cases) {
    const store = join(dir, provider, 'runs.sqlite');
    const r = await sgdlab(['train', '--execution-provider', provider, '--epochs', '1', '--store', store]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(existsSync(store), false, 'no store created');
  }
  const mismatch = await sgdlab(['train', '--execution-provider', 'cuda', '--target', 'ort-cpu', '--store', join(dir, 'm', 'runs.sqlite')]);
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.stderr, /^sgdlab: train: target 'ort-cpu' runs on the cpu execution provider only, not on 'cuda'\n$/);
});
