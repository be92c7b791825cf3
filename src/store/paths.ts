// Where a run store keeps its checkpoints: a folder named after the store file itself, so two stores
// in one folder (runs.sqlite, other.sqlite) never share run-1.safetensors.

import { basename, dirname, join } from 'node:path';

export function checkpointDirFor(storePath: string): string {
  return join(dirname(storePath), 'checkpoints', basename(storePath));
}

/** The checkpoint file of one run of a store. */
export function checkpointPathFor(checkpointDir: string, runId: number): string {
  return join(checkpointDir, `run-${runId}.safetensors`);
}
