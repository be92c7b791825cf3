// The one way sgdlab reads a whole input file (a --config, a sweep spec, a results file, a checkpoint): a regular file within a size bound for its kind, refused in one line otherwise.
//
// Why not readFileSync: a path (or a symlink) to /dev/zero reads until memory runs out, one to a FIFO
// blocks forever, and a multi-gigabyte file is read before any check can look at it. Here the file is
// opened non-blocking (a FIFO opens at once instead of waiting for a writer), checked with fstat on
// the open descriptor (no gap between check and read), and read to at most its kind's bound + 1 byte,
// so a file that grows while read, or a /proc file that claims size 0, stays bounded too.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { UserError } from './user-error.ts';

const MiB = 1024 * 1024;

/** The most bytes each kind of input may hold (and why that much is enough). */
export const INPUT_FILE_LIMITS = {
  /** A --config file: a few dozen keys. */
  config: 1 * MiB,
  /** A sweep spec: axes may be written out as lists; 100 000 trials' worth of values fits easily. */
  spec: 16 * MiB,
  /** A results file: one line (≈ 1 KB) per trial, 100 000 trials per sweep at most. */
  results: 256 * MiB,
  /** A checkpoint: readFileSync's own limit, far above the paper's largest model with momentum (≈ 300 MB). */
  checkpoint: 2 ** 31 - 1,
  /** A data set as one safetensors file (--data file:…): the same limit (MNIST as float32 is ≈ 220 MB). */
  data: 2 ** 31 - 1,
} as const satisfies Record<string, number>;

export type InputFileKind = keyof typeof INPUT_FILE_LIMITS;

/** A file that cannot be read as the input it was given as: missing, a directory, a FIFO, too big. */
export class InputFileError extends UserError {
  override name = 'InputFileError';
}

export function formatFileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
}

/** What a non-regular file is, for the one-line refusal. */
export function describeFileType(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Why opening failed, in words (the errno code stays out of the user's line). */
export function describeOpenError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a folder on the path is a file';
  if (code === 'ELOOP') return 'too many symbolic links';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  if (code === 'EISDIR') return 'is a directory';
  return code ?? (error instanceof Error ? error.message : String(error));
}

// O_NONBLOCK does not exist on Windows, where FIFOs are not files on a path anyway. Read when a file
// is opened, not at load: the browser playground's bundle reaches this module with node:fs stubbed.
const openFlags = (): number => constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const CHUNK = 1 << 20;

/**
 * `path` opened non-blocking and checked with fstat on the open descriptor: a regular file (its descriptor,
 * which the caller closes, and its stat) or an InputFileError `<label>: <why>`, the descriptor closed.
 */
function openRegularFile(path: string, label: string): { fd: number; st: Stats } {
  let fd: number;
  try {
    fd = openSync(path, openFlags());
  } catch (error) {
    throw new InputFileError(`${label}: ${describeOpenError(error)}`, { cause: error });
  }
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  if (!st.isFile()) {
    closeSync(fd);
    const type = describeFileType(st);
    throw new InputFileError(`${label}: ${type === 'a directory' ? 'is' : 'is not a regular file but'} ${type}`);
  }
  return { fd, st };
}

/**
 * The bytes of the regular file at `path` (symlinks followed), at most INPUT_FILE_LIMITS[kind] of them.
 * Every refusal is an InputFileError `<label>: <why>`; `label` names the input as the user gave it
 * (`--config x.json`), the path by default.
 */
export function readInputFile(path: string, kind: InputFileKind, label: string = path): Buffer {
  const limit = INPUT_FILE_LIMITS[kind];
  const { fd, st } = openRegularFile(path, label);
  try {
    const tooBig = () => new InputFileError(`${label}: larger than the ${formatFileSize(limit)} a ${KIND_WORDS[kind]} may hold`);
    if (st.size > limit) throw tooBig();
    // Sized by fstat, grown in chunks if the file is longer than it said (a /proc file says 0).
    const chunks: Buffer[] = [];
    let total = 0;
    let buffer = Buffer.allocUnsafe(Math.min(st.size, limit) + 1);
    let filled = 0;
    for (;;) {
      if (filled === buffer.length) {
        chunks.push(buffer);
        buffer = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
        filled = 0;
        if (buffer.length === 0) throw tooBig();
      }
      let n: number;
      try {
        n = readSync(fd, buffer, filled, buffer.length - filled, null);
      } catch (error) {
        throw new InputFileError(`${label}: cannot read: ${describeOpenError(error)}`, { cause: error });
      }
      if (n === 0) break;
      filled += n;
      total += n;
      if (total > limit) throw tooBig();
    }
    chunks.push(buffer.subarray(0, filled));
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/**
 * At most the first `bytes` bytes of the regular file at `path` (a data file's header), refused like
 * readInputFile when it is not one: a FIFO opens non-blocking and is refused instead of waited on.
 */
export function readInputPrefix(path: string, bytes: number, label: string = path): Buffer {
  const { fd, st } = openRegularFile(path, label);
  try {
    const buffer = Buffer.alloc(Math.min(st.size, bytes));
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return buffer.subarray(0, filled);
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(`${label}: cannot read: ${describeOpenError(error)}`, { cause: error });
  } finally {
    closeSync(fd);
  }
}

/** `readInputFile` as UTF-8 text. */
export function readInputText(path: string, kind: InputFileKind, label: string = path): string {
  return readInputFile(path, kind, label).toString('utf8');
}

const KIND_WORDS: Record<InputFileKind, string> = {
  config: 'config file',
  spec: 'sweep spec',
  results: 'results file',
  data: 'data file',
  checkpoint: 'checkpoint',
};
