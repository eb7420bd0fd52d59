/**
 * A `Transport` between two threads: the bytes cross a MessagePort (or a
 * Worker and its parentPort) as transferred ArrayBuffers, with flow control
 * (a writer waits once `highWaterMark` bytes are unread on the other side;
 * the reader acknowledges what it consumed in batches). Messages that are not
 * transport traffic go to `onOther`, in the order they were posted relative
 * to the bytes, so one channel can carry a session and its side messages.
 */
import { RsyncError, StreamError } from '../errors.js';
import type { Transport } from './transport.js';

/** The two ends of a channel: a Worker (from the parent) or a MessagePort. */
export interface PortLike {
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  off(event: 'message', listener: (value: unknown) => void): unknown;
}

/** An error as it crosses threads (structured clone keeps neither class nor extra fields). */
export interface SerializedError {
  name: string;
  message: string;
  code?: string | undefined;
  exitCode?: number | undefined;
  data?: unknown;
  stack?: string | undefined;
}

/** Transport traffic (the `t` field): data, acknowledgement, end, destroy. */
type Traffic =
  { t: 'd'; b: Uint8Array } | { t: 'a'; n: number } | { t: 'e' } | { t: 'x'; err: SerializedError };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const r = e as Error & { code?: unknown; exitCode?: unknown; data?: unknown };
    let data: unknown;
    try {
      data = r.data === undefined ? undefined : structuredClone(r.data);
    } catch {
      data = undefined;
    }
    return {
      name: e.name,
      message: e.message,
      code: typeof r.code === 'string' ? r.code : undefined,
      exitCode: typeof r.exitCode === 'number' ? r.exitCode : undefined,
      data,
      stack: e.stack,
    };
  }
  return { name: 'Error', message: String(e) };
}

/**
 * The error again, as an RsyncError when it was one (code, exit code and data kept; the
 * class name in `name`), else as a plain Error.
 */
export function reviveError(s: SerializedError): Error {
  let e: Error;
  if (s.exitCode !== undefined && s.code !== undefined) {
    const data = s.data;
    e = new RsyncError(s.message, s.code, s.exitCode, data === undefined ? {} : { data });
  } else e = new Error(s.message);
  Object.defineProperty(e, 'name', { value: s.name, writable: true, configurable: true });
  if (s.stack !== undefined) e.stack = s.stack;
  return e;
}

export interface PortTransportOptions {
  /** Bytes written and not yet acknowledged before `write()` waits (default 4 MiB). */
  highWaterMark?: number;
  /** Messages on the channel that are not transport traffic. */
  onOther?: (msg: unknown) => void;
}

export interface PortTransport extends Transport {
  /** Posts a message that is not transport traffic, after the bytes written before it. */
  send(msg: unknown): void;
  /** Fails the transport locally (the channel is gone) without telling the other side. */
  fail(err: Error): void;
  /** Stops listening on the channel. */
  detach(): void;
}

/** Bytes of small writes gathered into one message. */
const BATCH = 256 * 1024;

function isTraffic(m: unknown): m is Traffic {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string';
}

export function portTransport(port: PortLike, opts: PortTransportOptions = {}): PortTransport {
  const hwm = opts.highWaterMark ?? 4 << 20;
  const ackEvery = Math.max(1, hwm >> 2);
  const queue: Uint8Array[] = [];
  let head = 0;
  let eof = false;
  let failure: Error | undefined;
  /** Bytes we posted that the reader has not acknowledged. */
  let unacked = 0;
  /** Bytes we consumed and have not acknowledged yet. */
  let consumed = 0;
  let closedOut = false;
  let readWaiter: (() => void) | undefined;
  let drainWaiters: (() => void)[] = [];

  const wakeRead = () => {
    const w = readWaiter;
    readWaiter = undefined;
    w?.();
  };
  const wakeDrain = () => {
    const w = drainWaiters;
    drainWaiters = [];
    for (const f of w) f();
  };
  const fail = (e: Error) => {
    failure ??= e;
    wakeRead();
    wakeDrain();
  };
  const post = (m: Traffic, transfer?: ArrayBuffer[]) => {
    try {
      port.postMessage(m, transfer);
    } catch (e) {
      fail(e instanceof Error ? e : new StreamError(String(e)));
    }
  };

  // Small writes collect in `batch` until it fills or this thread goes back to its event loop
  // (setImmediate): one message per batch rather than per write.
  let batch: Uint8Array | undefined;
  let batchLen = 0;
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (batchLen === 0 || !batch) return;
    if (failure) {
      batchLen = 0;
      return;
    }
    if (batchLen < BATCH >> 2) {
      // a copy of a little, and the batch buffer stays ours
      const b = batch.slice(0, batchLen);
      post({ t: 'd', b }, [b.buffer]);
    } else {
      post({ t: 'd', b: batch.subarray(0, batchLen) }, [batch.buffer as ArrayBuffer]);
      batch = undefined;
    }
    batchLen = 0;
  };

  const onMessage = (m: unknown) => {
    if (!isTraffic(m)) {
      opts.onOther?.(m);
      return;
    }
    switch (m.t) {
      case 'd':
        queue.push(m.b);
        wakeRead();
        return;
      case 'a':
        unacked -= m.n;
        if (unacked < hwm) wakeDrain();
        return;
      case 'e':
        eof = true;
        wakeRead();
        return;
      case 'x':
        fail(new StreamError('connection reset by peer', { cause: reviveError(m.err) }));
        return;
      default:
        opts.onOther?.(m);
    }
  };
  port.on('message', onMessage);

  return {
    async read() {
      for (;;) {
        if (failure) throw failure;
        if (head < queue.length) {
          const chunk = queue[head]!;
          queue[head++] = undefined as unknown as Uint8Array;
          if (head > 1024 && head * 2 > queue.length) {
            queue.splice(0, head);
            head = 0;
          }
          consumed += chunk.byteLength;
          if (consumed >= ackEvery) {
            post({ t: 'a', n: consumed });
            consumed = 0;
          }
          return chunk;
        }
        // No acknowledgement before waiting: a writer waits only with highWaterMark bytes
        // unacknowledged, and once those arrive and are read, `consumed` reaches ackEvery.
        if (eof) return null;
        await new Promise<void>((r) => (readWaiter = r));
      }
    },
    async write(data) {
      if (failure) throw failure;
      if (closedOut) throw new StreamError('write on a closed connection');
      const n = data.byteLength;
      if (n > 0) {
        // a copy either way: the caller may reuse `data` once we resolve
        unacked += n;
        if (n >= BATCH) {
          flush();
          const copy = new Uint8Array(data);
          post({ t: 'd', b: copy }, [copy.buffer]);
        } else {
          if (batchLen + n > BATCH) flush();
          batch ??= new Uint8Array(BATCH);
          batch.set(data, batchLen);
          batchLen += n;
          if (!flushQueued) {
            flushQueued = true;
            setImmediate(flush);
          }
        }
      }
      if (unacked >= hwm) {
        flush();
        while (unacked >= hwm && !failure) await new Promise<void>((r) => drainWaiters.push(r));
      }
      if (failure) throw failure;
    },
    send(m) {
      flush();
      try {
        port.postMessage(m);
      } catch {
        /* the other side is gone */
      }
    },
    end() {
      if (!closedOut && !failure) {
        flush();
        closedOut = true;
        post({ t: 'e' });
      }
      return Promise.resolve();
    },
    destroy(err) {
      const e = err ?? new StreamError('connection destroyed');
      batchLen = 0;
      if (!failure) post({ t: 'x', err: serializeError(e) });
      fail(e);
    },
    fail,
    detach() {
      port.off('message', onMessage);
    },
  };
}
