/**
 * Out-of-band messages arriving on a multiplexed stream (io.c:read_a_msg()),
 * for the side that receives files (the client receiver, or a server
 * receiver). Text goes to the reporter with rsync's levels; MSG_IO_ERROR and
 * MSG_NO_SEND update the transfer; MSG_ERROR_EXIT ends it with the peer's code.
 */
import { MSG } from '../constants.js';
import { ProtocolError, RemoteError, StreamError } from '../errors.js';
import { frameInt } from '../mux/frame.js';
import type { MessageLevel } from '../receiver/reporter.js';

export interface MessageTarget {
  message(level: MessageLevel, text: string): void;
  ioError(bits: number): void;
  noSend(ndx: number): void;
  deleted(name: Uint8Array, isDir: boolean): void;
  /** The peer asked us to use a shorter timeout (MSG_IO_TIMEOUT; clients only). */
  ioTimeout?(seconds: number): void;
  /** Reply to MSG_ERROR_EXIT (the receiving side echoes the code). */
  replyErrorExit?(code: number | undefined): void;
  protocol: number;
  amClient: boolean;
}

const text = (p: Uint8Array): string => Buffer.from(p).toString('utf8');

export class ErrorExitReceived extends RemoteError {
  override name = 'ErrorExitReceived';
}

export function receivingSideMessages(t: MessageTarget): (tag: number, payload: Uint8Array) => void {
  return (tag, payload) => {
    switch (tag) {
      case MSG.INFO:
        t.message('info', text(payload));
        return;
      case MSG.WARNING:
        t.message('warning', text(payload));
        return;
      case MSG.ERROR:
        t.message('error', text(payload));
        return;
      case MSG.ERROR_XFER:
        t.message('error-xfer', text(payload));
        return;
      case MSG.IO_ERROR:
        t.ioError(frameInt({ tag, payload }) & 7);
        return;
      case MSG.NO_SEND:
        t.noSend(frameInt({ tag, payload }));
        return;
      case MSG.NOOP:
        return;
      case MSG.IO_TIMEOUT: {
        if (!t.amClient) throw new StreamError(`invalid multi-message ${tag}:${payload.length}`);
        const v = frameInt({ tag, payload });
        if (v > 0 && v <= 86400) t.ioTimeout?.(v);
        return;
      }
      case MSG.DELETED: {
        const isDir = payload.length > 0 && payload[payload.length - 1] === 0;
        t.deleted(isDir ? payload.subarray(0, payload.length - 1) : payload, isDir);
        return;
      }
      case MSG.ERROR_EXIT: {
        const code = payload.length === 4 ? frameInt({ tag, payload }) : undefined;
        t.replyErrorExit?.(code);
        throw new ErrorExitReceived(`the peer exited with code ${code ?? 0}`, code ?? 0);
      }
      case MSG.SUCCESS:
        // only meaningful to a sender (--remove-source-files)
        return;
      default:
        throw new StreamError(`invalid multi-message ${tag}:${payload.length} [receiver]`);
    }
  };
}

export { ProtocolError };
