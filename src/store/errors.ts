// The one error type of the run store and checkpoint files (corrupt files, unknown runs, bad inputs).
// Its message is always a single line that names the file or run and what is wrong, ready to print.

import { UserError } from '../util/user-error.ts';

export class StoreError extends UserError {
  override name = 'StoreError';
}

/** The message of an unknown thrown value, for quoting inside a StoreError. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
