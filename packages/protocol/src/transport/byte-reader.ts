/**
 * Buffered reader over a `Transport`: lines for the daemon text phase, exact
 * byte counts for the binary phase.
 */
import { ProtocolError, StreamError } from '../errors.js';
import type { Transport } from './transport.js';

const EMPTY = new Uint8Array(0);

export class ByteReader {
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  private eof = false;

  constructor(private readonly transport: Transport) {}

  /** Bytes already buffered and not yet consumed. */
  get buffered(): number {
    return this.buf.byteLength - this.pos;
  }

  /** Removes and returns everything buffered (possibly empty), without reading more. */
  takeBuffered(): Uint8Array {
    const out = this.buf.subarray(this.pos);
    this.buf = EMPTY;
    this.pos = 0;
    return out;
  }

  /** Pulls one more chunk into the buffer; false at end of stream. */
  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    const chunk = await this.transport.read();
    if (chunk === null) {
      this.eof = true;
      return false;
    }
    if (chunk.byteLength === 0) return true;
    const rest = this.buf.subarray(this.pos);
    if (rest.byteLength === 0) {
      this.buf = chunk;
    } else {
      const merged = new Uint8Array(rest.byteLength + chunk.byteLength);
      merged.set(rest, 0);
      merged.set(chunk, rest.byteLength);
      this.buf = merged;
    }
    this.pos = 0;
    return true;
  }

  /**
   * Reads one `\n`-terminated line as raw bytes, without the `\n` and with every `\r`
   * dropped (as rsync's io.c:read_line_old() does). `null` on a clean end of stream.
   * Throws ProtocolError if the line exceeds `maxLen` bytes or holds a NUL, and
   * StreamError on end of stream in the middle of a line.
   */
  async readLineBytes(maxLen = 1024): Promise<Uint8Array | null> {
    let scanned = 0;
    for (;;) {
      const view = this.buf.subarray(this.pos);
      const nl = view.indexOf(0x0a, scanned);
      if (nl >= 0) {
        const raw = view.subarray(0, nl);
        this.pos += nl + 1;
        return this.cleanLine(raw, maxLen);
      }
      scanned = view.byteLength;
      if (scanned > maxLen + 64 && this.countNonCr(view) > maxLen) {
        throw new ProtocolError(`line too long (more than ${maxLen} bytes)`);
      }
      if (!(await this.fill())) {
        if (this.buffered === 0) return null;
        throw new StreamError('connection closed in the middle of a line');
      }
    }
  }

  /** Bytes up to (not including) `sep`, raw; null at a clean end of stream. */
  async readUntil(sep: number, maxLen: number): Promise<Uint8Array | null> {
    for (;;) {
      const view = this.buf.subarray(this.pos);
      const at = view.indexOf(sep);
      if (at >= 0) {
        if (at > maxLen) throw new ProtocolError(`argument too long (more than ${maxLen} bytes)`);
        this.pos += at + 1;
        return view.slice(0, at);
      }
      if (view.byteLength > maxLen) throw new ProtocolError(`argument too long (more than ${maxLen} bytes)`);
      if (!(await this.fill())) {
        if (this.buffered === 0) return null;
        throw new StreamError('connection closed in the middle of an argument');
      }
    }
  }

  /** `readLineBytes` decoded as latin1 (byte-preserving: `Buffer.from(s, 'latin1')` round-trips). */
  async readLine(maxLen = 1024): Promise<string | null> {
    const b = await this.readLineBytes(maxLen);
    return b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  }

  private countNonCr(v: Uint8Array): number {
    let n = 0;
    for (const c of v) if (c !== 0x0d) n++;
    return n;
  }

  private cleanLine(raw: Uint8Array, maxLen: number): Uint8Array {
    let out = raw;
    if (raw.includes(0x0d)) out = raw.filter((c) => c !== 0x0d);
    if (out.includes(0)) throw new ProtocolError('NUL byte in a text line');
    if (out.byteLength > maxLen) throw new ProtocolError(`line too long (more than ${maxLen} bytes)`);
    return out.slice();
  }

  /** Exactly `n` bytes; throws StreamError if the stream ends first. */
  async readExact(n: number): Promise<Uint8Array> {
    while (this.buffered < n) {
      if (!(await this.fill())) {
        throw new StreamError(`connection closed: wanted ${n} bytes, got ${this.buffered}`);
      }
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Whatever is buffered, or the next chunk; `null` at end of stream. */
  async readSome(): Promise<Uint8Array | null> {
    if (this.buffered === 0 && !(await this.fill())) return null;
    return this.takeBuffered();
  }
}
