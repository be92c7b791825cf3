// Runs the `sgdlab` command as a user would, in a child process, for the end-to-end tests of every
// sub-command: exit code, stdout and stderr, never throwing.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const SGDLAB_BIN = new URL('../bin/sgdlab.js', import.meta.url).pathname;

export async function sgdlab(args: string[], options: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SGDLAB_BIN, ...args], { env: { ...process.env, NODE_NO_WARNINGS: '1' }, ...(options.cwd ? { cwd: options.cwd } : {}) });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
