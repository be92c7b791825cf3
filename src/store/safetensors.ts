// Checkpoint files in the safetensors format, read and written without a dependency, so that
// PyTorch/JAX/Hugging Face tooling can open sgdlab parameters and sgdlab can open theirs.
//
// Layout: u64 little-endian header length N, N bytes of JSON header (padded with spaces so the data
// starts 8-byte aligned), then the data section. Each header entry is
// `{dtype, shape, data_offsets: [begin, end]}` with offsets relative to the data section, and the
// entries tile the data section exactly. An optional `__metadata__` entry maps strings to strings.
//
// Tensor order: a file written here stores tensors in the property order of the record passed to
// `writeSafetensors` (JavaScript puts integer-like names such as "0" first). `readSafetensors`
// returns tensors in the order of their data in the file, which for our files is that same order,
// because JSON key order is not reliable across writers.

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { InputFileError, readInputFile } from '../util/input-file.ts';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { StoreError, describeError } from './errors.ts';

// uint8: data sets (images and labels as PyTorch and NumPy write them); checkpoints hold float tensors.
export type TensorDType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8';

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** A host tensor as stored in a checkpoint: `data` is row-major and holds `product(shape)` values. */
export interface StoredTensor {
  dtype: TensorDType;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsContents {
  tensors: Record<string, StoredTensor>;
  metadata: Record<string, string>;
}

interface DTypeInfo {
  safetensorsName: string;
  bytesPerElement: number;
  arrayType: { new (buffer: ArrayBuffer): TensorData; name: string };
}

const DTYPES: { [D in TensorDType]: DTypeInfo } = {
  float32: { safetensorsName: 'F32', bytesPerElement: 4, arrayType: Float32Array },
  float64: { safetensorsName: 'F64', bytesPerElement: 8, arrayType: Float64Array },
  int32: { safetensorsName: 'I32', bytesPerElement: 4, arrayType: Int32Array },
  int64: { safetensorsName: 'I64', bytesPerElement: 8, arrayType: BigInt64Array },
  uint8: { safetensorsName: 'U8', bytesPerElement: 1, arrayType: Uint8Array },
};

const DTYPE_BY_SAFETENSORS_NAME = new Map<string, TensorDType>(
  (Object.keys(DTYPES) as TensorDType[]).map((d) => [DTYPES[d].safetensorsName, d]),
);

// Valid safetensors dtypes that sgdlab has no host array for: named separately from garbage so
// the error tells the user the file is fine but holds a type we do not load.
const OTHER_SAFETENSORS_DTYPES = new Set([
  'BOOL', 'I8', 'U16', 'I16', 'U32', 'U64', 'F16', 'BF16', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64',
]);

const METADATA_KEY = '__metadata__';
// The reference implementation refuses headers above 100 MB; a larger one is a corrupt length field.
const MAX_HEADER_BYTES = 100_000_000;
const HEADER_ALIGNMENT = 8;
// No framework uses more dimensions; the bound also keeps a hostile shape's product from overflowing.
const MAX_RANK = 64;

// Typed arrays use the host byte order and the format is little-endian; every platform Node
// supports today is little-endian, so refuse loudly rather than silently swap bytes wrongly.
// (Probed with a typed array rather than node:os, so that encoding also runs in a browser.)
function assertLittleEndianHost(): void {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new StoreError('safetensors: big-endian hosts are not supported');
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Names come from files: define them as own properties, so '__proto__' is stored as a tensor named
 * '__proto__' (plain assignment would set the object's prototype and the tensor would vanish).
 */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A JSON value from a file, described in at most 60 characters without recursing into it (it may nest 100 000 deep). */
function describeJson(value: unknown): string {
  if (Array.isArray(value)) return value.length <= 8 && value.every((v) => typeof v === 'number') ? `[${value.join(',')}]` : `a list of ${value.length} items`;
  if (typeof value === 'object' && value !== null) return 'an object';
  return (JSON.stringify(value) ?? String(value)).slice(0, 60);
}

function isDimension(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkTensorToWrite(name: string, tensor: StoredTensor, label: string): void {
  if (name === '' || name === METADATA_KEY) {
    throw new StoreError(`${label}: invalid tensor name ${JSON.stringify(name)}`);
  }
  const info = DTYPES[tensor.dtype];
  if (info === undefined) {
    throw new StoreError(`${label}: tensor '${name}' has unknown dtype ${JSON.stringify(tensor.dtype)}`);
  }
  if (!Array.isArray(tensor.shape) || !tensor.shape.every(isDimension)) {
    throw new StoreError(`${label}: tensor '${name}' has an invalid shape ${describeJson(tensor.shape)}`);
  }
  if (!(tensor.data instanceof info.arrayType)) {
    const got = (tensor.data as object | undefined)?.constructor?.name ?? typeof tensor.data;
    throw new StoreError(`${label}: tensor '${name}' is ${tensor.dtype} but its data is a ${got}, not a ${info.arrayType.name}`);
  }
  const expected = elementCount(tensor.shape);
  if (tensor.data.length !== expected) {
    throw new StoreError(
      `${label}: tensor '${name}' has shape [${tensor.shape.join(',')}] (${expected} values) but ${tensor.data.length} values of data`,
    );
  }
}

function checkMetadata(metadata: Record<string, string>, label: string): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new StoreError(`${label}: metadata '${key}' must be a string, got ${typeof value}`);
    }
  }
}

/**
 * Encode tensors and metadata as safetensors bytes, as a list of chunks (header, then each tensor's
 * bytes as a view on its own data) so that writing a large checkpoint copies nothing.
 */
export function encodeSafetensors(
  tensors: Record<string, StoredTensor>,
  metadata?: Record<string, string>,
  label = 'safetensors',
): Uint8Array[] {
  assertLittleEndianHost();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    checkMetadata(metadata, label);
    if (Object.keys(metadata).length > 0) header[METADATA_KEY] = { ...metadata };
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    checkTensorToWrite(name, tensor, label);
    const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    setOwn(header, name, {
      dtype: DTYPES[tensor.dtype].safetensorsName,
      shape: [...tensor.shape],
      data_offsets: [offset, offset + bytes.byteLength],
    });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  // TextEncoder and DataView rather than Buffer: the browser playground exports with this too.
  const unpadded = new TextEncoder().encode(JSON.stringify(header));
  const padding = (HEADER_ALIGNMENT - (unpadded.byteLength % HEADER_ALIGNMENT)) % HEADER_ALIGNMENT;
  const headerBytes = new Uint8Array(unpadded.byteLength + padding).fill(0x20);
  headerBytes.set(unpadded);
  const lengthPrefix = new Uint8Array(8);
  new DataView(lengthPrefix.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  return [lengthPrefix, headerBytes, ...chunks];
}

/**
 * Write a checkpoint atomically: the bytes go to a temporary file in the destination's directory,
 * are flushed to disk, then renamed over the destination, so a crash leaves either the old file or
 * the new one, never half of one. Parent directories are created.
 */
export function writeSafetensors(
  path: string,
  tensors: Record<string, StoredTensor>,
  metadata?: Record<string, string>,
): void {
  const chunks = encodeSafetensors(tensors, metadata, path);
  const directory = dirname(path);
  try {
    mkdirSync(directory, { recursive: true });
  } catch (error) {
    throw new StoreError(`${path}: cannot create directory ${directory}: ${describeError(error)}`, { cause: error });
  }
  // Hidden, unique per process and call, and in the same directory so that rename stays atomic.
  const temporaryPath = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const fd = openSync(temporaryPath, 'wx');
    try {
      for (const chunk of chunks) {
        let written = 0;
        while (written < chunk.byteLength) written += writeSync(fd, chunk, written, chunk.byteLength - written);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporaryPath, path);
    renamed = true;
    syncDirectory(directory);
  } catch (error) {
    if (!renamed) rmSync(temporaryPath, { force: true });
    throw new StoreError(`${path}: cannot write checkpoint: ${describeError(error)}`, { cause: error });
  }
}

// Flushing the directory makes the rename itself durable. Some platforms cannot open a directory
// for fsync (Windows); there the rename is still atomic, just not yet durable, which is acceptable.
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // see above
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Read and fully validate a safetensors file; every problem is a one-line StoreError naming the file. */
export function readSafetensors(path: string): SafetensorsContents {
  // A regular file within the checkpoint bound: a link to /dev/zero or a FIFO is refused, not read forever.
  let bytes: Buffer;
  try {
    bytes = readInputFile(path, 'checkpoint', `${path}: cannot read checkpoint`);
  } catch (error) {
    throw error instanceof InputFileError ? new StoreError(error.message, { cause: error }) : error;
  }
  return decodeSafetensors(bytes, path);
}

interface HeaderEntry {
  name: string;
  dtype: TensorDType;
  shape: number[];
  begin: number;
  end: number;
}

/** Decode safetensors bytes; `label` names the source (a path) in error messages. */
export function decodeSafetensors(bytes: Uint8Array, label = 'safetensors'): SafetensorsContents {
  assertLittleEndianHost();
  const fail: (problem: string) => never = (problem) => {
    throw new StoreError(`${label}: ${problem}`);
  };
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declaredHeaderLength = view.getBigUint64(0, true);
  if (declaredHeaderLength > BigInt(bytes.byteLength - 8)) {
    fail(`header length ${declaredHeaderLength} exceeds the ${bytes.byteLength - 8} bytes after the length field`);
  }
  const headerLength = Number(declaredHeaderLength);
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerLength < 2) fail(`header length ${headerLength} is too short for a JSON object`);

  let header: unknown;
  try {
    const headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
    header = JSON.parse(headerText);
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${describeError(error)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(value, fail);
    } else {
      entries.push(parseHeaderEntry(name, value, fail));
    }
  }

  // The entries must tile the data section: sorted by offset, each starts where the previous ended,
  // the first at 0 and the last at the end of the file. This rules out overlaps, gaps and trailing bytes.
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const entry of entries) {
    if (entry.begin < expectedBegin) {
      fail(`tensor '${entry.name}' data_offsets [${entry.begin},${entry.end}] overlap the previous tensor, which ends at ${expectedBegin}`);
    }
    if (entry.begin > expectedBegin) {
      fail(`tensor '${entry.name}' data_offsets [${entry.begin},${entry.end}] leave a gap after byte ${expectedBegin}`);
    }
    if (entry.end > dataLength) {
      fail(`tensor '${entry.name}' data_offsets [${entry.begin},${entry.end}] run past the ${dataLength}-byte data section`);
    }
    expectedBegin = entry.end;
  }
  if (expectedBegin !== dataLength) {
    fail(`${dataLength - expectedBegin} trailing bytes after the last tensor (data section is ${dataLength} bytes, tensors cover ${expectedBegin})`);
  }

  const tensors: Record<string, StoredTensor> = {};
  for (const entry of entries) {
    // Copy into a fresh buffer: the file offset need not be aligned for the typed array, and the
    // tensor should not keep the whole file alive.
    const copy = new ArrayBuffer(entry.end - entry.begin);
    new Uint8Array(copy).set(bytes.subarray(dataStart + entry.begin, dataStart + entry.end));
    setOwn(tensors, entry.name, { dtype: entry.dtype, shape: entry.shape, data: new DTYPES[entry.dtype].arrayType(copy) });
  }
  return { tensors, metadata };
}

function parseMetadata(value: unknown, fail: (problem: string) => never): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${METADATA_KEY} is not a JSON object`);
  const metadata: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item !== 'string') fail(`${METADATA_KEY} value '${key}' is not a string`);
    setOwn(metadata, key, item as string);
  }
  return metadata;
}

function parseHeaderEntry(name: string, value: unknown, fail: (problem: string) => never): HeaderEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`tensor '${name}' entry is not a JSON object`);
  const entry = value as Record<string, unknown>;
  for (const key of Object.keys(entry)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') fail(`tensor '${name}' has unknown field '${key}'`);
  }
  const { dtype: rawDType, shape, data_offsets: offsets } = entry;
  if (typeof rawDType !== 'string') fail(`tensor '${name}' has no dtype string`);
  const dtype = DTYPE_BY_SAFETENSORS_NAME.get(rawDType as string);
  if (dtype === undefined) {
    if (OTHER_SAFETENSORS_DTYPES.has(rawDType as string)) {
      fail(`tensor '${name}' has dtype ${rawDType}, which sgdlab does not load (supported: ${[...DTYPE_BY_SAFETENSORS_NAME.keys()].join(', ')})`);
    }
    fail(`tensor '${name}' has unknown dtype ${JSON.stringify(rawDType)}`);
  }
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(isDimension)) fail(`tensor '${name}' has an invalid shape ${describeJson(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isDimension)) {
    fail(`tensor '${name}' has invalid data_offsets ${describeJson(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`tensor '${name}' data_offsets [${begin},${end}] end before they begin`);
  const expectedBytes = elementCount(shape as number[]) * DTYPES[dtype!].bytesPerElement;
  if (end - begin !== expectedBytes) {
    fail(`tensor '${name}' has shape [${(shape as number[]).join(',')}] of ${dtype} (${expectedBytes} bytes) but data_offsets [${begin},${end}] span ${end - begin} bytes`);
  }
  return { name, dtype: dtype!, shape: [...(shape as number[])], begin, end };
}
