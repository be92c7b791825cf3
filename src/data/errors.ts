// The one error type for bad data inputs (corrupt files, missing files, bad options, failed downloads).
// Its message is always a single line that names the input and what is wrong, ready to print as is.

export class DataError extends Error {
  constructor(message: string) {
    // Keep messages to one line even when they quote a multi-line underlying error.
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'DataError';
  }
}
