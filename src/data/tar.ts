// Extraction of the CIFAR-10 archive (a .tar.gz) through node-tar, which already refuses '..' and
// absolute paths, never extracts through a symbolic link present in the target folder, and checks
// header checksums (strict mode). Around it, a listing pass enforces what sgdlab accepts before a
// byte is written: regular files and directories only, bounded sizes and counts, and no existing
// file replaced (an identical one is left alone; a different one, or a symlink, is an error).

import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as tar from 'tar';
import { DataError } from './errors.ts';

export interface TarLimits {
  /** Most bytes of file contents in the archive (CIFAR-10: 184 MB). */
  maxTotalBytes: number;
  /** Most entries (CIFAR-10: 9). */
  maxEntries: number;
}

const DEFAULT_TAR_LIMITS: TarLimits = { maxTotalBytes: 1 << 30, maxEntries: 10_000 };

export interface TarEntryInfo {
  /** Relative path inside the archive, '/'-separated, without a leading './' or a trailing '/'. */
  path: string;
  type: 'file' | 'directory';
  size: number;
}

const ACCEPTED_TYPES = new Map<string, TarEntryInfo['type']>([['File', 'file'], ['OldFile', 'file'], ['ContiguousFile', 'file'], ['Directory', 'directory']]);
// Metadata records node-tar reads for the entries they describe (long names, pax headers).
const METADATA_TYPES = new Set(['ExtendedHeader', 'GlobalExtendedHeader', 'NextFileHasLongPath', 'NextFileHasLongLinkpath', 'OldGnuLongPath']);

function describe(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/^TAR_[A-Z_]+: /, '');
}

/** The archive's path written relative and normalised, or the reason it is refused. */
function checkedPath(raw: string, archive: string): string {
  let path = raw;
  while (path.startsWith('./')) path = path.slice(2);
  path = path.replace(/\/+$/, '');
  if (path === '') throw new DataError(`${archive}: entry with an empty path`);
  if (isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.includes('\\')) throw new DataError(`${archive}: unsafe path '${raw}' (absolute or with backslashes)`);
  if (path.split('/').some((part) => part === '..')) throw new DataError(`${archive}: unsafe path '${raw}' (contains '..')`);
  return path;
}

/**
 * Read the archive once without writing: every entry's type, path and size is checked, and each
 * file that already exists under dir is compared with the archive's copy by SHA-256.
 */
function survey(file: string, archive: string, dir: string | undefined, limits: TarLimits): { entries: TarEntryInfo[]; unchanged: Set<string> } {
  const entries: TarEntryInfo[] = [];
  const unchanged = new Set<string>();
  let problem: DataError | undefined;
  let total = 0;
  const root = dir === undefined ? undefined : resolve(dir);
  const refuse = (e: DataError): void => {
    problem ??= e;
  };
  try {
    tar.t({
      file,
      sync: true,
      strict: true,
      onReadEntry: (entry) => {
        if (problem) return entry.resume();
        if (METADATA_TYPES.has(entry.type)) return entry.resume();
        const type = ACCEPTED_TYPES.get(entry.type);
        try {
          if (type === undefined) throw new DataError(`${archive}: entry '${entry.path}' is a ${entry.type}; only regular files and directories are accepted`);
          const path = checkedPath(entry.path, archive);
          const size = type === 'file' ? entry.size ?? 0 : 0;
          total += size;
          if (entries.length + 1 > limits.maxEntries) throw new DataError(`${archive}: more than ${limits.maxEntries} entries`);
          if (total > limits.maxTotalBytes) throw new DataError(`${archive}: more than ${limits.maxTotalBytes} bytes of files`);
          entries.push({ path, type, size });
          if (root !== undefined) compareWithExisting(entry, root, path, type, archive, unchanged, refuse);
        } catch (e) {
          if (!(e instanceof DataError)) throw e;
          refuse(e);
        }
        entry.resume();
      },
    });
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`${archive}: not a valid .tar.gz archive (${describe(err)})`);
  }
  if (problem) throw problem;
  if (entries.length === 0) throw new DataError(`${archive}: holds no files`);
  return { entries, unchanged };
}

/** Refuse a symlink anywhere on the entry's way under root, and a different existing file; remember identical ones. */
function compareWithExisting(entry: tar.ReadEntry, root: string, path: string, type: TarEntryInfo['type'], archive: string, unchanged: Set<string>, refuse: (e: DataError) => void): void {
  const parts = path.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const here = join(root, ...parts.slice(0, i));
    let stat;
    try {
      stat = lstatSync(here);
    } catch {
      return; // not there yet: nothing to compare
    }
    if (stat.isSymbolicLink()) throw new DataError(`${archive}: ${parts.slice(0, i).join('/')} is a symbolic link in ${root}; not extracting through it`);
    if (i < parts.length && !stat.isDirectory()) throw new DataError(`${archive}: ${parts.slice(0, i).join('/')} exists in ${root} and is not a directory`);
    if (i === parts.length) {
      if (type === 'directory') {
        if (!stat.isDirectory()) throw new DataError(`${archive}: ${path} exists in ${root} and is not a directory`);
        return;
      }
      if (!stat.isFile()) throw new DataError(`${archive}: ${path} exists in ${root} and is not a regular file`);
      const existing = createHash('sha256').update(readFileSync(here)).digest('hex');
      const incoming = createHash('sha256');
      entry.on('data', (chunk: Buffer) => incoming.update(chunk));
      entry.on('end', () => {
        if (incoming.digest('hex') === existing) unchanged.add(path);
        else refuse(new DataError(`${archive}: ${path} already exists in ${root} with different contents; not overwriting`));
      });
    }
  }
}

/** List a .tar.gz (or .tar) archive's entries, refusing anything sgdlab would not extract. */
export function listTarArchive(file: string, archive: string, limits: TarLimits = DEFAULT_TAR_LIMITS): TarEntryInfo[] {
  return survey(file, archive, undefined, limits).entries;
}

/**
 * Extract a .tar.gz (or .tar) archive under dir; returns the files written. Nothing is written unless
 * the whole archive passed the survey; node-tar extracts into a fresh hidden folder inside dir, and
 * each new file is then renamed into place, so a crash never leaves a half-written data file behind.
 * Existing identical files are left alone.
 */
export function extractTarArchive(file: string, dir: string, archive: string, limits: TarLimits = DEFAULT_TAR_LIMITS): string[] {
  const { entries, unchanged } = survey(file, archive, dir, limits);
  const root = resolve(dir);
  let staging: string;
  try {
    if (!statSync(root).isDirectory()) throw new DataError(`${archive}: ${root} is not a directory`);
    staging = mkdtempSync(join(root, '.sgdlab-extract-'));
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`${archive}: cannot extract into ${root} (${describe(err)})`);
  }
  try {
    tar.x({
      file,
      cwd: staging,
      sync: true,
      strict: true,
      // No owners or modes from the archive; only the entry types the survey accepted.
      preserveOwner: false,
      noChmod: true,
      filter: (_path, entry) => 'type' in entry && ACCEPTED_TYPES.has(entry.type),
    });
    const written: string[] = [];
    for (const entry of entries) {
      const target = join(root, entry.path);
      if (entry.type === 'directory') mkdirSync(target, { recursive: true });
      else if (!unchanged.has(entry.path)) {
        mkdirSync(dirname(target), { recursive: true });
        renameSync(join(staging, entry.path), target);
        written.push(entry.path);
      }
    }
    return written;
  } catch (err) {
    throw err instanceof DataError ? err : new DataError(`${archive}: extraction into ${root} failed (${describe(err)})`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
