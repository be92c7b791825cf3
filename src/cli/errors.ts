// Which errors are the user's to fix (bad input, bad files) and print as one line, and which are
// bugs that should show their stack trace: one base class, src/util/user-error.ts, decides.

import { UserError, isUserError } from '../util/user-error.ts';

export { UserError, isUserError };

/** An error in what the user asked for: a flag, a config value, a spec. */
export class UsageError extends UserError {}

/** Not an error in the input: the command stopped on purpose (an interrupt), with this exit status and one line. */
export class CommandStopped extends Error {
  override name = 'CommandStopped';
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}
