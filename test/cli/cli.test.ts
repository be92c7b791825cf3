// The `sgdlab` command end to end, as a user runs it: one-line errors with exit code 2, --json
// summaries, the run store, export to an ONNX file that a fresh onnxruntime session runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sgdlab, SGDLAB_BIN } from '../sgdlab-cli.ts';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadTrainingData, resolveConfig } from '../../src/train/index.ts';


const dir = mkdtempSync(join(tmpdir(), 'sgdlab-cli-'));
const store = join(dir, 'runs.sqlite');

test('bad input gives one line on stderr naming the input, and exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['train', '--lr', '-1'], /^sgdlab: lr: must be positive, got -1\n$/],
    [['train', '--lr', 'fast'], /^sgdlab: lr: 'fast' is not a number/],
    [['train', '--batch', '7'], /^sgdlab: batch 7 does not divide the 1200 training examples; pass --drop-last/],
    [['train', '--model', 'resnet'], /^sgdlab: --model resnet: unknown model/],
    [['train', '--sampler', 'random'], /^sgdlab: sampler: 'random' is not one of reshuffle, fixed, reversed-pairs, with-replacement, full\n$/],
    [['train', '--data', 'fashion-mnist', '--train-size', '70000'], /^sgdlab: fashion-mnist\/train: train size 70000 must be an integer in 1\.\.60000\n$/],
    [['train', '--data', 'fashion-mnist', '--data-dir', dir], /^sgdlab: fashion-mnist: no train-images-idx3-ubyte/],
    [['train', '--data', 'synthetic', '--model', 'wrn:16-4'], /^sgdlab: --model wrn:16-4: needs image data \[C,H,W\]; this data set has examples of shape \[32\]\n$/],
    [['train', '--config', join(dir, 'missing.json')], /^sgdlab: --config .*missing.json: no such file\n$/],
  ];
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ lr: 0.1, learningRate: 0.2 }));
  cases.push([['train', '--config', join(dir, 'bad.json')], /^sgdlab: --config .*bad.json: unknown key 'learningRate'/]);
  for (const [args, message] of cases) {
    const r = await sgdlab([...args, '--store', store]);
    assert.equal(r.code, 2, `${args.join(' ')} → exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});

test('train --json records a run that runs show reads back; export writes an ONNX model a fresh session runs', async () => {
  const save = join(dir, 'final.safetensors');
  const r = await sgdlab(['train', '--model', 'mlp:32x1', '--epochs', '2', '--lr', '2^-4', '--lambda', '2^-6', '--store', store, '--save', save, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { runId: number; status: string; steps: number; final: Record<string, number>; config: { lr: number; lambda: number } };
  assert.equal(summary.status, 'finished');
  assert.equal(summary.steps, 150);
  assert.equal(summary.config.lr, 1 / 16);
  assert.equal(summary.config.lambda, 1 / 64);
  for (const key of ['train_loss', 'train_acc', 'test_acc', 'c_reg', 'grad_norm_sq', 'gamma', 'weight_norm']) assert.ok(Number.isFinite(summary.final[key]), key);

  const shown = JSON.parse((await sgdlab(['runs', 'show', String(summary.runId), '--store', store, '--json'])).stdout) as { status: string; metrics: { epoch: number }[] };
  assert.equal(shown.status, 'finished');
  assert.deepEqual(shown.metrics.map((m) => m.epoch), [1, 2]);
  const list = await sgdlab(['runs', 'list', '--store', store]);
  assert.match(list.stdout, new RegExp(`^${summary.runId}\\s+finished\\s+mlp:32x1\\s+digits`, 'm'));

  const out = join(dir, 'model.onnx');
  const ex = await sgdlab(['export', save, '--model', 'mlp:32x1', '--out', out, '--batch', '597']);
  assert.equal(ex.code, 0, ex.stderr);
  const session = await ort.InferenceSession.create(readFileSync(out));
  assert.deepEqual([...session.inputNames], ['input']);
  assert.deepEqual([...session.outputNames], ['logits']);
  const { test: testSet } = loadTrainingData(resolveConfig({}));
  const logits = (await session.run({ input: new ort.Tensor('float32', testSet!.x, [597, 1, 8, 8]) })).logits!.data as Float32Array;
  let correct = 0;
  for (let i = 0; i < 597; i++) {
    const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
    if (row.indexOf(Math.max(...row)) === testSet!.y[i]) correct++;
  }
  assert.ok(Math.abs(correct / 597 - summary.final.test_acc!) < 1e-9, `exported accuracy ${correct / 597} vs recorded ${summary.final.test_acc}`);
});

test('export refuses a checkpoint of another model with one line naming the tensor', async () => {
  const save = join(dir, 'small.safetensors');
  assert.equal((await sgdlab(['train', '--model', 'mlp:16x1', '--steps', '0', '--save', save, '--store', store])).code, 0);
  const r = await sgdlab(['export', save, '--model', 'mlp:32x1', '--out', join(dir, 'x.onnx')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^sgdlab: .*small.safetensors: tensor 'layers.0.weight' has shape \[64,16\], the model needs \[64,32\]\n$/);
});

test('demo prints the three settings and ranks them', async () => {
  const r = await sgdlab(['demo', '--epochs', '2', '--seeds', '1', '--store', store]);
  assert.equal(r.code, 0, r.stderr);
  for (const label of ['small ε = 2^-8', 'small ε = 2^-8 + regularizer λ = 1', 'large ε = 2^-3']) assert.ok(r.stdout.includes(label), label);
  assert.match(r.stdout, /Best generalisation: .* > .* > /);
});

test('a SIGKILLed sgdlab train resumes with --resume to the same final numbers as an uninterrupted run', async () => {
  const { spawn } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const killDir = mkdtempSync(join(tmpdir(), 'sgdlab-kill-'));
  const killStore = join(killDir, 'runs.sqlite');
  const flags = ['train', '--model', 'mlp:64x2', '--epochs', '40', '--lr', '2^-4', '--lambda', '2^-6', '--sampler', 'with-replacement', '--json'];
  const child = spawn(process.execPath, [SGDLAB_BIN, ...flags, '--store', killStore], { stdio: 'ignore' });
  const checkpoint = join(killDir, 'checkpoints', 'runs.sqlite', 'run-1.safetensors');
  const deadline = Date.now() + 60_000;
  while (!existsSync(checkpoint) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const killed = JSON.parse((await sgdlab(['runs', 'show', '1', '--store', killStore, '--json'])).stdout) as { status: string; metrics: unknown[] };
  assert.equal(killed.status, 'running', 'the killed run is left as running');
  assert.ok(killed.metrics.length < 40, `killed before the end (${killed.metrics.length} evaluations)`);
  const resumed = await sgdlab([...flags, '--store', killStore, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const whole = await sgdlab([...flags, '--store', join(mkdtempSync(join(tmpdir(), 'sgdlab-whole-')), 'runs.sqlite')]);
  const a = JSON.parse(resumed.stdout) as { runId: number; final: Record<string, number>; best: Record<string, number> };
  const b = JSON.parse(whole.stdout) as typeof a;
  assert.equal(a.runId, 1);
  assert.deepEqual({ ...a.final, steps_per_sec: 0, wall_time: 0 }, { ...b.final, steps_per_sec: 0, wall_time: 0 });
  assert.deepEqual({ ...a.best, steps_per_sec: 0, wall_time: 0 }, { ...b.best, steps_per_sec: 0, wall_time: 0 });
  const history = JSON.parse((await sgdlab(['runs', 'show', '1', '--store', killStore, '--json'])).stdout) as { status: string; metrics: { epoch: number }[] };
  assert.equal(history.status, 'finished');
  assert.deepEqual(history.metrics.map((m) => m.epoch), Array.from({ length: 40 }, (_, i) => i + 1));
});

test('--version prints the facts every run records, and runs show prints a run\'s (text and --json)', async () => {
  const version = await sgdlab(['--version']);
  assert.equal(version.code, 0, version.stderr);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.match(version.stdout, new RegExp(`^sgdlab ${pkg.version.replace(/\./g, '\\.')}\\ngit commit ([0-9a-f]{40}( \\(with uncommitted changes\\))?|not a git checkout)\\nNode ${process.versions.node}, ONNX Runtime \\d+\\.\\d+\\.\\d+\\nCPU .+ \\(\\d+ logical CPUs\\)\\n$`));

  const r = await sgdlab(['train', '--model', 'mlp:8x1', '--steps', '1', '--threads', '1', '--store', store, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { runId } = JSON.parse(r.stdout) as { runId: number };
  const shown = await sgdlab(['runs', 'show', String(runId), '--store', store]);
  // The same facts as --version, and the thread count of the run.
  const facts = version.stdout.trim().split('\n');
  const expected = [...facts.slice(0, 3), `${facts[3]!.slice(0, -1)}, 1 thread)`];
  assert.ok(shown.stdout.includes(`provenance\n${expected.map((l) => `  ${l}`).join('\n')}\n`), shown.stdout);
  const json = JSON.parse((await sgdlab(['runs', 'show', String(runId), '--store', store, '--json'])).stdout) as { provenance: Record<string, unknown> };
  assert.equal(json.provenance.node, process.versions.node);
  assert.equal(json.provenance.sgdlab, pkg.version);
  assert.equal(json.provenance.threads, 1);
  assert.equal(typeof json.provenance.cpu, 'string');
});
