// The peer rows of npm run bench: jax-js, TensorFlow.js and PyTorch run the same training steps in child
// processes (one per row, killed at a time bound) and report ms/step as one JSON line.

import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { quietGate, waitForQuiet } from './lib.ts';
import type { PeerRequest, PeerResult } from './peers/common.ts';

export type PeerSystem = 'jax-js' | 'tfjs' | 'pytorch';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** The Python that imports torch: Debian's /usr/bin/python3 (python3-torch) first, then `python3` on PATH. */
export function findTorchPython(): { python: string | null; note: string } {
  const tried: string[] = [];
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python, note: `${python}: torch ${r.stdout.trim()}${tried.length ? ` (${tried.join('; ')})` : ''}` };
    tried.push(`${python}: ${(r.stderr || String(r.error ?? '')).trim().split('\n').at(-1) ?? 'failed'}`);
  }
  return { python: null, note: `PyTorch skipped: no Python imports torch (${tried.join('; ')})` };
}

/**
 * PyTorch's BLAS threads: Debian's torch is built against the generic libblas.so.3 interface, so
 * torch.set_num_threads does not reach OpenBLAS's own pool; its size is set here, before it starts.
 */
const torchEnv = (threads: number): NodeJS.ProcessEnv => ({ ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) });

export interface BlasProbe { blas: string; libraries: string[]; gemmGflops: number; gemmMs: number; threads: number; torch: string; python: string }

/** Which BLAS PyTorch really runs on (the libraries mapped into its process) and its 1024² GEMM GFLOP/s. */
export async function probeTorchBlas(python: string, threads: number, reps: number): Promise<BlasProbe | { why: string }> {
  const r = await peerProcess<BlasProbe>(python, [here('./peer_torch.py'), '--request', JSON.stringify({ probe: 'blas', threads, reps })], 120, torchEnv(threads));
  return 'result' in r ? r.result : { why: r.why };
}

/** Run one peer row in a child process; null msPerStep with the reason when it fails or runs out of time. */
export async function runPeer(system: PeerSystem, request: PeerRequest, timeoutSeconds: number, python?: string): Promise<PeerResult> {
  await waitForQuiet(quietGate.maxSeconds);
  const [cmd, args] = system === 'pytorch'
    ? [python!, [here('./peer_torch.py'), '--request', JSON.stringify(request)]]
    : [process.execPath, ['--import', 'tsx', here(system === 'jax-js' ? './peers/jaxjs.ts' : './peers/tfjs.ts'), '--request', JSON.stringify(request)]];
  const r = await peerProcess<PeerResult>(cmd, args, timeoutSeconds, system === 'pytorch' ? torchEnv(request.threads) : process.env);
  if ('result' in r) return r.result;
  const why = r.timedOut
    ? `did not finish warm-up (compilation + ${request.warmup} step${request.warmup === 1 ? '' : 's'}) and one timed step within the row's bound of ${timeoutSeconds} s`
    : r.why;
  return { msPerStep: null, bestMsPerStep: null, reps: 0, foreignLoad: null, warmupMs: null, note: why };
}

/** bench/peer_torch.py on one request, as its `@@PEER` JSON line, or why there is none. */
export function runTorchScript<T>(python: string, request: { threads: number } & Record<string, unknown>, timeoutSeconds: number): Promise<{ result: T } | { timedOut: boolean; why: string }> {
  return peerProcess<T>(python, [here('./peer_torch.py'), '--request', JSON.stringify(request)], timeoutSeconds, torchEnv(request.threads));
}

/** A peer's child process, killed after `timeoutSeconds`: the JSON of its `@@PEER ` line, or why there is none. */
function peerProcess<T>(cmd: string, args: string[], timeoutSeconds: number, env: NodeJS.ProcessEnv): Promise<{ result: T } | { timedOut: boolean; why: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('@@PEER '));
      if (line) return resolve({ result: JSON.parse(line.slice(7)) as T });
      const why = timedOut
        ? `killed after ${timeoutSeconds} s`
        : `child exited (${signal ?? code}) without a result: ${err.trim().split('\n').filter(Boolean).at(-1)?.slice(0, 300) ?? ''}`;
      resolve({ timedOut, why });
    });
  });
}
