// Leases on running runs: each RunStore handle names itself host:pid:nonce and holds a lease (owner
// and expiry time, in the runs table) on every run it trains, renewed by a heartbeat and by each write.
// Another handle may take a run over only when the lease has expired, or its owner is a process on
// this host that no longer exists (a SIGKILLed `sgdlab train` can be resumed at once).

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export const DEFAULT_LEASE_TTL_MS = 10 * 60_000;

export function newLeaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** The owner as printed: host and process id (the nonce tells handles of one process apart). */
export function describeLeaseOwner(owner: string): string {
  const parts = owner.split(':');
  return parts.length >= 3 ? `pid ${parts.at(-2)} on ${parts.slice(0, -2).join(':')}` : 'unknown owner';
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lease still keeps others out: unexpired, and not held by a dead process of this host. */
export function leaseBlocks(owner: string, expiresAt: number | null, now: number): boolean {
  if (expiresAt === null || expiresAt <= now) return false;
  const parts = owner.split(':');
  const pid = Number(parts.at(-2));
  if (parts.slice(0, -2).join(':') === hostname() && Number.isSafeInteger(pid) && pid > 0) {
    return pid === process.pid || processExists(pid);
  }
  return true;
}
