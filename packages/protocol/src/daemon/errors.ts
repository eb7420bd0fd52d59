/** Errors of the daemon text phase. */
import { EXIT, RemoteError, RsyncError, type RsyncErrorOptions } from '../errors.js';

/**
 * The client could not start the daemon session (RERR_STARTCLIENT, exit 5):
 * what clientserver.c:start_inband_exchange() failing turns into.
 */
export class DaemonStartError extends RsyncError {
  override name = 'DaemonStartError';
  constructor(message: string, options: RsyncErrorOptions = {}) {
    super(message, 'ERR_RSYNC_STARTCLIENT', EXIT.STARTCLIENT, options);
  }
}

/** The daemon answered `@ERROR...` (printed verbatim by rsync; exit 5). */
export class DaemonRefusedError extends RemoteError {
  override name = 'DaemonRefusedError';
  /** The full `@ERROR: ...` line. */
  readonly line: string;
  constructor(line: string) {
    super(line, EXIT.STARTCLIENT, { data: { line } });
    this.line = line;
  }
}

/** Bad or unreadable password file (authenticate.c:getpassf() exits RERR_SYNTAX). */
export class PasswordFileError extends RsyncError {
  override name = 'PasswordFileError';
  constructor(message: string, options: RsyncErrorOptions = {}) {
    super(message, 'ERR_RSYNC_PASSWORD_FILE', EXIT.SYNTAX, options);
  }
}
