// `--data file:PATH.safetensors`: every accepted dtype loads with the right values, and a table of bad
// files each gives one DataError line starting with the spec (format, tensors, dtypes, shapes, labels, values).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, datasetShape, loadDataset, type DataSpec } from '../../src/data/index.ts';
import type { StoredTensor } from '../../src/store/safetensors.ts';
import { dataTensors, safetensorsBytes, tempDir } from './fixtures.ts';

const labels = (dtype: 'uint8' | 'int32' | 'int64', values: number[]): StoredTensor => ({
  dtype,
  shape: [values.length],
  data: dtype === 'uint8' ? Uint8Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : BigInt64Array.from(values.map(BigInt)),
});

test('uint8, float32 and float64 examples with uint8, int32 and int64 labels load as float32 and int32', (t) => {
  const dir = tempDir(t);
  const cases: [StoredTensor, StoredTensor, number | undefined][] = [
    [{ dtype: 'uint8', shape: [4, 2, 3], data: Uint8Array.from({ length: 24 }, (_, i) => i * 10) }, labels('uint8', [0, 1, 2, 1]), 255],
    [{ dtype: 'float32', shape: [4, 6], data: Float32Array.from({ length: 24 }, (_, i) => i * 10) }, labels('int32', [0, 1, 2, 1]), undefined],
    [{ dtype: 'float64', shape: [4, 1, 2, 3], data: Float64Array.from({ length: 24 }, (_, i) => i * 10) }, labels('int64', [0, 1, 2, 1]), undefined],
  ];
  const expectedShapes = [[1, 2, 3], [6], [1, 2, 3]];
  cases.forEach(([x, y, pixelMax], i) => {
    const path = join(dir, `ok-${i}.safetensors`);
    writeFileSync(path, safetensorsBytes({ x_train: x, y_train: y }));
    const spec: DataSpec = `file:${path}`;
    const { train, test } = loadDataset({ name: spec });
    assert.equal(test, undefined, 'no test pair, no test set');
    assert.deepEqual(train.shape, expectedShapes[i], x.dtype);
    assert.deepEqual(Array.from(train.x), Array.from({ length: 24 }, (_, j) => j * 10), x.dtype);
    assert.deepEqual(Array.from(train.y), [0, 1, 2, 1]);
    assert.equal(train.numClasses, 3);
    assert.equal(train.pixelMax, pixelMax, `${x.dtype}: pixel range known only for uint8`);
    assert.deepEqual(datasetShape({ name: spec }), { example: expectedShapes[i], classes: 3, train: 4, test: 0 });
  });
});

/** A file whose header says what the bytes are not: hand-made, as a broken writer would make it. */
function rawFile(header: object, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, Buffer.alloc(dataBytes)]);
}

test('bad data files: one line each, naming the file and the problem', (t) => {
  const dir = tempDir(t);
  const good = dataTensors(6, 3, [1, 2, 2], 3);
  const valid = safetensorsBytes(good);
  const x = (dtype: StoredTensor['dtype'], shape: number[], values: number[]): StoredTensor => {
    const data = dtype === 'float32' ? Float32Array.from(values) : dtype === 'float64' ? Float64Array.from(values) : dtype === 'uint8' ? Uint8Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : BigInt64Array.from(values.map(BigInt));
    return { dtype, shape, data };
  };
  const ones = (n: number) => Array<number>(n).fill(1);
  const cases: [name: string, bytes: Buffer | 'directory' | 'absent', message: RegExp][] = [
    ['truncated', valid.subarray(0, valid.length - 5), /: tensor '\w+' data_offsets \[\d+,\d+\] run past the \d+-byte data section$/],
    ['shorter than its length field', valid.subarray(0, 5), /: file is 5 bytes, too short for the 8-byte header length$/],
    ['not safetensors (wrong magic)', Buffer.from('\x00\x00\x08\x03 an IDX file or anything else'), /: header length \d+ exceeds the \d+ bytes after the length field$/],
    ['labels of a float dtype', safetensorsBytes({ ...good, y_train: x('float32', [6], [0, 1, 2, 0, 1, 2]) }), /: y_train has dtype float32; labels must be integers \(uint8, int32, int64\)$/],
    ['examples of an integer dtype', safetensorsBytes({ ...good, x_train: x('int64', [6, 1, 2, 2], ones(24)) }), /: x_train has dtype int64; examples must be uint8, float32, float64$/],
    ['a dtype the reader does not load', rawFile({ x_train: { dtype: 'F16', shape: [6, 4], data_offsets: [0, 48] } }, 48), /: tensor 'x_train' has dtype F16, which sgdlab does not load \(supported: F32, F64, I32, I64, U8\)$/],
    ['a label out of range in test', safetensorsBytes({ ...good, y_test: labels('int64', [0, 3, 1]) }), /: y_test holds label 3 at example 1, out of range 0\.\.2 \(the classes of y_train\)$/],
    ['a negative label', safetensorsBytes({ ...good, y_train: labels('int64', [0, 1, -1, 2, 0, 1]) }), /: y_train holds label -1 at example 2, out of range 0\.\.65535/],
    ['one class only', safetensorsBytes({ ...good, y_train: labels('uint8', [0, 0, 0, 0, 0, 0]), y_test: labels('uint8', [0, 0, 0]) }), /: every label in y_train is 0; need at least 2 classes$/],
    ['mismatched counts', safetensorsBytes({ ...good, y_train: labels('int64', [0, 1, 2, 0, 1]) }), /: x_train has 6 examples but y_train has 5 labels$/],
    ['labels of rank 2', safetensorsBytes({ ...good, y_train: { dtype: 'int64', shape: [6, 1], data: BigInt64Array.from([0n, 1n, 2n, 0n, 1n, 2n]) } }), /: y_train has shape \[6, 1\]; expected \[N\], one label per example$/],
    ['examples of rank 1', safetensorsBytes({ ...good, x_train: x('float32', [6], ones(6)) }), /: x_train has shape \[6\]; expected \[N, D\], \[N, H, W\] or \[N, C, H, W\]$/],
    ['test shape unlike train', safetensorsBytes({ ...good, x_test: x('float32', [3, 5], ones(15)) }), /: x_test has examples of shape \[5\] but x_train has \[1, 2, 2\]$/],
    ['no examples', safetensorsBytes({ ...good, x_train: x('float32', [0, 4], []), y_train: labels('int64', []) }), /: x_train has no examples$/],
    ['a NaN', safetensorsBytes({ ...good, x_train: x('float32', [6, 1, 2, 2], [...ones(13), NaN, ...ones(10)]) }), /: x_train holds NaN at example 3; values must be finite$/],
    ['a float64 beyond float32', safetensorsBytes({ ...good, x_train: x('float64', [6, 1, 2, 2], [...ones(20), 1e300, ...ones(3)]) }), /: x_train holds 1e\+300 at example 5 \(beyond float32\); values must be finite$/],
    ['missing tensor', safetensorsBytes({ x_train: good.x_train!, x_test: good.x_test!, y_test: good.y_test! }), /: no tensor 'y_train' \(a data file holds x_train, y_train, x_test, y_test\)$/],
    ['test half of a pair', safetensorsBytes({ x_train: good.x_train!, y_train: good.y_train!, x_test: good.x_test! }), /: x_test without y_test; give both or neither$/],
    ['an unexpected tensor', safetensorsBytes({ ...good, X_train: good.x_train! }), /: unexpected tensor 'X_train' \(a data file holds x_train, y_train, x_test, y_test\)$/],
    ['no such file', 'absent', /: no such file$/],
    ['a directory', 'directory', /: is a directory$/],
  ];
  for (const [name, bytes, message] of cases) {
    const path = join(dir, bytes === 'directory' ? '' : `${name.replace(/\W+/g, '-')}.safetensors`);
    if (Buffer.isBuffer(bytes)) writeFileSync(path, bytes);
    const spec: DataSpec = `file:${path}`;
    for (const read of [() => loadDataset({ name: spec }), () => datasetShape({ name: spec })]) {
      assert.throws(read, (e: unknown) => {
        assert.ok(e instanceof DataError, `${name}: a DataError, got ${String(e)}`);
        assert.ok(e.message.startsWith(`${spec}: `), `${name}: names the input: ${e.message}`);
        assert.doesNotMatch(e.message, /\n/, `${name}: one line`);
        assert.match(e.message, message, name);
        return true;
      }, name);
    }
  }
});
