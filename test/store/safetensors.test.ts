// Tests for the safetensors reader and writer: round trips, a hand-built reference file, a corpus
// of corrupt files that must each fail with one clear line, and the atomic-write guarantee.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  StoreError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  writeSafetensors,
  type StoredTensor,
} from '../../src/store/index.ts';

function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'sgdlab-safetensors-'));
}

/** Assemble a file from a header object (or raw header text or bytes) and data bytes, as a writer would. */
function fileFrom(header: unknown, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Buffer {
  const headerBytes = Buffer.isBuffer(header)
    ? header
    : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(declaredLength ?? BigInt(headerBytes.byteLength));
  return Buffer.concat([length, headerBytes, data]);
}

const sampleTensors = (): Record<string, StoredTensor> => ({
  'layers.0.weight': { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-30, -Infinity]) },
  'layers.0.bias': { dtype: 'float64', shape: [3], data: Float64Array.from([Math.PI, -0, Number.MAX_VALUE]) },
  step: { dtype: 'int64', shape: [], data: BigInt64Array.from([9007199254740993n]) },
  labels: { dtype: 'int32', shape: [4], data: Int32Array.from([0, -1, 2147483647, -2147483648]) },
  empty: { dtype: 'float32', shape: [0, 5], data: new Float32Array(0) },
});

test('round trip keeps every dtype, shape, value and the metadata', () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir, 'nested', 'dir', 'model.safetensors');
    const tensors = sampleTensors();
    writeSafetensors(path, tensors, { format: 'pt', seed: '7', note: 'ünïcode ✓' });
    const read = readSafetensors(path);
    assert.deepEqual(read.metadata, { format: 'pt', seed: '7', note: 'ünïcode ✓' });
    assert.deepEqual(Object.keys(read.tensors), Object.keys(tensors), 'insertion order is kept');
    for (const [name, tensor] of Object.entries(tensors)) {
      const got = read.tensors[name]!;
      assert.equal(got.dtype, tensor.dtype, name);
      assert.deepEqual(got.shape, tensor.shape, name);
      assert.equal(got.data.constructor, tensor.data.constructor, name);
      assert.deepEqual(Array.from(got.data as ArrayLike<number | bigint>), Array.from(tensor.data as ArrayLike<number | bigint>), name);
    }
    assert.ok(Object.is(read.tensors['layers.0.bias']!.data[1], -0), 'negative zero survives');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('header is padded with spaces so the data section starts 8-byte aligned', () => {
  for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
    const bytes = Buffer.concat(encodeSafetensors({ [name]: { dtype: 'float64', shape: [1], data: Float64Array.from([1]) } }));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    assert.equal(headerLength % 8, 0, name);
    assert.match(bytes.subarray(8, 8 + headerLength).toString('utf8'), /^\{.*\} *$/);
  }
});

test('writes exactly the reference layout, byte for byte', () => {
  const header = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
  const data = Buffer.alloc(8);
  data.writeFloatLE(1.5, 0);
  data.writeFloatLE(-2, 4);
  const expected = fileFrom(padded, data);
  const written = Buffer.concat(encodeSafetensors({ w: { dtype: 'float32', shape: [2], data: Float32Array.from([1.5, -2]) } }));
  assert.deepEqual(written, expected);
  const read = decodeSafetensors(expected);
  assert.deepEqual(Array.from(read.tensors.w!.data as Float32Array), [1.5, -2]);
});

test('reads a file whose header lists tensors out of data order, and returns them in data order', () => {
  const data = Buffer.alloc(12);
  data.writeInt32LE(7, 0);
  data.writeDoubleLE(0.25, 4);
  const header = {
    second: { dtype: 'F64', shape: [1], data_offsets: [4, 12] },
    __metadata__: { k: 'v' },
    first: { dtype: 'I32', shape: [1], data_offsets: [0, 4] },
  };
  const read = decodeSafetensors(fileFrom(header, data), 'x.safetensors');
  assert.deepEqual(Object.keys(read.tensors), ['first', 'second']);
  assert.equal(read.tensors.first!.data[0], 7);
  assert.equal(read.tensors.second!.data[0], 0.25, 'unaligned data is copied, not viewed');
});

const validEntry = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
const eightBytes = new Uint8Array(8);
const corruptFiles: { name: string; bytes: Buffer | Uint8Array; message: RegExp }[] = [
  { name: 'empty file', bytes: new Uint8Array(0), message: /too short for the 8-byte header length/ },
  { name: 'header length beyond file size', bytes: fileFrom({ w: validEntry }, eightBytes, 1000n), message: /header length 1000 exceeds/ },
  { name: 'huge header length', bytes: fileFrom({}, eightBytes, 0xffffffffffffffffn), message: /header length 18446744073709551615 exceeds/ },
  { name: 'invalid JSON', bytes: fileFrom('{"w": {', eightBytes), message: /header is not valid UTF-8 JSON/ },
  { name: 'invalid UTF-8', bytes: fileFrom(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), message: /header is not valid UTF-8 JSON/ },
  { name: 'header is an array', bytes: fileFrom('[1,2,3]'), message: /header is not a JSON object/ },
  { name: 'unknown dtype', bytes: fileFrom({ w: { ...validEntry, dtype: 'F33' } }, eightBytes), message: /tensor 'w' has unknown dtype "F33"/ },
  { name: 'valid but unsupported dtype', bytes: fileFrom({ w: { dtype: 'F16', shape: [4], data_offsets: [0, 8] } }, eightBytes), message: /dtype F16, which sgdlab does not load/ },
  { name: 'missing dtype', bytes: fileFrom({ w: { shape: [2], data_offsets: [0, 8] } }, eightBytes), message: /tensor 'w' has no dtype/ },
  { name: 'negative dimension', bytes: fileFrom({ w: { ...validEntry, shape: [-2] } }, eightBytes), message: /invalid shape \[-2\]/ },
  { name: 'fractional dimension', bytes: fileFrom({ w: { ...validEntry, shape: [1.5] } }, eightBytes), message: /invalid shape/ },
  { name: 'shape/offset mismatch', bytes: fileFrom({ w: { ...validEntry, shape: [3] } }, eightBytes), message: /shape \[3\] of float32 \(12 bytes\) but data_offsets \[0,8\] span 8 bytes/ },
  { name: 'offsets end before begin', bytes: fileFrom({ w: { ...validEntry, data_offsets: [8, 0] } }, eightBytes), message: /end before they begin/ },
  { name: 'offsets not a pair', bytes: fileFrom({ w: { ...validEntry, data_offsets: [0] } }, eightBytes), message: /invalid data_offsets \[0\]/ },
  { name: 'unknown entry field', bytes: fileFrom({ w: { ...validEntry, extra: 1 } }, eightBytes), message: /unknown field 'extra'/ },
  {
    name: 'overlapping offsets',
    bytes: fileFrom({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)),
    message: /tensor 'b' data_offsets \[4,12\] overlap/,
  },
  {
    name: 'gap between tensors',
    bytes: fileFrom({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)),
    message: /tensor 'b' .* leave a gap after byte 4/,
  },
  { name: 'first tensor not at 0', bytes: fileFrom({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eightBytes), message: /leave a gap after byte 0/ },
  { name: 'offsets past the end', bytes: fileFrom({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, eightBytes), message: /run past the 8-byte data section/ },
  { name: 'trailing bytes', bytes: fileFrom({ w: validEntry }, new Uint8Array(12)), message: /4 trailing bytes after the last tensor/ },
  { name: 'truncated data', bytes: fileFrom({ w: validEntry }, new Uint8Array(5)), message: /run past the 5-byte data section/ },
  { name: 'metadata not strings', bytes: fileFrom({ __metadata__: { n: 1 }, w: validEntry }, eightBytes), message: /__metadata__ value 'n' is not a string/ },
  { name: 'metadata not an object', bytes: fileFrom({ __metadata__: 'x', w: validEntry }, eightBytes), message: /__metadata__ is not a JSON object/ },
];

test('every corrupt file fails with a one-line StoreError naming the file and the problem', () => {
  const dir = temporaryDirectory();
  try {
    for (const corrupt of corruptFiles) {
      const path = join(dir, `${corrupt.name.replace(/\W+/g, '-')}.safetensors`);
      writeFileSync(path, corrupt.bytes);
      assert.throws(
        () => readSafetensors(path),
        (error: unknown) => {
          assert.ok(error instanceof StoreError, `${corrupt.name}: ${String(error)}`);
          assert.ok(error.message.startsWith(`${path}: `), `${corrupt.name}: ${error.message}`);
          assert.match(error.message, corrupt.message, corrupt.name);
          assert.doesNotMatch(error.message, /\n/, corrupt.name);
          return true;
        },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('missing file and directory are one-line errors', () => {
  const dir = temporaryDirectory();
  try {
    assert.throws(() => readSafetensors(join(dir, 'nope.safetensors')), /nope\.safetensors: cannot read checkpoint: no such file$/);
    assert.throws(() => readSafetensors(dir), /cannot read checkpoint: is a directory$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writing rejects bad tensors before touching the destination', () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir, 'model.safetensors');
    writeSafetensors(path, { w: { dtype: 'float32', shape: [1], data: Float32Array.from([1]) } });
    const before = readFileSync(path);
    const bad: [Record<string, StoredTensor>, RegExp][] = [
      [{ w: { dtype: 'float32', shape: [2], data: Float32Array.from([1]) } }, /shape \[2\] \(2 values\) but 1 values/],
      [{ w: { dtype: 'float32', shape: [1], data: Float64Array.from([1]) } }, /is float32 but its data is a Float64Array, not a Float32Array/],
      [{ w: { dtype: 'float16' as 'float32', shape: [1], data: Float32Array.from([1]) } }, /unknown dtype "float16"/],
      [{ w: { dtype: 'float32', shape: [-1], data: Float32Array.from([1]) } }, /invalid shape/],
      [{ __metadata__: { dtype: 'float32', shape: [1], data: Float32Array.from([1]) } }, /invalid tensor name "__metadata__"/],
    ];
    for (const [tensors, message] of bad) {
      assert.throws(() => writeSafetensors(path, tensors), (error: unknown) => error instanceof StoreError && message.test(error.message));
    }
    assert.throws(() => writeSafetensors(path, {}, { n: 1 as unknown as string }), /metadata 'n' must be a string/);
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('atomic write replaces the old file and leaves no temporary files, even when it fails', () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir, 'ckpt.safetensors');
    for (let step = 0; step < 5; step++) {
      writeSafetensors(path, { w: { dtype: 'float64', shape: [3], data: Float64Array.from([step, step, step]) } }, { step: String(step) });
    }
    assert.deepEqual(readdirSync(dir), ['ckpt.safetensors']);
    assert.equal(readSafetensors(path).metadata.step, '4');

    // A destination that is a non-empty directory makes the final rename fail: the temporary file
    // must be cleaned up and the error must name the destination.
    const blocked = join(dir, 'blocked.safetensors');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'keep'), 'x');
    assert.throws(
      () => writeSafetensors(blocked, { w: { dtype: 'float32', shape: [1], data: Float32Array.from([1]) } }),
      (error: unknown) => error instanceof StoreError && error.message.startsWith(`${blocked}: cannot write checkpoint`),
    );
    assert.deepEqual(readdirSync(dir).sort(), ['blocked.safetensors', 'ckpt.safetensors']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('views into a larger buffer write only their own bytes', () => {
  const backing = Float32Array.from([9, 9, 1, 2, 3, 9]);
  const view = backing.subarray(2, 5);
  const read = decodeSafetensors(Buffer.concat(encodeSafetensors({ v: { dtype: 'float32', shape: [3], data: view } })));
  assert.deepEqual(Array.from(read.tensors.v!.data as Float32Array), [1, 2, 3]);
});

const pythonWithNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

test('numpy reads what we write and we read what numpy writes', { skip: pythonWithNumpy ? false : 'python3 with numpy not available' }, () => {
  const dir = temporaryDirectory();
  try {
    const ours = join(dir, 'ours.safetensors');
    const theirs = join(dir, 'theirs.safetensors');
    writeSafetensors(ours, {
      a: { dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4.5]) },
      b: { dtype: 'int64', shape: [2], data: BigInt64Array.from([-5n, 1n << 40n]) },
    });
    // An independent reader and writer of the layout, in a few lines of Python with numpy.
    const script = `
import json, struct, sys
import numpy as np
kinds = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8"}
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
out = {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], kinds[v["dtype"]]).reshape(v["shape"]).tolist()
       for k, v in header.items() if k != "__metadata__"}
print(json.dumps(out))
c = np.arange(6, dtype="<f8").reshape(2, 3) / 4
d = np.array([7, -8], dtype="<i4")
h = json.dumps({"__metadata__": {"by": "numpy"}, "c": {"dtype": "F64", "shape": [2, 3], "data_offsets": [0, 48]},
                "d": {"dtype": "I32", "shape": [2], "data_offsets": [48, 56]}}).encode()
h += b" " * ((8 - len(h) % 8) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(h)) + h + c.tobytes() + d.tobytes())
`;
    const result = spawnSync('python3', ['-c', script, ours, theirs], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { a: [[1, 2], [3, 4.5]], b: [-5, 2 ** 40] });
    const read = readSafetensors(theirs);
    assert.deepEqual(read.metadata, { by: 'numpy' });
    assert.deepEqual(read.tensors.c!.shape, [2, 3]);
    assert.deepEqual(Array.from(read.tensors.c!.data as Float64Array), [0, 0.25, 0.5, 0.75, 1, 1.25]);
    assert.deepEqual(Array.from(read.tensors.d!.data as Int32Array), [7, -8]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
