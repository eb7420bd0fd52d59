/** TCP client transport with a connect timeout (rsync's --contimeout). */
import net from 'node:net';
import { EXIT, RsyncError } from '../errors.js';
import { duplexTransport, type Transport } from './transport.js';

export interface ConnectTcpOptions {
  signal?: AbortSignal;
  /** Give up connecting after this many ms (rsync --contimeout; exit 35). */
  timeoutMs?: number;
}

/** Socket-level failure (RERR_SOCKETIO). */
export class SocketError extends RsyncError {
  override name = 'SocketError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, 'ERR_RSYNC_SOCKETIO', EXIT.SOCKETIO, options);
  }
}

/** Connect timed out (RERR_CONTIMEOUT). */
export class ConnectTimeoutError extends RsyncError {
  override name = 'ConnectTimeoutError';
  constructor(message: string) {
    super(message, 'ERR_RSYNC_CONTIMEOUT', EXIT.CONTIMEOUT);
  }
}

export interface TcpTransport extends Transport {
  readonly socket: net.Socket;
}

/** Opens a TCP connection; errors map to rsync's exit codes 10 (socket) / 35 (timeout). */
export function connectTcp(host: string, port: number, opts: ConnectTcpOptions = {}): Promise<TcpTransport> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new SocketError(`connection to ${host} aborted`, { cause: opts.signal.reason }));
      return;
    }
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('connect', onConnect);
    };
    const onAbort = () => {
      cleanup();
      socket.destroy();
      const r: unknown = opts.signal?.reason;
      reject(r instanceof RsyncError ? r : new SocketError(`connection to ${host} aborted`, { cause: r }));
    };
    const onError = (e: NodeJS.ErrnoException) => {
      cleanup();
      socket.destroy();
      reject(new SocketError(`failed to connect to ${host} (${host}): ${e.message}`, { cause: e }));
    };
    const onConnect = () => {
      cleanup();
      const t = duplexTransport(socket);
      const signal = opts.signal;
      if (signal) {
        const abortLater = () =>
          t.destroy(
            signal.reason instanceof RsyncError ? signal.reason : new SocketError('connection aborted'),
          );
        signal.addEventListener('abort', abortLater, { once: true });
        socket.once('close', () => signal.removeEventListener('abort', abortLater));
      }
      resolve(Object.assign(t, { socket }));
    };
    if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
      timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new ConnectTimeoutError(`timed out connecting to ${host} port ${port}`));
      }, opts.timeoutMs);
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}
