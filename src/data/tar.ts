// A small, strict reader for ustar archives (enough for cifar-10-binary.tar.gz) and a safe extractor.
// Only regular files and directories are accepted; absolute paths and '..' components are rejected.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { DataError } from './errors.ts';

const BLOCK = 512;

export interface TarEntry {
  /** Relative path inside the archive, '/'-separated, without a leading './'. */
  path: string;
  type: 'file' | 'directory';
  /** File contents (a view into the archive buffer); empty for directories. */
  data: Uint8Array;
}

function readString(block: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && block[end] !== 0) end++;
  return Buffer.from(block.buffer, block.byteOffset + start, end - start).toString('utf8');
}

function readOctal(block: Uint8Array, start: number, length: number, archive: string, field: string): number {
  if (block[start]! & 0x80) throw new DataError(`${archive}: ${field} uses the GNU base-256 extension, not supported`);
  const text = readString(block, start, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new DataError(`${archive}: corrupt tar header (${field} '${text}' is not octal)`);
  return text === '' ? 0 : parseInt(text, 8);
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Reject anything that could escape the extraction directory. */
export function safeTarPath(raw: string, archive: string): string {
  let path = raw;
  while (path.startsWith('./')) path = path.slice(2);
  if (path.endsWith('/')) path = path.slice(0, -1);
  if (path === '' ) throw new DataError(`${archive}: entry with an empty path`);
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\')) throw new DataError(`${archive}: unsafe path '${raw}' (absolute or with backslashes)`);
  if (path.split('/').some((part) => part === '..')) throw new DataError(`${archive}: unsafe path '${raw}' (contains '..')`);
  return path;
}

export function parseTar(archive: Uint8Array, archiveName: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (isZeroBlock(header)) return entries; // end-of-archive marker
    const magic = readString(header, 257, 6);
    if (magic !== 'ustar' && magic !== 'ustar ') throw new DataError(`${archiveName}: not a ustar archive (bad magic at byte ${offset + 257})`);
    const stored = readOctal(header, 148, 8, archiveName, 'checksum');
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (sum !== stored) throw new DataError(`${archiveName}: corrupt tar header at byte ${offset} (checksum ${stored}, computed ${sum})`);
    const name = readString(header, 0, 100);
    // The prefix field exists only in POSIX ustar; GNU tar keeps other data there.
    const prefix = magic === 'ustar' ? readString(header, 345, 155) : '';
    const rawPath = prefix ? `${prefix}/${name}` : name;
    const size = readOctal(header, 124, 12, archiveName, 'size');
    const typeFlag = String.fromCharCode(header[156]!);
    const dataStart = offset + BLOCK;
    if (dataStart + size > archive.length) throw new DataError(`${archiveName}: truncated (entry '${rawPath}' needs ${size} bytes, ${archive.length - dataStart} left)`);
    if (typeFlag === '0' || typeFlag === '\0') {
      entries.push({ path: safeTarPath(rawPath, archiveName), type: 'file', data: archive.subarray(dataStart, dataStart + size) });
    } else if (typeFlag === '5') {
      entries.push({ path: safeTarPath(rawPath, archiveName), type: 'directory', data: new Uint8Array(0) });
    } else {
      throw new DataError(`${archiveName}: entry '${rawPath}' has tar type '${typeFlag}'; only regular files and directories are accepted`);
    }
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (offset !== archive.length) throw new DataError(`${archiveName}: truncated (${archive.length - offset} stray bytes at the end)`);
  return entries;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Write the entries under dir. Existing files with identical contents are left alone; a differing
 * existing file is never overwritten (DataError). Each file is written to a temporary name first.
 */
export function extractTarEntries(entries: TarEntry[], dir: string, archiveName: string): string[] {
  const root = resolve(dir);
  const written: string[] = [];
  for (const entry of entries) {
    const target = resolve(root, entry.path);
    if (!target.startsWith(root + sep)) throw new DataError(`${archiveName}: unsafe path '${entry.path}' (outside ${root})`);
    if (entry.type === 'directory') {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    if (existsSync(target)) {
      if (sameBytes(readFileSync(target), entry.data)) continue;
      throw new DataError(`${archiveName}: ${entry.path} already exists in ${root} with different contents; not overwriting`);
    }
    const temporary = `${target}.partial-${process.pid}`;
    writeFileSync(temporary, entry.data);
    renameSync(temporary, target);
    written.push(entry.path);
  }
  return written;
}
