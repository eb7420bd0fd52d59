/**
 * Error types shared by the protocol codecs and the session layer.
 *
 * Exit codes mirror rsync's errcode.h (RERR_*), so a TS peer exits with the
 * same status a C rsync would for the same failure.
 */

/** rsync exit codes (errcode.h). */
export const EXIT = {
  OK: 0,
  SYNTAX: 1,
  PROTOCOL: 2,
  FILESELECT: 3,
  UNSUPPORTED: 4,
  STARTCLIENT: 5,
  LOG_FAILURE: 6,
  SOCKETIO: 10,
  FILEIO: 11,
  STREAMIO: 12,
  MESSAGEIO: 13,
  IPC: 14,
  CRASHED: 15,
  TERMINATED: 16,
  SIGNAL1: 19,
  SIGNAL: 20,
  WAITCHILD: 21,
  MALLOC: 22,
  PARTIAL: 23,
  VANISHED: 24,
  DEL_LIMIT: 25,
  TIMEOUT: 30,
  CONTIMEOUT: 35,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface RsyncErrorOptions {
  cause?: unknown;
  data?: unknown;
}

/** Base class: every error that should end a session with an rsync exit code. */
export class RsyncError extends Error {
  override name = 'RsyncError';
  readonly code: string;
  readonly exitCode: number;
  readonly data?: unknown;

  constructor(message: string, code: string, exitCode: number, options: RsyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = exitCode;
    if (options.data !== undefined) this.data = options.data;
  }
}

/** The peer sent something the protocol does not allow (RERR_PROTOCOL). */
export class ProtocolError extends RsyncError {
  override name = 'ProtocolError';
  constructor(message: string, options: RsyncErrorOptions = {}) {
    super(message, 'ERR_RSYNC_PROTOCOL', EXIT.PROTOCOL, options);
  }
}

/** Local file I/O failed (RERR_FILEIO). */
export class FileIOError extends RsyncError {
  override name = 'FileIOError';
  constructor(message: string, options: RsyncErrorOptions = {}) {
    super(message, 'ERR_RSYNC_FILEIO', EXIT.FILEIO, options);
  }
}

/** The data stream broke: unexpected EOF, bad tag, ... (RERR_STREAMIO). */
export class StreamError extends RsyncError {
  override name = 'StreamError';
  constructor(message: string, options: RsyncErrorOptions = {}) {
    super(message, 'ERR_RSYNC_STREAMIO', EXIT.STREAMIO, options);
  }
}

/** Some files were not transferred (RERR_PARTIAL). */
export class PartialTransferError extends RsyncError {
  override name = 'PartialTransferError';
  constructor(message: string, options: RsyncErrorOptions = {}) {
    super(message, 'ERR_RSYNC_PARTIAL', EXIT.PARTIAL, options);
  }
}

/** Some source files vanished during the transfer (RERR_VANISHED). */
export class VanishedError extends RsyncError {
  override name = 'VanishedError';
  constructor(message: string, options: RsyncErrorOptions = {}) {
    super(message, 'ERR_RSYNC_VANISHED', EXIT.VANISHED, options);
  }
}

/** No data was received within --timeout (RERR_TIMEOUT). */
export class TimeoutError extends RsyncError {
  override name = 'TimeoutError';
  constructor(message: string, options: RsyncErrorOptions = {}) {
    super(message, 'ERR_RSYNC_TIMEOUT', EXIT.TIMEOUT, options);
  }
}

/** Memory ran out: util2.c:out_of_memory() (RERR_MALLOC). */
export class OutOfMemoryError extends RsyncError {
  override name = 'OutOfMemoryError';
  constructor(message: string, options: RsyncErrorOptions = {}) {
    super(message, 'ERR_RSYNC_MALLOC', EXIT.MALLOC, options);
  }
}

/** The peer reported a fatal error (MSG_ERROR text, or MSG_ERROR_EXIT code). */
export class RemoteError extends RsyncError {
  override name = 'RemoteError';
  constructor(message: string, exitCode: number, options: RsyncErrorOptions = {}) {
    super(message, 'ERR_RSYNC_REMOTE', exitCode, options);
  }
}

/**
 * Internal signal: a WireReader ran out of bytes. Not an RsyncError; a
 * streaming caller catches it, rewinds the reader and waits for more input.
 */
export class ShortRead extends Error {
  override name = 'ShortRead';
  /** Bytes that were requested. */
  readonly needed: number;
  /** Bytes that were available. */
  readonly available: number;
  constructor(needed: number, available: number) {
    // thrown for flow control on every partial frame: no stack trace (its capture was 2.5 %
    // of a 100,000-file local copy's CPU)
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`short read: needed ${needed} bytes, ${available} available`);
    Error.stackTraceLimit = limit;
    this.needed = needed;
    this.available = available;
  }
}
