// Where a result came from: the sgdlab version, the git commit of a checkout (with a dirty flag),
// Node and ONNX Runtime versions, threads and CPU model. Recorded with every run and exported result.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Provenance {
  sgdlab: string;
  /** The checkout's HEAD, or null when sgdlab runs from an installed package. */
  gitCommit: string | null;
  /** Uncommitted changes to tracked files in the checkout (null outside a checkout). */
  gitDirty: boolean | null;
  node: string;
  onnxruntime: string;
  cpu: string;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function readVersion(packageJson: string): string {
  try {
    return String((JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', ['-C', packageRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return null;
  }
}

let cached: Provenance | undefined;

/** The facts of this process, computed once (git is asked once per process). */
export function provenance(): Provenance {
  if (cached) return cached;
  // Only a checkout of sgdlab itself counts: an installed package inside someone's repository must not report their commit.
  const inCheckout = git(['rev-parse', '--show-toplevel']) === packageRoot;
  const commit = inCheckout ? git(['rev-parse', 'HEAD']) : null;
  const status = commit ? git(['status', '--porcelain', '--untracked-files=no']) : null;
  cached = {
    sgdlab: readVersion(join(packageRoot, 'package.json')),
    gitCommit: commit,
    gitDirty: commit === null ? null : status !== '',
    node: process.versions.node,
    onnxruntime: readVersion(join(packageRoot, 'node_modules', 'onnxruntime-node', 'package.json')),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
  };
  return cached;
}
