/**
 * The incoming half of a session (io.c: read_buf() over read_a_msg()).
 *
 * Bytes come from a Transport. Before multiplexing starts (and for the raw
 * directions of proto < 30) they are the data stream itself; after
 * startMultiplex() they are MSG_* frames: MSG_DATA payloads are appended to
 * the data buffer, every other message goes to `onMessage` synchronously, in
 * stream order. Codecs run synchronously on a WireReader over the buffered
 * data; `read(fn)` retries `fn` after pulling more bytes whenever it throws
 * ShortRead, so a record may span any number of frames.
 */
import { ShortRead, StreamError } from '../errors.js';
import { MuxStreamDecoder } from '../mux/frame.js';
import type { Transport } from '../transport/transport.js';
import { WireReader } from '../wire/reader.js';

export type MessageSink = (tag: number, payload: Uint8Array) => void;

const INITIAL = 64 * 1024;

export class DataIn {
  readonly #t: Transport;
  #buf: Uint8Array;
  #pos = 0;
  #end = 0;
  #reader: WireReader;
  #mux: MuxStreamDecoder | null = null;
  #eof = false;
  #onMessage: MessageSink;
  /** Raw bytes received from the transport (rsync's total_read). */
  bytesRead = 0;
  /** Called with every chunk pulled from the transport (activity for --timeout). */
  onActivity: (() => void) | undefined;

  constructor(
    t: Transport,
    initial: Uint8Array = new Uint8Array(0),
    onMessage: MessageSink = () => undefined,
  ) {
    this.#t = t;
    this.#buf = new Uint8Array(Math.max(INITIAL, initial.length));
    this.#buf.set(initial);
    this.#end = initial.length;
    this.bytesRead = initial.length;
    this.#reader = new WireReader(this.#buf);
    this.#onMessage = onMessage;
  }

  set onMessage(f: MessageSink) {
    this.#onMessage = f;
  }

  get multiplexed(): boolean {
    return this.#mux !== null;
  }

  /** Data bytes buffered and not yet consumed. */
  get available(): number {
    return this.#end - this.#pos;
  }

  /** From now on the input is MSG_* frames; bytes already buffered are re-read as frames. */
  startMultiplex(): void {
    if (this.#mux) return;
    this.#mux = new MuxStreamDecoder();
    const rest = this.#buf.slice(this.#pos, this.#end);
    this.#pos = this.#end = 0;
    if (rest.length > 0) this.#ingest(rest);
  }

  #append(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    if (this.#end + n > this.#buf.length) {
      const live = this.#end - this.#pos;
      if (live + n <= this.#buf.length >>> 1) {
        this.#buf.copyWithin(0, this.#pos, this.#end);
      } else {
        let cap = this.#buf.length * 2;
        while (cap < live + n) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.#buf.subarray(this.#pos, this.#end));
        this.#buf = next;
        this.#reader = new WireReader(next);
      }
      this.#pos = 0;
      this.#end = live;
    }
    this.#buf.set(data, this.#end);
    this.#end += n;
  }

  #ingest(chunk: Uint8Array): void {
    if (!this.#mux) {
      this.#append(chunk);
      return;
    }
    this.#mux.push(
      chunk,
      (piece) => this.#append(piece),
      (f) => this.#onMessage(f.tag, f.payload),
    );
  }

  /** Pulls one chunk from the transport. Returns false at end of stream. */
  async pull(): Promise<boolean> {
    if (this.#eof) return false;
    if (this.#t.readInto) {
      if (await this.#t.readInto(this.#take)) return true;
      this.#eof = true;
      return false;
    }
    const chunk = await this.#t.read();
    if (chunk === null) {
      this.#eof = true;
      return false;
    }
    this.bytesRead += chunk.length;
    this.onActivity?.();
    this.#ingest(chunk);
    return true;
  }

  /** Takes in a chunk at once (ingesting copies it): it may be the transport's own read buffer. */
  readonly #take = (chunk: Uint8Array): void => {
    this.bytesRead += chunk.length;
    this.onActivity?.();
    this.#ingest(chunk);
  };

  /** Waits until at least `n` more data bytes than now are buffered. */
  async #more(n: number): Promise<void> {
    const want = this.available + n;
    while (this.available < want) {
      if (!(await this.pull())) {
        throw new StreamError(`connection unexpectedly closed (${this.bytesRead} bytes received so far)`);
      }
    }
  }

  /** Waits until `n` data bytes are buffered. */
  async need(n: number): Promise<void> {
    if (this.available < n) await this.#more(n - this.available);
  }

  /**
   * Runs a synchronous decoder over the buffered data, pulling more bytes and
   * retrying while it throws ShortRead. Byte views returned by `fn` alias the
   * buffer and are valid until the next call on this DataIn.
   */
  async read<T>(fn: (r: WireReader) => T): Promise<T> {
    for (;;) {
      const r = this.#reader;
      r.offset = this.#pos;
      r.end = this.#end;
      try {
        const v = fn(r);
        this.#pos = r.offset;
        return v;
      } catch (e) {
        if (!(e instanceof ShortRead)) throw e;
        await this.#more(Math.max(1, e.needed - e.available));
      }
    }
  }

  /** Like read(), but returns undefined instead of waiting when the data is not all buffered. */
  tryRead<T>(fn: (r: WireReader) => T): T | undefined {
    const r = this.#reader;
    r.offset = this.#pos;
    r.end = this.#end;
    try {
      const v = fn(r);
      this.#pos = r.offset;
      return v;
    } catch (e) {
      if (e instanceof ShortRead) return undefined;
      throw e;
    }
  }

  /** Copies out exactly `n` data bytes (for large payloads, in pieces via `onPiece`). */
  async readInto(n: number, onPiece: (piece: Uint8Array) => void): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.available === 0) await this.#more(1);
      const take = Math.min(left, this.available);
      onPiece(this.#buf.subarray(this.#pos, this.#pos + take));
      this.#pos += take;
      left -= take;
    }
  }

  /** True once the transport has ended and every buffered byte was consumed. */
  get drained(): boolean {
    return this.#eof && this.available === 0;
  }
}
