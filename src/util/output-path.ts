// The one check of every path a command writes (--save, --out, --results, --report), run before the
// store is opened or a step is trained: refused in one line, so nothing is computed and then lost.
//
// An output must not be one of the command's own inputs (the run store and its WAL files, --init, the
// spec, the data): compared by device and inode after following symlinks, so `./a/../runs.sqlite` or a
// link to the store is caught too. A file output must be a regular file or not exist yet; a directory
// output must be a directory or not exist yet; either way its parent folder must exist (a typo does not
// create a tree) and be writable. No file output ever replaces a SQLite database, whichever store
// the command itself uses.

import { accessSync, closeSync, constants, lstatSync, openSync, readSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from './user-error.ts';
import { describeFileType, describeOpenError } from './input-file.ts';

export class OutputPathError extends UserError {
  override name = 'OutputPathError';
}

export interface OutputPath {
  /** How the user named it, for the message: '--save', 'export --out'. */
  flag: string;
  path: string;
  /** A file written (replaced or appended to), or a folder that files are written into. */
  kind: 'file' | 'directory';
  /** Create missing parent folders (only for a default location, never for a path the user typed). */
  createParents?: boolean;
}

export interface InputPath {
  flag: string;
  path: string;
  /** A folder whose files are all inputs (a --data-dir): an output must not be any file in it. */
  directory?: boolean;
  /**
   * A folder sgdlab itself writes into, said as the message names it ("the checkpoint folder of --store …,
   * where sgdlab writes each run's checkpoint"): no file output may go directly in it, existing or not.
   */
  reservedFor?: string;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new OutputPathError(`${path}: ${describeOpenError(error)}`, { cause: error });
  }
}

/**
 * What names one file: its device and inode if it exists, else its real parent folder plus its name
 * (two spellings of a file still to be created, like the store and --save, compare equal too).
 */
function fileIdentity(path: string): string {
  const st = statOrUndefined(path);
  if (st) return `inode:${st.dev}:${st.ino}`;
  return `path:${join(realFolder(dirname(path)), basename(path))}`;
}

/** A folder's path after following symlinks (as given, made absolute, where it does not exist). */
function realFolder(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** The identities of an input: the file, or every file directly inside an input folder. */
function inputIdentities(input: InputPath): string[] {
  if (!input.directory) return [fileIdentity(input.path)];
  let names: string[];
  try {
    names = readdirSync(input.path);
  } catch {
    return []; // a missing data folder is the data loader's to report
  }
  return names.slice(0, 10_000).map((name) => fileIdentity(join(input.path, name)));
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Whether an existing regular file is a SQLite database (a run store, maybe not this command's). */
function isSqliteFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const head = Buffer.alloc(SQLITE_HEADER.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_HEADER);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function requireWritable(path: string, what: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch {
    throw new OutputPathError(`${what}: not writable (permission denied)`);
  }
}

function checkOne(output: OutputPath): void {
  const what = `${output.flag} ${output.path}`;
  if (typeof output.path !== 'string' || output.path.trim() === '') throw new OutputPathError(`${output.flag}: the path is empty`);
  // A dangling symlink would be followed to create its target, wherever that is.
  const link = (() => {
    try {
      return lstatSync(output.path);
    } catch {
      return undefined;
    }
  })();
  const st = statOrUndefined(output.path);
  if (link?.isSymbolicLink() && !st) throw new OutputPathError(`${what}: a symbolic link to a path that does not exist`);
  if (st) {
    if (output.kind === 'file' && !st.isFile()) {
      throw new OutputPathError(`${what}: ${st.isDirectory() ? 'is a directory; name a file to write' : `is ${describeFileType(st)}, not a regular file`}`);
    }
    // Whatever store the command uses, no output replaces or appends to a SQLite database.
    if (output.kind === 'file' && isSqliteFile(output.path)) throw new OutputPathError(`${what}: is a SQLite database (a run store?); refusing to write over it`);
    if (output.kind === 'directory' && !st.isDirectory()) throw new OutputPathError(`${what}: is ${st.isFile() ? 'a file' : describeFileType(st)}; name a folder to write into`);
    requireWritable(output.path, what);
    return;
  }
  // Not there yet: its folder must be, unless this is a default location that may be created.
  let parent = dirname(resolve(output.path));
  let parentStat = statOrUndefined(parent);
  if (!parentStat && !output.createParents) throw new OutputPathError(`${what}: folder ${dirname(output.path)} does not exist`);
  while (!parentStat && dirname(parent) !== parent) {
    parent = dirname(parent);
    parentStat = statOrUndefined(parent);
  }
  if (!parentStat?.isDirectory()) throw new OutputPathError(`${what}: ${dirname(output.path)} is not a folder`);
  requireWritable(parent, `${what}: folder ${parent}`);
}

/**
 * Refuse, in one line, any output path that cannot be written as asked or that is one of the inputs
 * (or another output) of the same command. Call it before opening the store or doing any work.
 */
export function checkOutputPaths(outputs: readonly OutputPath[], inputs: readonly InputPath[] = []): void {
  const claimed = new Map<string, string>();
  const reserved = inputs.filter((i) => i.reservedFor !== undefined).map((i) => ({ folder: realFolder(i.path), why: i.reservedFor! }));
  for (const input of inputs) {
    if (input.reservedFor !== undefined) continue;
    for (const id of inputIdentities(input)) if (!claimed.has(id)) claimed.set(id, `${input.flag} ${input.path}`);
  }
  for (const output of outputs) {
    checkOne(output);
    if (output.kind === 'directory') continue;
    const id = fileIdentity(output.path);
    const owner = claimed.get(id);
    if (owner !== undefined) throw new OutputPathError(`${output.flag} ${output.path}: is the same file as ${owner}; writing it would destroy that input`);
    const inReserved = reserved.find((r) => r.folder === realFolder(dirname(output.path)));
    if (inReserved) throw new OutputPathError(`${output.flag} ${output.path}: is in ${inReserved.why}; save elsewhere`);
    claimed.set(id, `${output.flag} ${output.path}`);
  }
}
