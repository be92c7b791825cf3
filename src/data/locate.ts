// Where a data set's files are when no --data-dir is given: $SGDLAB_DATA/<name>, then ./data/<name>
// (where `sgdlab data fetch` puts them), then the directory a Debian package installs them in.

import { join } from 'node:path';
import { DataError } from './errors.ts';
import { findMaybeGzipped } from './files.ts';
import { cifar10BatchDirectory } from './cifar10.ts';
import { FASHION_MNIST_FILES } from './fashion-mnist.ts';
import type { DownloadableDataset } from './download.ts';

/** The data sets found by name in a directory: the ones `sgdlab data fetch` downloads. */
export type FileDataset = DownloadableDataset;

/** Directories where system packages install data sets: Debian's dataset-fashion-mnist (MIT licence), the four official IDX files, gzip'd. */
export const SYSTEM_DATA_DIRS: Readonly<Record<FileDataset, readonly string[]>> = {
  'fashion-mnist': ['/usr/share/datasets/fashion-mnist'],
  cifar10: [],
};

export interface LocateOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  systemDirs?: readonly string[];
}

/** Directories searched, in order, for a data set's files. */
function dataDirCandidates(name: FileDataset, options: LocateOptions = {}): string[] {
  const env = options.env ?? process.env;
  const dirs: string[] = [];
  if (env.SGDLAB_DATA) dirs.push(join(env.SGDLAB_DATA, name));
  dirs.push(join(options.cwd ?? process.cwd(), 'data', name));
  dirs.push(...(options.systemDirs ?? SYSTEM_DATA_DIRS[name]));
  return dirs;
}

function holdsFiles(name: FileDataset, dir: string): boolean {
  if (name === 'fashion-mnist') return findMaybeGzipped(dir, FASHION_MNIST_FILES.trainImages) !== undefined;
  try {
    return findMaybeGzipped(cifar10BatchDirectory(dir), 'data_batch_1.bin') !== undefined;
  } catch {
    return false;
  }
}

/** The first candidate directory that holds the data set's training files, or a one-line error saying where it looked and how to get them. */
export function locateDataDir(name: FileDataset, options: LocateOptions = {}): string {
  const candidates = dataDirCandidates(name, options);
  const found = candidates.find((dir) => holdsFiles(name, dir));
  if (found) return found;
  const install = name === 'fashion-mnist' ? 'apt-get install dataset-fashion-mnist, or ' : '';
  throw new DataError(`${name}: no data found in ${candidates.join(', ')} (get it with: ${install}sgdlab data fetch ${name}; or pass --data-dir)`);
}
