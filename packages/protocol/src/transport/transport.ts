/**
 * Byte transports: a pull-style reader plus a promise-based writer.
 *
 * `read()` resolves with the next chunk, or `null` at end of stream. Data is
 * only pulled from the underlying stream when the caller asks, so a slow
 * consumer applies back-pressure. `write()` resolves once the stream accepts
 * more data ('drain').
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import { RsyncError, StreamError } from '../errors.js';
import { SocketReader } from './socket-reader.js';

export interface Transport {
  /** Next chunk of bytes, or `null` at end of stream. Rejects if the stream failed. */
  read(): Promise<Uint8Array | null>;
  /**
   * Optional, for a consumer that copies what it gets at once: waits for the
   * next bytes and passes them to `sink`, possibly straight out of the
   * transport's read buffer (valid only during the call). Resolves false at
   * end of stream; rejects if the stream failed or `sink` threw. Once used,
   * use it for every later read.
   */
  readInto?(sink: (chunk: Uint8Array) => void): Promise<boolean>;
  /** Writes `data`; resolves when it was written out (the caller may then reuse `data`). */
  write(data: Uint8Array): Promise<void>;
  /** Half-closes the write side after pending data is flushed. */
  end(): Promise<void>;
  /** Tears the transport down; pending and later reads/writes reject with `err`. */
  destroy(err?: Error): void;
}

/** Adapts a Node duplex stream (net.Socket, ...) to `Transport`. */
export function duplexTransport(stream: Duplex): Transport {
  return streamTransport(stream, stream);
}

/**
 * A `Transport` over a readable and a writable (one duplex stream twice, or a
 * pipe pair such as our stdin/stdout or a child's). `write()` resolves on the
 * writable's own callback, after the bytes left our memory: the caller reuses
 * its buffers then (Duplex.from() would call back as soon as the chunk was
 * queued, while a full pipe still held a reference to it).
 */
export function streamTransport(input: Readable, output: Writable): Transport {
  let failure: Error | undefined;
  let ended = false;
  let waiters: (() => void)[] = [];
  // readInto() on a socket: see socket-reader.ts (started on the first call)
  let fast: SocketReader | 'unset' | 'off' = 'unset';
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
    if (fast instanceof SocketReader) fast.wake();
  };
  input.pause();
  input.on('readable', wake);
  input.on('end', () => {
    ended = true;
    wake();
  });
  const onError = (e: Error) => {
    failure ??= e;
    wake();
  };
  input.on('error', onError);
  input.on('close', () => {
    ended = true;
    wake();
  });
  if (output !== (input as unknown)) output.on('error', onError);

  const streamError = (e: Error) =>
    e instanceof RsyncError ? e : new StreamError(`connection error: ${e.message}`, { cause: e });

  const state = {
    check: () => {
      if (failure) throw streamError(failure);
    },
    ended: () => ended,
  };
  const readInto = async (sink: (chunk: Uint8Array) => void): Promise<boolean> => {
    if (fast === 'unset') fast = SocketReader.start(input, state) ?? 'off';
    if (fast !== 'off') return fast.readInto(sink);
    const c = await t.read();
    if (c === null) return false;
    sink(c);
    return true;
  };

  const t: Transport = {
    async read() {
      if (fast instanceof SocketReader) {
        let out: Uint8Array | null = null;
        return (await readInto((c) => (out = Uint8Array.prototype.slice.call(c)))) ? out : null;
      }
      for (;;) {
        if (failure) throw streamError(failure);
        const chunk = input.read() as Buffer | string | null;
        if (chunk !== null) {
          return typeof chunk === 'string'
            ? Buffer.from(chunk)
            : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
        if (ended || input.readableEnded) return null;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    readInto,
    write(data) {
      if (failure) return Promise.reject(streamError(failure));
      if (output.destroyed || output.writableEnded) {
        return Promise.reject(
          new StreamError('connection unexpectedly closed (write on a closed connection)'),
        );
      }
      // resolves once the stream has written the chunk out: the caller may reuse `data` then
      return new Promise<void>((resolve, reject) => {
        const onGone = () => {
          cleanup();
          reject(streamError(failure ?? new Error('connection closed while writing')));
        };
        const cleanup = () => {
          output.off('close', onGone);
          output.off('error', onGone);
        };
        output.on('close', onGone);
        output.on('error', onGone);
        output.write(data, (err) => {
          cleanup();
          if (err) reject(streamError(err));
          else resolve();
        });
      });
    },
    end() {
      return new Promise<void>((resolve) => {
        if (output.writableEnded || output.destroyed) {
          resolve();
          return;
        }
        output.end(() => resolve());
      });
    },
    destroy(err) {
      if (err) failure ??= err;
      input.destroy(err);
      if (output !== (input as unknown)) output.destroy(err);
      wake();
    },
  };
  return t;
}

/**
 * Ends a connection after a fatal error the peer was told about: half-closes
 * our side once what we wrote went out, then reads and drops what the peer
 * still sends until it closes, for at most `graceMs` (io.c:noop_io_until_death()).
 * Closing at once with its data unread would make the kernel reset the
 * connection, and the peer could lose our error message.
 */
export async function closeAfterError(t: Transport, graceMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
  const drain = (async () => {
    await t.end();
    if (t.readInto) while (await t.readInto(() => undefined));
    else while ((await t.read()) !== null);
  })().catch(() => undefined);
  await Promise.race([drain, deadline]);
  clearTimeout(timer);
  t.destroy();
}

export interface MemoryPairOptions {
  /** Bytes queued on one side before `write()` waits for the reader (default 64 KiB). */
  highWaterMark?: number;
}

class MemoryEnd implements Transport {
  queue: Uint8Array[] = [];
  queued = 0;
  eof = false;
  failure: Error | undefined;
  readWaiters: (() => void)[] = [];
  drainWaiters: (() => void)[] = [];
  peer!: MemoryEnd;
  constructor(private readonly hwm: number) {}

  private static wakeAll(list: (() => void)[]): void {
    for (const f of list.splice(0)) f();
  }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.failure) throw this.failure;
      const chunk = this.queue.shift();
      if (chunk) {
        this.queued -= chunk.byteLength;
        if (this.queued < this.hwm) MemoryEnd.wakeAll(this.drainWaiters);
        return chunk;
      }
      if (this.eof) return null;
      await new Promise<void>((r) => this.readWaiters.push(r));
    }
  }

  async write(data: Uint8Array): Promise<void> {
    const p = this.peer;
    if (this.failure) throw this.failure;
    if (p.eof || p.failure) throw new StreamError('write on a closed connection');
    if (data.byteLength > 0) {
      p.queue.push(new Uint8Array(data)); // a copy (Buffer#slice would be a view)
      p.queued += data.byteLength;
      MemoryEnd.wakeAll(p.readWaiters);
    }
    while (p.queued >= this.hwm && !p.failure && !this.failure) {
      await new Promise<void>((r) => p.drainWaiters.push(r));
    }
    if (this.failure) throw this.failure;
  }

  end(): Promise<void> {
    this.peer.eof = true;
    MemoryEnd.wakeAll(this.peer.readWaiters);
    return Promise.resolve();
  }

  destroy(err?: Error): void {
    const e = err ?? new StreamError('connection destroyed');
    this.failure ??= e;
    this.peer.failure ??= new StreamError('connection reset by peer', { cause: e });
    for (const side of [this, this.peer]) {
      MemoryEnd.wakeAll(side.readWaiters);
      MemoryEnd.wakeAll(side.drainWaiters);
    }
  }
}

/** Two connected in-memory transports (what one writes, the other reads). */
export function memoryTransportPair(opts: MemoryPairOptions = {}): [Transport, Transport] {
  const hwm = opts.highWaterMark ?? 64 * 1024;
  const a = new MemoryEnd(hwm);
  const b = new MemoryEnd(hwm);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
