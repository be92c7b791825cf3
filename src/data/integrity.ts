// Integrity of the official data files: the SHA-256 of each decompressed file, checked on load so
// a truncated or altered copy is refused whichever directory it came from. Hashing 47 MB costs a
// noticeable fraction of a second, so a verified file's (size, mtime, inode) is remembered in a
// small cache file and the hash is skipped while they stay the same.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { DataError } from './errors.ts';

/** SHA-256 of the decompressed official files (Fashion-MNIST: the four IDX files). */
export const DECOMPRESSED_SHA256: Readonly<Record<string, string>> = {
  'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};

interface CacheEntry { size: number; mtimeMs: number; ino: number; sha256: string }

function checksumCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'sgdlab', 'verified-files.json');
}

function readCache(path: string): Record<string, CacheEntry> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.assign(Object.create(null), parsed) as Record<string, CacheEntry> : Object.create(null);
  } catch {
    return Object.create(null);
  }
}

function writeCache(path: string, cache: Record<string, CacheEntry>): void {
  // Best effort: a read-only home only costs a re-hash next time.
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(cache));
    renameSync(tmp, path);
  } catch {
    /* ignored */
  }
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Check a file's decompressed bytes against its published SHA-256 (files with no published hash
 * pass). `contents` is called only when the cache cannot vouch for the file.
 */
export function verifyOfficialFile(path: string, contents: () => Uint8Array, options: { cachePath?: string } = {}): void {
  const base = basename(path).replace(/\.gz$/, '');
  const expected = DECOMPRESSED_SHA256[base];
  if (expected === undefined) return;
  const cachePath = options.cachePath ?? checksumCachePath();
  const key = resolve(path);
  const stat = statSync(path);
  const cache = readCache(cachePath);
  const hit = cache[key];
  if (hit && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs && hit.ino === stat.ino && hit.sha256 === expected) return;
  const actual = sha256(contents());
  if (actual !== expected) {
    throw new DataError(`${basename(path)}: decompressed contents have SHA-256 ${actual}, expected ${expected} (a truncated or altered copy of ${base}; fetch it again)`);
  }
  cache[key] = { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, sha256: actual };
  writeCache(cachePath, cache);
}
