// Builders of small, valid data files (IDX, CIFAR-10 records, ustar archives, safetensors data files) for the reader and download tests.
// Tests corrupt them byte by byte to check each error message.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type StoredTensor } from '../../src/store/safetensors.ts';

export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'sgdlab-data-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An IDX3 image file: count images of rows x cols, pixel (k, i) = (k * 31 + i) mod 256. */
export function idxImages(count: number, rows = 28, cols = 28, magic = 2051): Buffer {
  const buf = Buffer.alloc(16 + count * rows * cols);
  buf.writeUInt32BE(magic, 0);
  buf.writeUInt32BE(count, 4);
  buf.writeUInt32BE(rows, 8);
  buf.writeUInt32BE(cols, 12);
  for (let k = 0; k < count; k++) for (let i = 0; i < rows * cols; i++) buf[16 + k * rows * cols + i] = (k * 31 + i) % 256;
  return buf;
}

/** An IDX1 label file with labels[k] = k mod 10 unless given. */
export function idxLabels(count: number, labels?: number[], magic = 2049): Buffer {
  const buf = Buffer.alloc(8 + count);
  buf.writeUInt32BE(magic, 0);
  buf.writeUInt32BE(count, 4);
  for (let k = 0; k < count; k++) buf[8 + k] = labels?.[k] ?? k % 10;
  return buf;
}

/** count CIFAR-10 records: label (first + k) mod 10, pixel p = (k + p) mod 256. */
export function cifarRecords(count: number, first = 0): Buffer {
  const buf = Buffer.alloc(count * 3073);
  for (let k = 0; k < count; k++) {
    buf[k * 3073] = (first + k) % 10;
    for (let p = 0; p < 3072; p++) buf[k * 3073 + 1 + p] = (k + p) % 256;
  }
  return buf;
}

export interface TarFixtureEntry {
  path: string;
  data?: Uint8Array;
  /** ustar type flag: '0' file (default), '5' directory, '2' symlink, ... */
  type?: string;
  /** Target of a link entry (types '1' and '2'). */
  linkname?: string;
}

/** A ustar archive (POSIX magic) of the given entries, with correct header checksums. */
export function makeTar(entries: TarFixtureEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? new Uint8Array(0));
    const header = Buffer.alloc(512);
    header.write(entry.path, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    header.write('00000000000\0', 136);
    header.write(entry.type ?? '0', 156);
    if (entry.linkname) header.write(entry.linkname, 157, 100, 'utf8');
    header.write('ustar\0', 257);
    header.write('00', 263);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** The bytes of a safetensors file holding these tensors (with the run store's encoder, as a user's writer would lay them out). */
export function safetensorsBytes(tensors: Record<string, StoredTensor>): Buffer {
  return Buffer.concat(encodeSafetensors(tensors));
}

/**
 * A data file's tensors: n train and nTest test examples of the given example shape as float32
 * (value (k·7 + i) mod 13 / 13), labels k mod classes as int64 (torch.long), as PyTorch would save them.
 */
export function dataTensors(n: number, nTest: number, example: number[] = [1, 4, 4], classes = 3): Record<string, StoredTensor> {
  const size = example.reduce((a, b) => a * b, 1);
  const x = (count: number): StoredTensor => ({ dtype: 'float32', shape: [count, ...example], data: Float32Array.from({ length: count * size }, (_, j) => ((Math.floor(j / size) * 7 + (j % size)) % 13) / 13) });
  const y = (count: number): StoredTensor => ({ dtype: 'int64', shape: [count], data: BigInt64Array.from({ length: count }, (_, k) => BigInt(k % classes)) });
  return { x_train: x(n), y_train: y(n), ...(nTest > 0 ? { x_test: x(nTest), y_test: y(nTest) } : {}) };
}
