/** Exit status of a transfer that did not fail fatally (main.c / log.c: exit_cleanup() rules). */
import { EXIT } from '../errors.js';
import { IOERR } from '../constants.js';

export function transferExitCode(ioError: number, gotXferError: boolean): number {
  let code: number = EXIT.OK;
  if (ioError & IOERR.DEL_LIMIT) code = EXIT.DEL_LIMIT;
  if (ioError & IOERR.VANISHED) code = EXIT.VANISHED;
  if (ioError & IOERR.GENERAL || gotXferError) code = EXIT.PARTIAL;
  return code;
}
