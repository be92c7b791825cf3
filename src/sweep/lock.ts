// One coordinator per sweep and store: a lock file next to the store names the coordinator and its
// trainer processes, so a second `sweep run` refuses to start while they live, and takes over once
// they are gone (a run still 'running' then has no live owner and is resumed).

import { openSync, writeSync, closeSync, readFileSync, unlinkSync, writeFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpecError } from './spec.ts';

interface LockContents {
  pid: number;
  host: string;
  /** Trainer and worker processes of this coordinator: they may outlive it for one training call. */
  children: number[];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockContents | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockContents>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return { pid: parsed.pid, host: parsed.host, children: Array.isArray(parsed.children) ? parsed.children.filter((p) => typeof p === 'number') : [] };
  } catch {
    return undefined;
  }
}

export class SweepLock {
  private children: number[] = [];
  private constructor(private readonly path: string) {}

  /**
   * Take the lock for this sweep. A lock left by a dead coordinator is taken over, after waiting
   * up to `orphanWaitMs` for its trainer processes to notice and exit.
   */
  static async acquire(path: string, sweepId: string, orphanWaitMs = 15_000): Promise<SweepLock> {
    const me: LockContents = { pid: process.pid, host: hostname(), children: [] };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, JSON.stringify(me));
        closeSync(fd);
        return new SweepLock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new SpecError(`${path}: cannot create the sweep lock file: ${(e as Error).message}`);
      }
      const held = readLock(path);
      if (held && held.host !== me.host) {
        throw new SpecError(`sweep ${sweepId} is being run by process ${held.pid} on ${held.host}; if that is gone, delete ${path}`);
      }
      if (held && isAlive(held.pid)) {
        throw new SpecError(`sweep ${sweepId} is already being run by process ${held.pid} on this machine (lock ${path})`);
      }
      const deadline = Date.now() + orphanWaitMs;
      while (held && held.children.some(isAlive)) {
        if (Date.now() > deadline) throw new SpecError(`sweep ${sweepId}: trainer processes ${held.children.filter(isAlive).join(', ')} of a stopped coordinator still run; stop them first`);
        await sleep(100);
      }
      try {
        unlinkSync(path);
      } catch {
        // Another coordinator took it over first; the next attempt sees its lock.
      }
    }
    throw new SpecError(`sweep ${sweepId}: could not take the lock ${path}`);
  }

  /** Record the processes that work for this coordinator (so a successor waits for them). */
  setChildren(pids: number[]): void {
    this.children = pids;
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ pid: process.pid, host: hostname(), children: this.children }));
    renameSync(temporary, this.path);
  }

  release(): void {
    const held = readLock(this.path);
    if (held && held.pid === process.pid) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone.
      }
    }
  }
}
