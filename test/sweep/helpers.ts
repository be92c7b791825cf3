// Shared pieces for the sweep tests: the sgdlab command as a child process, temporary spec files,
// and a private redis-server on a random loopback port.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const BIN = new URL('../../bin/sgdlab.js', import.meta.url).pathname;

export function tempDir(prefix = 'sgdlab-sweep-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeSpec(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A running `sgdlab` process whose output the test reads as it comes. */
export interface Sgdlab {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stderr matches (or rejects when the process exits first). */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
}

export function startSgdlab(args: string[], env: NodeJS.ProcessEnv = {}): Sgdlab {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NODE_NO_WARNINGS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = err.match(pattern);
      if (m) return m;
      if (done) throw new Error(`sgdlab ${args.join(' ')} exited before ${pattern}: ${err}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${err}`);
      await sleep(25);
    }
  };
  return { child, stdout: () => out, stderr: () => err, exited, waitFor };
}

export async function runSgdlab(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startSgdlab(args, env);
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** The redis-server binary, or undefined when it is not installed (CI installs it). */
export function redisServerBinary(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
}

export interface RedisServer {
  url: string;
  port: number;
  stop: () => Promise<void>;
}

/**
 * The Redis that .ci/run started (SGDLAB_TEST_REDIS_URL; left running for it to stop), or else a
 * throwaway redis-server of our own on 127.0.0.1 and a random high port, without persistence.
 */
export async function startRedis(binary: string | undefined): Promise<RedisServer> {
  const shared = process.env.SGDLAB_TEST_REDIS_URL;
  if (shared) return { url: shared, port: Number(new URL(shared).port), stop: async () => undefined };
  if (!binary) throw new Error('redis-server is not installed');
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await canConnect(port)) {
        return {
          url: `redis://127.0.0.1:${port}`,
          port,
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            await exited;
          },
        };
      }
      await sleep(50);
    }
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  }
  throw new Error('could not start redis-server on a loopback port');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
