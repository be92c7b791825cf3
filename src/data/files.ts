// Small file helpers shared by the dataset readers: locate a file with or without .gz, read and gunzip it.
// Every failure becomes a one-line DataError naming the file.

import { existsSync, statSync } from 'node:fs';
import { InputFileError, readInputFile, readInputPrefix } from '../util/input-file.ts';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError } from './errors.ts';

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The path of base or base.gz in dir (the uncompressed file wins, it is faster to read), or undefined. */
export function findMaybeGzipped(dir: string, base: string): string | undefined {
  for (const candidate of [join(dir, base), join(dir, `${base}.gz`)]) if (isFile(candidate)) return candidate;
  return undefined;
}

export function requireDirectory(dir: string, dataset: string): void {
  if (!existsSync(dir)) throw new DataError(`${dataset}: directory ${dir} does not exist`);
  if (!isDirectory(dir)) throw new DataError(`${dataset}: ${dir} is not a directory`);
}

/** Largest decompressed data file accepted (Fashion-MNIST's largest is 47 MB): a gzip bomb stops here. */
export const MAX_GUNZIPPED_BYTES = 1 << 30;

/** Gunzip with an output cap; a corrupt stream or one that inflates past the cap is a DataError naming the file. */
export function gunzipCapped(raw: Uint8Array, name: string, maxBytes = MAX_GUNZIPPED_BYTES): Buffer {
  try {
    return gunzipSync(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw new DataError(`${name}: decompresses to more than ${maxBytes} bytes; not a data file sgdlab reads`);
    throw new DataError(`${name}: not a valid gzip file (${(err as Error).message})`);
  }
}

/**
 * A data file's bytes through the bounded input reader (src/util/input-file.ts): a FIFO, a device or a
 * directory in its place is a one-line DataError naming the file, not a read that never ends.
 */
export function readDataFile(path: string, name: string = basename(path)): Buffer {
  return asDataError(() => readInputFile(path, 'data', name));
}

/** The first `bytes` bytes of a data file (its header), refused like readDataFile. */
export function readDataPrefix(path: string, bytes: number, name: string = basename(path)): Buffer {
  return asDataError(() => readInputPrefix(path, bytes, name));
}

/** The input reader's refusal as the data loaders' error, its line unchanged. */
function asDataError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof InputFileError) throw new DataError(err.message, { cause: err });
    throw err;
  }
}

/** Read a file, gunzipping it (with CRC and length checks, and an output cap) when its name ends in .gz. */
export function readMaybeGzipped(path: string): Buffer {
  const name = basename(path);
  const raw = readDataFile(path, name);
  if (!path.endsWith('.gz')) return raw;
  return gunzipCapped(raw, name);
}
