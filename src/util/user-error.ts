// The one base class of every error that is the user's to fix (a flag, a file, a spec, a value): the
// CLI prints its message as one line and exits 2. Anything else is a bug and shows its stack trace.
//
// Classified by `instanceof UserError`, never by a list of names: a new input error type is a user
// error by extending this class, and cannot fall through to a stack trace by being forgotten.
// It lives in util/ (the lowest layer) so that graph/, data/, store/ and web/ can extend it.

export class UserError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    // One line, even when the message quotes a multi-line underlying error.
    super(String(message).replace(/\s*\n\s*/g, ' '), options);
    this.name = new.target.name;
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
