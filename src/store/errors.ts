// The one error type of the run store and checkpoint files (corrupt files, unknown runs, bad inputs).
// Its message is always a single line that names the file or run and what is wrong, ready to print.

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    // Keep messages to one line even when they quote a multi-line underlying error.
    super(message.replace(/\s*\n\s*/g, ' '), options);
    this.name = 'StoreError';
  }
}

/** The message of an unknown thrown value, for quoting inside a StoreError. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
