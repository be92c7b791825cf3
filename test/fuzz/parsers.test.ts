// Property-based fuzzing (fast-check) of every parser and validator that reads input from outside:
// whatever the bytes or values, each yields a value or throws one of the user-error classes with a
// one-line message (what the CLI prints as `sgdlab: …`, exit 2), never another exception.
// CI runs a fixed seed with FUZZ_RUNS (default 150) cases per property; `npm run fuzz` runs many more
// (FUZZ_RUNS=20000 by default there; FUZZ_SEED picks another seed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { isUserError } from '../../src/cli/errors.ts';
import { parseIdxImages, parseIdxLabels, decodeCifar10Records, CIFAR10_RECORD_BYTES, extractTarArchive, checkDataset, loadDataset, type DataSpec } from '../../src/data/index.ts';
import { gunzipCapped } from '../../src/data/files.ts';
import { decodeSafetensors, encodeSafetensors, type StoredTensor } from '../../src/store/index.ts';
import { buildSweep, loadSweepSpec, sweepFromStoredSpec } from '../../src/sweep/index.ts';
import { configFromOptions } from '../../src/cli/train.ts';
import { parseRedisUrl, validateTrialJob, validateTrialResult } from '../../src/sweep/index.ts';
import { resolveConfig, parseNumber } from '../../src/train/index.ts';
import { checkTrainingFits, parseByteSize } from '../../src/train/preflight.ts';
import { checkpointState } from '../../src/train/resume.ts';
import { makeTar } from '../data/fixtures.ts';
import { RESULTS_FORMAT, readResultsFile } from '../../src/sweep/index.ts';
import { playgroundResponse, servePlayground, type PlaygroundSite } from '../../src/cli/playground.ts';
import { connect } from 'node:net';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
const params = (scale = 1): fc.Parameters<unknown> => ({ numRuns: Math.max(1, Math.round(RUNS * scale)), seed: SEED, endOnFailure: true });

/** The contract: a value, or a user error with a single line of message. */
function valueOrUserError(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (!isUserError(e)) throw e;
    const message = (e as Error).message;
    if (message.includes('\n') || message.length === 0) throw new Error(`user error with a message that is not one line: ${JSON.stringify(message)}`);
    return true;
  }
}

/** Bytes that are often near-valid: a valid sample with a few bytes changed, cut or extended. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 2 * valid.length + 64 }),
    fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.integer({ min: -64, max: 64 })).map(([edits, resize]) => {
      const out = new Uint8Array(Math.max(0, valid.length + resize));
      out.set(valid.subarray(0, out.length));
      for (const [at, byte] of edits) if (out.length > 0) out[at % out.length] = byte;
      return out;
    }),
  );
}

function idxHeader(magic: number, dims: number[], body: number): Uint8Array {
  const b = Buffer.alloc(4 + 4 * dims.length + body);
  b.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  return b;
}

test('IDX images and labels', () => {
  fc.assert(fc.property(mutated(idxHeader(2051, [3, 28, 28], 3 * 784)), (bytes) => valueOrUserError(() => parseIdxImages(bytes, 'images'))), params());
  fc.assert(fc.property(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat({ max: 4096 })), ([count, rows, cols, body]) => valueOrUserError(() => parseIdxImages(idxHeader(2051, [count % 2 ** 32, rows % 2 ** 32, cols % 2 ** 32], body), 'images'))), params());
  fc.assert(fc.property(mutated(idxHeader(2049, [10], 10)), fc.integer({ min: 1, max: 300 }), (bytes, classes) => valueOrUserError(() => parseIdxLabels(bytes, 'labels', classes))), params());
});

test('CIFAR-10 records', () => {
  const valid = new Uint8Array(2 * CIFAR10_RECORD_BYTES);
  fc.assert(fc.property(mutated(valid), (bytes) => {
    const n = Math.ceil(bytes.length / CIFAR10_RECORD_BYTES);
    return valueOrUserError(() => decodeCifar10Records(bytes, 'data_batch_1.bin', new Float32Array(n * 3072), new Int32Array(n), 0));
  }), params(0.3));
});

test('gzip', () => {
  const valid = gzipSync(Buffer.alloc(5000, 7));
  fc.assert(fc.property(mutated(valid), (bytes) => valueOrUserError(() => gunzipCapped(bytes, 'x.gz', 1 << 16))), params());
});

test('tar and tar.gz archives, extracted into a scratch folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'sgdlab-fuzz-tar-'));
  const valid = makeTar([{ path: 'd/', type: '5' }, { path: 'd/a.bin', data: Buffer.from('hello') }, { path: 'b.bin', data: Buffer.alloc(600, 1) }]);
  let i = 0;
  try {
    fc.assert(fc.property(mutated(valid), fc.boolean(), (bytes, gzip) => {
      const dir = join(root, String(i++));
      mkdirSync(dir);
      const file = join(dir, 'a.tar.gz');
      writeFileSync(file, gzip ? gzipSync(bytes) : bytes);
      const out = join(dir, 'out');
      mkdirSync(out);
      try {
        return valueOrUserError(() => extractTarArchive(file, out, 'a.tar.gz', { maxTotalBytes: 1 << 20, maxEntries: 100 }));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }), params(0.4));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('safetensors', () => {
  const valid = Buffer.concat(encodeSafetensors({ w: { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) }, b: { dtype: 'int64', shape: [1], data: new BigInt64Array(1) } }, { epoch: '1' }));
  fc.assert(fc.property(mutated(valid), (bytes) => valueOrUserError(() => decodeSafetensors(bytes, 'x.safetensors'))), params());
  // Any JSON as the header, with data of a plausible length behind it.
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), fc.nat({ max: 64 }), (header, dataBytes) => {
    const text = Buffer.from(JSON.stringify(header) ?? 'null');
    const b = Buffer.alloc(8 + text.length + dataBytes);
    b.writeBigUInt64LE(BigInt(text.length));
    text.copy(b, 8);
    return valueOrUserError(() => decodeSafetensors(b, 'x.safetensors'));
  }), params());
});

test('data files: file:PATH.safetensors of any tensors, mutated bytes, and idx:DIR of mutated files', () => {
  const root = mkdtempSync(join(tmpdir(), 'sgdlab-fuzz-data-'));
  /** Load, and when a split comes back, hold it to every invariant a loader promises (not a user error: a bug). */
  const loadChecked = (spec: DataSpec) => valueOrUserError(() => {
    const split = loadDataset({ name: spec });
    for (const ds of [split.train, ...(split.test ? [split.test] : [])]) {
      assert.doesNotThrow(() => checkDataset(ds), spec);
      assert.ok(ds.x.every(Number.isFinite) && ds.numClasses >= 2 && ds.n > 0, spec);
    }
  });
  try {
    const path = join(root, 'data.safetensors');
    const dtypes = ['uint8', 'int32', 'int64', 'float32', 'float64'] as const;
    const value = fc.oneof(fc.integer({ min: -3, max: 300 }), fc.constantFrom(NaN, Infinity, -Infinity, 1e300, 0.5));
    const tensor = fc.record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }) }).chain(({ dtype, shape }) =>
      fc.array(value, { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }).map((values): StoredTensor => {
        const ints = values.map((v) => (Number.isFinite(v) ? Math.trunc(v) : 0));
        const data = dtype === 'uint8' ? Uint8Array.from(ints, (v) => v & 255) : dtype === 'int32' ? Int32Array.from(ints) : dtype === 'int64' ? BigInt64Array.from(ints.map(BigInt)) : dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
        return { dtype, shape, data };
      }));
    const names = fc.constantFrom('x_train', 'y_train', 'x_test', 'y_test', 'x_train', 'y_train', 'other');
    fc.assert(fc.property(fc.dictionary(names, tensor, { maxKeys: 5 }), (tensors) => {
      writeFileSync(path, Buffer.concat(encodeSafetensors(tensors)));
      return loadChecked(`file:${path}`);
    }), params());
    const valid = Buffer.concat(encodeSafetensors({
      x_train: { dtype: 'uint8', shape: [4, 2, 2], data: Uint8Array.from({ length: 16 }, (_, i) => i) },
      y_train: { dtype: 'int64', shape: [4], data: BigInt64Array.from([0n, 1n, 2n, 1n]) },
      x_test: { dtype: 'uint8', shape: [2, 2, 2], data: new Uint8Array(8) },
      y_test: { dtype: 'int64', shape: [2], data: BigInt64Array.from([2n, 0n]) },
    }));
    fc.assert(fc.property(mutated(valid), (bytes) => {
      writeFileSync(path, bytes);
      return loadChecked(`file:${path}`);
    }), params());
    const dir = join(root, 'idx');
    mkdirSync(dir);
    fc.assert(fc.property(mutated(idxHeader(2051, [3, 2, 2], 12)), mutated(idxHeader(2049, [3], 3)), fc.boolean(), (images, labels, gzipped) => {
      writeFileSync(join(dir, 'train-images-idx3-ubyte'), gzipped ? Buffer.alloc(0) : images);
      writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipped ? gzipSync(images) : Buffer.alloc(0));
      writeFileSync(join(dir, 'train-labels-idx1-ubyte'), labels);
      return loadChecked(`idx:${dir}`);
    }), params(0.5));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const CONFIG_KEYS = ['data', 'model', 'batch', 'lr', 'lambda', 'nStep', 'epochs', 'steps', 'seed', 'trainSize', 'testSize', 'dimension', 'classes', 'augment', 'sampler', 'threads', 'dtype', 'labelNoise', '__proto__', 'constructor', 'toString'];
// Values a JSON or YAML file can hold that break naive code: a toString that is not a function,
// nesting that JSON.parse accepts but a recursive printer cannot follow.
const deepList = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
const hostileValue = fc.constantFrom<unknown>(JSON.parse('{"toString": 1}'), JSON.parse('{"valueOf": {}, "toString": []}'), JSON.parse('{"toJSON": 1}'), JSON.parse('{"__proto__": {"x": 1}}'), deepList);
const configValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  hostileValue,
  fc.constantFrom('2^60', '-1', '1e400', '2^-5', 'mlp:1000000000x3', 'wrn:16-4', 'synthetic', 'cifar10', 'true', '0', '9007199254740993', 'NaN'),
  fc.double(),
  fc.integer(),
);
const configObject = fc.dictionary(fc.oneof(fc.constantFrom(...CONFIG_KEYS), fc.string({ maxLength: 8 })), configValue, { maxKeys: 6 });

test('config files and flags, then the memory preflight', () => {
  fc.assert(fc.property(configObject, (partial) => valueOrUserError(() => checkTrainingFits(resolveConfig(partial, '--config c.json'), { SGDLAB_MAX_MEMORY: '4G' }))), params());
  fc.assert(fc.property(fc.oneof(fc.string(), configValue), (v) => valueOrUserError(() => parseNumber(v, 'lr'))), params());
  fc.assert(fc.property(fc.string(), (v) => parseByteSize(v) === undefined || Number.isSafeInteger(parseByteSize(v))), params());
});

test('config and sweep spec files as text (JSON, YAML)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-fuzz-files-'));
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    configObject.map((o) => {
      try {
        return JSON.stringify(o);
      } catch {
        return `{"lr": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`; // the deep list, as text
      }
    }),
    fc.constantFrom('{"__proto__": {"lr": 1}}', 'a: &x [*x]', 'name: s\naxes:\n  lr: 2^-10..2^-3\n  batch: 1..1000\n  epochs: 1..1000', '!!js/function "x"', 'name: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]'),
  );
  try {
    fc.assert(fc.property(text, (t) => {
      writeFileSync(join(dir, 'c.json'), t);
      writeFileSync(join(dir, 's.yaml'), t);
      return valueOrUserError(() => configFromOptions({ config: join(dir, 'c.json') })) && valueOrUserError(() => loadSweepSpec(join(dir, 's.yaml')));
    }), params(0.5));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sweep specs', () => {
  const axisValue = fc.oneof(configValue, fc.constantFrom('2^-10..2^-3', '1..1000', '0..6', '1..3 step 0', '2^5..2^1'), fc.array(configValue, { maxLength: 4 }));
  const spec = fc.record(
    {
      name: fc.oneof(fc.string({ maxLength: 12 }), fc.constant('s')),
      base: fc.oneof(configObject, fc.constant({ epochs: 1 })),
      axes: fc.dictionary(fc.oneof(fc.constantFrom('lr', 'batch', 'seed', 'lambda', 'model', 'lrPerBatch', 'updates', '__proto__', 'constructor'), fc.string({ maxLength: 6 })), axisValue, { maxKeys: 3 }),
      zip: fc.array(fc.dictionary(fc.constantFrom('lr', 'batch', 'epochs'), axisValue, { maxKeys: 2 }), { maxLength: 2 }),
      scoring: fc.dictionary(fc.constantFrom('metric', 'best', 'of', 'order', 'diverged', 'x'), configValue, { maxKeys: 3 }),
    },
    { requiredKeys: ['name'] },
  );
  fc.assert(fc.property(fc.oneof(spec, fc.jsonValue({ maxDepth: 4 })), (raw) => valueOrUserError(() => buildSweep(raw, 'spec.yaml'))), params());
  // A spec read back from the store (`sweep show ID`): its stored normal form, possibly tampered with.
  const axis = fc.record({ name: fc.oneof(fc.constantFrom('lr', 'batch', 'model', 'epochs'), fc.string({ maxLength: 5 })), values: fc.array(configValue, { maxLength: 3 }) });
  const stored = fc.record({
    name: fc.string({ maxLength: 5 }),
    base: configObject,
    dimensions: fc.array(fc.oneof(fc.record({ axes: fc.array(axis, { maxLength: 2 }) }), fc.jsonValue({ maxDepth: 2 })), { maxLength: 3 }),
    seeds: fc.array(fc.oneof(fc.nat({ max: 9 }), fc.jsonValue({ maxDepth: 1 })), { maxLength: 3 }),
    scoring: fc.jsonValue({ maxDepth: 2 }),
  }, { requiredKeys: [] });
  fc.assert(fc.property(fc.oneof(stored, fc.jsonValue({ maxDepth: 3 })), (raw) => valueOrUserError(() => sweepFromStoredSpec('s-1', raw, 'store'))), params());
});

test('queue payloads and results', () => {
  const job = fc.record({ sweepId: fc.oneof(fc.constant('s-1'), fc.string({ maxLength: 90 })), trialKey: fc.string({ maxLength: 20 }), config: fc.oneof(configObject, fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] });
  fc.assert(fc.property(fc.oneof(job, fc.jsonValue({ maxDepth: 3 })), (raw) => valueOrUserError(() => validateTrialJob(raw))), params());
  const metrics = fc.dictionary(fc.oneof(fc.constantFrom('step', 'epoch', 'train_loss', '__proto__'), fc.string({ maxLength: 5 })), fc.oneof(fc.double(), fc.constantFrom('NaN', 'Infinity', 'x'), fc.integer()), { maxKeys: 4 });
  const result = fc.record({
    trialKey: fc.constantFrom('k', 'other'),
    status: fc.constantFrom('finished', 'diverged', 'failed', 'running'),
    divergedAtStep: fc.oneof(fc.integer(), fc.double()),
    error: fc.string({ maxLength: 10 }),
    final: fc.oneof(fc.constant(null), metrics),
    best: fc.oneof(fc.constant(null), metrics),
    history: fc.array(metrics, { maxLength: 4 }),
    seconds: fc.double(),
    worker: fc.jsonValue({ maxDepth: 1 }),
  }, { requiredKeys: [] });
  fc.assert(fc.property(fc.oneof(result, fc.jsonValue({ maxDepth: 3 })), fc.boolean(), (raw, asText) => valueOrUserError(() => validateTrialResult(asText ? JSON.stringify(raw) : raw, 'k'))), params());
});

test('checkpoint metadata', () => {
  const field = fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''));
  const run = { model: 'mlp:16x1', stepsPerEpoch: 10, totalSteps: 95, totalEpochs: 10 };
  fc.assert(fc.property(fc.dictionary(fc.constantFrom('epoch', 'step', 'best_test_acc', 'best', 'model', '__proto__'), field), (metadata) => valueOrUserError(() => checkpointState(metadata, 'c.safetensors', run))), params());
});

test('Redis URLs: any text is a target or a one-line error; any percent-encoded credentials come back exactly and are never displayed', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.webUrl().map((u) => u.replace(/^https?/, 'redis'))), (text) => valueOrUserError(() => parseRedisUrl(text))), params());
  const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map((h) => `[${h}]`));
  fc.assert(fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 6 }), host, fc.integer({ min: 1, max: 65535 }), fc.nat({ max: 15 }), (user, password, h, port, db) => {
    const t = parseRedisUrl(`redis://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${h}:${port}/${db}`);
    assert.equal(t.connection.username, user);
    assert.equal(t.connection.password, password);
    assert.equal(t.connection.host, h.replace(/^\[|\]$/g, ''));
    assert.deepEqual([t.connection.port, t.connection.db], [port, db]);
    assert.equal(t.display, `redis://${h}:${port}/${db}`);
    return true;
  }), params());
  // Raw (unencoded) passwords with '?', '#', '/' and '@' but no '%': parsed exactly too.
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'Z', '9', '?', '#', '/', '@', ':', '!', '&', '='), minLength: 1 }), (password) => {
    assert.equal(parseRedisUrl(`redis://:${password}@example.org:6390/1`).connection.password, password);
    return true;
  }), params());
});

test('results files: any line, or a valid line mutated, reads as trials or is one line naming the file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-fuzz-results-'));
  const trial = buildSweep({ name: 'fuzz', base: { model: 'mlp:8x1', epochs: 1 }, axes: { lr: [0.5] } }).trials[0]!;
  const metric = fc.oneof(fc.double(), fc.constantFrom('NaN', 'Infinity', '-Infinity', 'x'), fc.integer());
  const metrics = fc.dictionary(fc.constantFrom('test_acc', 'train_loss', 'best_test_acc', 'lr', 'gamma_exact', '__proto__'), metric, { maxKeys: 4 });
  const record = fc.record({
    format: fc.constantFrom(RESULTS_FORMAT, 'sgdlab-trial/0'),
    sweep: fc.constantFrom('fuzz', ''),
    trialKey: fc.constantFrom(trial.key, 'other'),
    config: fc.oneof(fc.constant(trial.config as unknown), fc.jsonValue({ maxDepth: 2 })),
    result: fc.record({ status: fc.constantFrom('finished', 'diverged', 'failed'), divergedAtStep: fc.nat(), final: fc.oneof(fc.constant(null), metrics), best: fc.oneof(fc.constant(null), metrics), history: fc.array(fc.record({ step: fc.nat(), epoch: fc.double() }), { maxLength: 3 }), seconds: fc.double() }, { requiredKeys: [] }),
  }, { requiredKeys: [] });
  const valid = JSON.stringify({ format: RESULTS_FORMAT, sweep: 'fuzz', trialKey: trial.key, config: trial.config, result: { status: 'finished', final: { test_acc: 0.5 }, best: null, history: [{ step: 1, epoch: 1 }], seconds: 1 } });
  const lines = fc.array(fc.oneof(record.map((r) => JSON.stringify(r)), fc.string({ maxLength: 40 }), mutated(new TextEncoder().encode(valid)).map((b) => Buffer.from(b).toString('latin1'))), { maxLength: 4 });
  try {
    fc.assert(fc.property(lines, fc.boolean(), (text, newlineAtEnd) => {
      const path = join(dir, 'results.jsonl');
      writeFileSync(path, text.join('\n') + (newlineAtEnd ? '\n' : ''));
      return valueOrUserError(() => readResultsFile(path));
    }), params(0.5));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('playground requests: any method, target and Host get an answer (never a throw); only loopback Hosts get files', () => {
  const site: PlaygroundSite = { files: new Map([['/index.html', new Uint8Array([60])], ['/_headers', new Uint8Array(1)]]), contentTypes: { '.html': 'text/html' }, isolationHeaders: { 'Cross-Origin-Opener-Policy': 'same-origin' } };
  const host = fc.oneof(fc.constantFrom('127.0.0.1', 'localhost', '[::1]', 'LOCALHOST:8417', '127.0.0.1:99999', 'evil.example', ''), fc.string({ maxLength: 30 }), fc.domain());
  const target = fc.oneof(fc.constantFrom('/', '/index.html', '/_headers', 'http://127.0.0.1:99999/', 'http://[::1/', '*', ''), fc.string({ maxLength: 40 }), fc.webUrl(), fc.string({ maxLength: 20 }).map((p) => `/${p}`));
  const method = fc.oneof(fc.constantFrom('GET', 'HEAD', 'POST', 'CONNECT'), fc.string({ maxLength: 8 }));
  fc.assert(fc.property(method, target, fc.option(host, { nil: undefined }), (m, url, h) => {
    const answer = playgroundResponse({ method: m, url, host: h }, site);
    assert.ok([200, 400, 403, 404, 405].includes(answer.status), String(answer.status));
    if (answer.status === 200) {
      assert.ok(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i.test(h ?? ''), `served to Host ${h}`);
      assert.ok(m === 'GET' || m === 'HEAD');
    }
    return true;
  }), params(2));
});

/** Raw bytes to a live server; resolves with its status line (or '' if it closed without one). */
function rawRequest(port: number, bytes: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', () => {});
  });
}

test('the playground server survives any request bytes and still serves afterwards', async () => {
  const { server, url } = await servePlayground(0);
  const port = Number(new URL(url).port);
  const line = fc.tuple(fc.constantFrom('GET', 'HEAD', 'POST', 'G\u0000T', ''), fc.oneof(fc.constantFrom('/', 'http://127.0.0.1:99999/', 'http://[::1/', '*'), fc.string({ maxLength: 30 })), fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9', ''), fc.oneof(fc.constantFrom('127.0.0.1', 'evil.example', '127.0.0.1:99999'), fc.string({ maxLength: 20 })))
    .map(([m, t, v, h]) => new TextEncoder().encode(`${m} ${t} ${v}\r\nHost: ${h}\r\nConnection: close\r\n\r\n`));
  try {
    await fc.assert(fc.asyncProperty(fc.oneof(line, fc.uint8Array({ maxLength: 200 })), async (bytes) => {
      const status = await rawRequest(port, bytes);
      assert.ok(status === '' || /^HTTP\/1\.1 (200|400|403|404|405) /.test(status), status);
      return true;
    }), params(0.3));
    assert.equal((await fetch(url)).status, 200, 'still serving');
  } finally {
    server.close();
  }
});
