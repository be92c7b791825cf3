// Where a result came from: the sgdlab version, the git commit of a checkout (with a dirty flag),
// Node and ONNX Runtime versions, threads and CPU model. Recorded with every run and exported result.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Provenance {
  sgdlab: string;
  /** The checkout's HEAD, or null when sgdlab runs from an installed package. */
  gitCommit: string | null;
  /**
   * Uncommitted changes to tracked files in the checkout (null outside a checkout), other than the committed
   * results files of docs/reproduction/ that sweeps append to while they run (codeChanges).
   */
  gitDirty: boolean | null;
  node: string;
  onnxruntime: string;
  cpu: string;
  /** Logical CPUs of the machine (what ONNX Runtime's default thread count is chosen from). */
  cpus: number;
}

/** The provenance of one run: the process's facts and the ONNX Runtime intra-op threads it asked for. */
export interface RunProvenance extends Provenance {
  /** null: ONNX Runtime's default (one thread per physical core). */
  threads: number | null;
  /** The ONNX Runtime execution provider it trained on, when not the CPU's (absent: cpu). */
  executionProvider?: string;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function readVersion(packageJson: string): string {
  try {
    return String((JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/** The version of the onnxruntime-node that this module imports, wherever npm placed it (hoisted in a dependant's project). */
function onnxRuntimeVersion(): string {
  try {
    return readVersion(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
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

/** A results file a reproduction's sweeps append to as trials end: data the run writes, not code it ran. */
const RESULTS_FILE = /^docs\/reproduction\/[^/]+\/results\.jsonl$/;

/**
 * The changed paths of `git status --porcelain` output that make a checkout dirty: all of them but the
 * reproductions' results files, which a sweep from a clean checkout modifies itself.
 */
export function codeChanges(porcelain: string): string[] {
  return porcelain
    .split('\n')
    .filter((line) => line.trim() !== '')
    // "XY path" (the output may come trimmed, so X's space can be gone) or "XY old -> new" for a rename.
    .map((line) => line.replace(/^[ MTADRCU?!]{1,2} /, '').replace(/^.* -> /, ''))
    .filter((path) => !RESULTS_FILE.test(path));
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
    gitDirty: commit === null ? null : status === null || codeChanges(status).length > 0,
    node: process.versions.node,
    onnxruntime: onnxRuntimeVersion(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: availableParallelism(),
  };
  return cached;
}

export const runProvenance = (threads: number | undefined, executionProvider?: string): RunProvenance => ({
  ...provenance(),
  threads: threads ?? null,
  // Recorded where it matters: a queue worker's own --execution-provider is not in the coordinator's config.
  ...(executionProvider !== undefined && executionProvider !== 'cpu' ? { executionProvider } : {}),
});

/** The facts as lines for people (`sgdlab --version`, `runs show`). */
export function describeProvenance(p: Provenance & { threads?: number | null; executionProvider?: string }): string[] {
  const commit = p.gitCommit === null ? 'not a git checkout' : `${p.gitCommit}${p.gitDirty ? ' (with uncommitted changes)' : ''}`;
  const threads = p.threads === undefined ? '' : `, ${p.threads === null ? 'ONNX Runtime\'s default threads' : `${p.threads} thread${p.threads === 1 ? '' : 's'}`}`;
  return [
    `sgdlab ${p.sgdlab}`,
    `git commit ${commit}`,
    `Node ${p.node}, ONNX Runtime ${p.onnxruntime}`,
    `CPU ${p.cpu} (${p.cpus} logical CPUs${threads})`,
    ...(typeof p.executionProvider === 'string' ? [`execution provider ${p.executionProvider}`] : []),
  ];
}
