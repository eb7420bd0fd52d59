/**
 * The readInto() side of a socket transport: reads land in one buffer of ours
 * (user-buffer.ts) and go straight to a waiting sink; what arrives while
 * nobody waits is copied into a queue, and past FAST_QUEUE bytes the socket
 * stops reading until the queue is half drained.
 */
import net from 'node:net';
import type { Readable } from 'node:stream';
import { readIntoUserBuffer } from './user-buffer.js';

/** Size of a socket's read buffer (a read returns at most this). */
const USER_BUFFER = 256 * 1024;
/** Bytes queued with nobody waiting before the socket stops reading. */
const FAST_QUEUE = 1024 * 1024;

/** What the reader needs to know of its transport's stream. */
export interface StreamState {
  /** Throws the transport's error if the stream failed. */
  check(): void;
  /** No more bytes will come. */
  ended(): boolean;
}

/** A readInto() waiting for bytes: `done(true)` once `sink` took a read, `done(false)` to look again. */
interface ReadWaiter {
  sink: (chunk: Uint8Array) => void;
  done: (sent: boolean) => void;
  fail: (e: unknown) => void;
}

export class SocketReader {
  readonly #s: net.Socket;
  readonly #state: StreamState;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  #paused = false;
  #waiting: ReadWaiter | undefined;

  private constructor(s: net.Socket, state: StreamState) {
    this.#s = s;
    this.#state = state;
  }

  /** Switches `input` to reading into a buffer of ours; undefined (nothing changed) if it cannot. */
  static start(input: Readable, state: StreamState): SocketReader | undefined {
    if (!(input instanceof net.Socket)) return undefined;
    const r = new SocketReader(input, state);
    const before = readIntoUserBuffer(input, Buffer.allocUnsafe(USER_BUFFER), (n, buf) => r.#onRead(n, buf));
    if (!before) return undefined;
    for (const b of before) r.#enqueue(b);
    return r;
  }

  /** The stream's state changed (data, end, error): a waiting readInto() looks again. */
  wake(): void {
    const d = this.#waiting;
    this.#waiting = undefined;
    d?.done(false);
  }

  /** Transport.readInto(). */
  async readInto(sink: (chunk: Uint8Array) => void): Promise<boolean> {
    for (;;) {
      this.#state.check();
      const c = this.#queue.shift();
      if (c !== undefined) {
        this.#queued -= c.length;
        if (this.#paused && this.#queued < FAST_QUEUE / 2) this.#resume();
        sink(c);
        return true;
      }
      // should the socket have kept reading the stream way after all, nothing is lost
      const late = this.#s.read() as Buffer | null;
      if (late !== null) {
        this.#enqueue(late);
        continue;
      }
      if (this.#state.ended() || this.#s.readableEnded) return false;
      if (this.#paused) this.#resume();
      const sent = await new Promise<boolean>((done, fail) => (this.#waiting = { sink, done, fail }));
      if (sent) return true;
    }
  }

  #onRead(n: number, buf: Buffer): boolean {
    const view = buf.subarray(0, n);
    const d = this.#waiting;
    if (d && this.#queue.length === 0) {
      this.#waiting = undefined;
      try {
        d.sink(view);
      } catch (e) {
        d.fail(e);
        return true;
      }
      d.done(true);
      return true;
    }
    this.#enqueue(Uint8Array.prototype.slice.call(view));
    // (a waiter with bytes queued ahead of it takes them from the queue)
    this.wake();
    if (this.#queued < FAST_QUEUE) return true;
    this.#paused = true;
    return false;
  }

  #enqueue(c: Uint8Array): void {
    this.#queue.push(c);
    this.#queued += c.length;
  }

  #resume(): void {
    this.#paused = false;
    // net.Socket#read() restarts a user-buffer socket's reading
    this.#s.read(0);
  }
}
