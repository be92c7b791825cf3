// Safetensors headers are input from a file: names that are Object.prototype's own keys are kept,
// and a shape nested 100 000 deep is a one-line StoreError, not a stack overflow.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSafetensors, encodeSafetensors, StoreError } from '../../src/store/index.ts';

const bytesOf = (chunks: Uint8Array[]) => Buffer.concat(chunks);

function fileWithHeader(header: string, dataBytes = 0): Buffer {
  const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
  const b = Buffer.alloc(8 + padded.length + dataBytes);
  b.writeBigUInt64LE(BigInt(padded.length));
  b.write(padded, 8);
  return b;
}

test("tensors named '__proto__', 'constructor' and 'toString' survive a write and a read", () => {
  const tensors = {} as Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }>;
  for (const [i, name] of ['__proto__', 'constructor', 'toString'].entries()) {
    Object.defineProperty(tensors, name, { enumerable: true, value: { dtype: 'float32', shape: [1], data: Float32Array.of(i + 1) } });
  }
  const read = decodeSafetensors(bytesOf(encodeSafetensors(tensors, { __proto__x: 'a' })), 'names');
  assert.deepEqual(Object.keys(read.tensors).sort(), ['__proto__', 'constructor', 'toString']);
  assert.equal(Object.getPrototypeOf(read.tensors), Object.prototype);
  assert.deepEqual([...Object.getOwnPropertyDescriptor(read.tensors, '__proto__')!.value.data], [1]);
  assert.deepEqual([...read.tensors['constructor' as string]!.data], [2]);

  const fromOtherTool = decodeSafetensors(fileWithHeader('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"__proto__":"m"}}', 4), 'other');
  assert.deepEqual(Object.keys(fromOtherTool.tensors), ['__proto__']);
  assert.deepEqual(Object.keys(fromOtherTool.metadata), ['__proto__']);
});

test('a shape nested 100 000 deep, or of rank 65, is a one-line StoreError', () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  for (const [shape, message] of [[deep, /tensor 'a' has an invalid shape a list of 1 items$/], [`[${Array(65).fill(1).join(',')}]`, /invalid shape a list of 65 items$/]] as const) {
    assert.throws(
      () => decodeSafetensors(fileWithHeader(`{"a":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`, 4), 'deep.safetensors'),
      (e: Error) => e instanceof StoreError && /^deep.safetensors: /.test(e.message) && message.test(e.message) && !e.message.includes('\n'),
    );
  }
});
