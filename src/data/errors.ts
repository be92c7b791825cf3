// The one error type for bad data inputs (corrupt files, missing files, bad options, failed downloads).
// Its message is always a single line that names the input and what is wrong, ready to print as is.

import { UserError } from '../util/user-error.ts';

export class DataError extends UserError {
  override name = 'DataError';
}
