/**
 * The outgoing half of a session (io.c: write_buf() / send_msg()).
 *
 * Codecs write into `w` (a WireWriter); flush() sends what was written, as
 * MSG_DATA frames once multiplexing is on, raw before that. Out-of-band
 * messages flush pending data first, so the peer sees them in order. Writes
 * are serialised through one promise chain and honour transport
 * back-pressure.
 */
import { MSG } from '../constants.js';
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

  #enqueue(bufs: Uint8Array[]): Promise<void> {
    const next = this.#chain.then(async () => {
      if (this.#failed) throw this.#failed;
      for (const b of bufs) {
        this.bytesWritten += b.length;
        this.onActivity?.();
        try {
          await this.#t.write(b);
        } catch (e) {
          this.#failed = e instanceof Error ? e : new StreamError(String(e));
          throw this.#failed;
        }
      }
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  #takeFrames(): Uint8Array[] {
    if (this.w.length === 0) return [];
    const data = this.w.finish();
    this.w.reset();
    if (!this.#muxed) return [data];
    const out: Uint8Array[] = [];
    for (let i = 0; i < data.length; i += MAX_DATA_FRAME) {
      out.push(encodeFrame(MSG.DATA, data.subarray(i, Math.min(data.length, i + MAX_DATA_FRAME))));
    }
    return out;
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

  /** Flushes only when a good amount of data is buffered. */
  maybeFlush(): Promise<void> | undefined {
    return this.w.length >= FLUSH_AT ? this.flush() : undefined;
  }

  /** Writes `data` bypassing the writer (large literal payloads); flushes first to keep order. */
  writeBytes(data: Uint8Array): Promise<void> {
    const frames = this.#takeFrames();
    if (this.#muxed) {
      for (let i = 0; i < data.length; i += MAX_DATA_FRAME) {
        frames.push(encodeFrame(MSG.DATA, data.subarray(i, Math.min(data.length, i + MAX_DATA_FRAME))));
      }
    } else frames.push(data.slice());
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
