// Which errors are the user's to fix (bad input, bad files) and print as one line, and which are
// bugs that should show their stack trace.

import { GraphError } from '../graph/types.ts';

/** An error in what the user asked for: a flag, a config value, a spec. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Not an error in the input: the command stopped on purpose (an interrupt), with this exit status and one line. */
export class CommandStopped extends Error {
  override name = 'CommandStopped';
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

const USER_ERROR_NAMES = new Set(['UsageError', 'GraphError', 'DataError', 'StoreError', 'ConfigError', 'SpecError']);

export function isUserError(e: unknown): boolean {
  return e instanceof GraphError || (e instanceof Error && USER_ERROR_NAMES.has(e.name));
}
