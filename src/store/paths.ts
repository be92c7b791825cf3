// Paths around a run store: its checkpoint folder, named after the store file itself so that two stores
// in one folder (runs.sqlite, other.sqlite) never share run-1.safetensors; and the cleanup of a store
// a command created for a run that never started.

import { existsSync, rmSync, rmdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export function checkpointDirFor(storePath: string): string {
  return join(dirname(storePath), 'checkpoints', basename(storePath));
}

/** The store file and the folders above it that do not exist yet, deepest first. */
export function missingPaths(storePath: string): string[] {
  const missing: string[] = [];
  for (let p = resolve(storePath); !existsSync(p); p = dirname(p)) {
    missing.push(p);
    if (dirname(p) === p) break;
  }
  return missing;
}

/** Remove a store file (and its WAL files) and the folders `missingPaths` listed, where still empty. */
export function removeCreatedStore(storePath: string, created: readonly string[]): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${resolve(storePath)}${suffix}`, { force: true });
  for (const dir of created.slice(1)) {
    try {
      rmdirSync(dir); // only if empty
    } catch {
      break;
    }
  }
}

/** The files a run store consists of (SQLite keeps its WAL beside it), as inputs no output may replace. */
export function storeInputs(storePath: string, flag = '--store'): { flag: string; path: string }[] {
  return ['', '-wal', '-shm', '-journal'].map((suffix) => ({ flag, path: `${storePath}${suffix}` }));
}
