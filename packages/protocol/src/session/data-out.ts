/**
 * The outgoing half of a session (io.c: write_buf() / send_msg()).
 *
 * Codecs write into `w` (a WireWriter); flush() sends what was written, as
 * MSG_DATA frames once multiplexing is on, raw before that. Out-of-band
 * messages flush pending data first, so the peer sees them in order. Writes
 * are serialised through one promise chain and honour transport
 * back-pressure.
 */
import { MPLEX_BASE, MSG } from '../constants.js';
import { StreamError } from '../errors.js';
import { encodeFrame } from '../mux/frame.js';
import type { Transport } from '../transport/transport.js';
import { WireWriter } from '../wire/writer.js';

/** Largest MSG_DATA payload we write (rsync reads any size; its own frames are <= 32 KiB-ish). */
const MAX_DATA_FRAME = 32 * 1024;
/** Buffered bytes that trigger an automatic flush in maybeFlush(). */
const FLUSH_AT = 64 * 1024;

export class DataOut {
  readonly #t: Transport;
  readonly w = new WireWriter(FLUSH_AT + 1024);
  #muxed = false;
  #chain: Promise<void> = Promise.resolve();
  #failed: Error | undefined;
  /** Raw bytes handed to the transport (rsync's total_written). */
  bytesWritten = 0;
  /** Called whenever bytes are handed to the transport (activity for keep-alives). */
  onActivity: (() => void) | undefined;

  constructor(t: Transport) {
    this.#t = t;
  }

  get multiplexed(): boolean {
    return this.#muxed;
  }

  /** Flushes raw data written so far, then frames everything after. */
  async startMultiplex(): Promise<void> {
    await this.flush();
    this.#muxed = true;
  }

  /** Bytes written into `w` and not yet flushed. */
  get pending(): number {
    return this.w.length;
  }

  /** Output buffers written and free again (framing into fresh memory costs page faults). */
  readonly #pool: Buffer[] = [];

  /** Bytes handed to #enqueue and not yet written out. */
  #inFlight = 0;

  #enqueue(bufs: Uint8Array[]): Promise<void> {
    for (const b of bufs) this.#inFlight += b.length;
    const next = this.#chain.then(async () => {
      if (this.#failed) throw this.#failed;
      for (const b of bufs) {
        this.bytesWritten += b.length;
        this.onActivity?.();
        try {
          await this.#t.write(b);
          this.#inFlight -= b.length;
          const whole = POOLED.get(b);
          if (whole && this.#pool.length < POOL_SIZE) this.#pool.push(whole);
        } catch (e) {
          this.#failed = e instanceof Error ? e : new StreamError(String(e));
          throw this.#failed;
        }
      }
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** What `w` holds, as one buffer: raw, or cut into MSG_DATA frames (one copy either way). */
  #takeFrames(): Uint8Array[] {
    if (this.w.length === 0) return [];
    const data = this.w.peek();
    const out = this.#muxed ? frameData(data, this.#pool) : new Uint8Array(data);
    this.w.reset();
    return [out];
  }

  /** Sends everything buffered; resolves when the transport accepted it. */
  flush(): Promise<void> {
    const frames = this.#takeFrames();
    if (frames.length === 0)
      return this.#chain.then(() => {
        if (this.#failed) throw this.#failed;
      });
    return this.#enqueue(frames);
  }

  /**
   * Streams out what is buffered without waiting for it to be written,
   * unless more than `limit` bytes are already on their way (keeps the
   * producer and the transport working at the same time).
   */
  async push(limit = 2 << 20): Promise<void> {
    const p = this.flush();
    p.catch(() => undefined);
    if (this.#inFlight > limit) await p;
    else if (this.#failed) throw this.#failed;
  }

  /** Flushes only when a good amount of data is buffered. */
  maybeFlush(): Promise<void> | undefined {
    return this.w.length >= FLUSH_AT ? this.flush() : undefined;
  }

  /** Writes `data` bypassing the writer (large literal payloads); flushes first to keep order. */
  writeBytes(data: Uint8Array): Promise<void> {
    const frames = this.#takeFrames();
    frames.push(this.#muxed ? frameData(data, this.#pool) : new Uint8Array(data));
    return this.#enqueue(frames);
  }

  /** Sends an out-of-band message after any pending data. Requires multiplexing. */
  sendMessage(tag: number, payload: Uint8Array): Promise<void> {
    if (!this.#muxed) return Promise.resolve();
    const frames = this.#takeFrames();
    frames.push(encodeFrame(tag, payload));
    return this.#enqueue(frames);
  }

  /** An empty MSG_DATA frame: the keep-alive of every protocol (3.1+ style). */
  keepAlive(): Promise<void> {
    if (!this.#muxed) return Promise.resolve();
    return this.sendMessage(MSG.DATA, new Uint8Array(0));
  }

  /** Half-closes the transport after everything queued was written. */
  async end(): Promise<void> {
    await this.flush();
    await this.#t.end();
  }
}

const POOL_BUF = 1 << 20;
const POOL_SIZE = 4;
/** Framed outputs that live in a pool buffer, mapped to that whole buffer. */
const POOLED = new WeakMap<Uint8Array, Buffer>();

/** `data` cut into MSG_DATA frames of at most MAX_DATA_FRAME bytes, in one buffer (pooled when it fits). */
function frameData(data: Uint8Array, pool: Buffer[]): Uint8Array {
  const n = Math.ceil(data.length / MAX_DATA_FRAME);
  const size = data.length + 4 * n;
  let out: Buffer;
  if (size <= POOL_BUF) {
    const whole = pool.pop() ?? Buffer.allocUnsafe(POOL_BUF);
    out = whole.subarray(0, size);
    POOLED.set(out, whole);
  } else out = Buffer.allocUnsafe(size);
  let o = 0;
  for (let i = 0; i < data.length; i += MAX_DATA_FRAME) {
    const len = Math.min(MAX_DATA_FRAME, data.length - i);
    out[o] = len & 0xff;
    out[o + 1] = (len >>> 8) & 0xff;
    out[o + 2] = (len >>> 16) & 0xff;
    out[o + 3] = MSG.DATA + MPLEX_BASE;
    out.set(data.subarray(i, i + len), o + 4);
    o += 4 + len;
  }
  return out;
}
