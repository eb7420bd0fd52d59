/**
 * Synchronous little-endian reader over one buffer, with rsync's integer
 * encodings (io.c: read_int, read_varint, read_varlong, read_longint,
 * read_vstring). Throws ShortRead when the buffer ends early so that a
 * streaming caller can rewind `offset` and retry with more bytes, and
 * ProtocolError when the bytes are present but invalid.
 */
import { ProtocolError, ShortRead } from '../errors.js';

/** Number of extra bytes signalled by the leading 1-bits of a varint lead byte. */
export function leadingOnes(lead: number): number {
  let k = 0;
  for (let bit = 0x80; bit !== 0 && (lead & bit) !== 0; bit >>= 1) k++;
  return k;
}

const TWO32 = 0x1_0000_0000;

export class WireReader {
  readonly buf: Uint8Array;
  offset: number;
  /** End of the valid bytes (default: the end of `buf`); a streaming owner moves it as data arrives. */
  end: number;
  private readonly view: DataView;

  constructor(buf: Uint8Array, offset = 0, end = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throw ShortRead unless n more bytes are available. */
  need(n: number): void {
    if (this.end - this.offset < n) throw new ShortRead(n, this.end - this.offset);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.offset++] as number;
  }

  /** rsync "shortint": uint16 LE. */
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.offset, true);
    this.offset += 4;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  /** int64 LE as a number; ProtocolError if it is outside the safe-integer range. */
  i64(): number {
    this.need(8);
    const lo = this.view.getUint32(this.offset, true);
    const hi = this.view.getInt32(this.offset + 4, true);
    this.offset += 8;
    return combine64(lo, hi, 'int64');
  }

  /** io.c:read_varint(): 1-5 bytes, result truncated to int32. */
  varint(): number {
    const o = this.offset;
    const b = this.buf;
    if (o >= this.end) throw new ShortRead(1, 0);
    const lead = b[o] as number;
    if (lead < 0x80) {
      this.offset = o + 1;
      return lead;
    }
    // the lead byte's leading 1-bits count the bytes that follow
    const k = Math.clz32(~(lead << 24));
    if (k > 4) throw new ProtocolError(`varint overflow (lead byte 0x${lead.toString(16)})`);
    if (this.end - o - 1 < k) throw new ShortRead(k + 1, this.end - o);
    const b1 = b[o + 1] as number;
    let v: number;
    if (k === 1) v = b1 | ((lead & 0x3f) << 8);
    else if (k === 2) v = b1 | ((b[o + 2] as number) << 8) | ((lead & 0x1f) << 16);
    else if (k === 3)
      v = b1 | ((b[o + 2] as number) << 8) | ((b[o + 3] as number) << 16) | ((lead & 0x0f) << 24);
    else v = b1 | ((b[o + 2] as number) << 8) | ((b[o + 3] as number) << 16) | ((b[o + 4] as number) << 24);
    this.offset = o + 1 + k;
    return v | 0;
  }

  /** io.c:read_varlong(): `min` bytes then up to 9-min extra; signed int64 as a safe number. */
  varlong(min: number): number {
    const start = this.offset;
    this.need(min);
    const lead = this.buf[this.offset] as number;
    const k = leadingOnes(lead);
    if (min + k > 9) throw new ProtocolError(`varlong overflow (lead byte 0x${lead.toString(16)})`);
    this.need(min + k);
    const n = min - 1 + k; // value bytes after the lead byte
    const p = this.offset + 1;
    this.offset += min + k;
    const high = k >= 7 ? 0 : lead & ((1 << (7 - k)) - 1);
    if (n + 1 <= 6) {
      let v = 0;
      let scale = 1;
      for (let i = 0; i < n; i++, scale *= 256) v += (this.buf[p + i] as number) * scale;
      return v + high * scale;
    }
    let v = 0n;
    for (let i = 0; i < n; i++) v |= BigInt(this.buf[p + i] as number) << BigInt(8 * i);
    if (n < 8) v |= BigInt(high) << BigInt(8 * n);
    v = BigInt.asIntN(64, v);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.offset = start;
      throw new ProtocolError(`varlong value ${v} is not a safe integer`);
    }
    return Number(v);
  }

  /** io.c:read_longint(): int32, or -1 followed by an int64 (proto < 30 sizes). */
  longint(): number {
    const start = this.offset;
    const v = this.i32();
    if (v !== -1) return v;
    try {
      return this.i64();
    } catch (e) {
      this.offset = start;
      throw e;
    }
  }

  /** io.c:read_longint() for identities (device and inode numbers): any int64, as a bigint. */
  longintBig(): bigint {
    const start = this.offset;
    const v = this.i32();
    if (v !== -1) return BigInt(v);
    if (this.end - this.offset < 8) {
      this.offset = start;
      this.need(12);
    }
    const big = this.view.getBigInt64(this.offset, true);
    this.offset += 8;
    return big;
  }

  /** n raw bytes as a view into the underlying buffer (no copy). */
  bytes(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0) throw new ProtocolError(`invalid byte count ${n}`);
    this.need(n);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** io.c:read_vstring(): 1- or 2-byte length then bytes; rejects lengths above `max`. */
  vstring(max: number = 0x7fff): Uint8Array {
    const start = this.offset;
    let len = this.u8();
    if (len & 0x80) len = ((len & 0x7f) << 8) | this.u8();
    if (len > max) {
      this.offset = start;
      throw new ProtocolError(`vstring length ${len} exceeds ${max}`);
    }
    try {
      return this.bytes(len);
    } catch (e) {
      this.offset = start;
      throw e;
    }
  }
}

/** Combine a little-endian (lo uint32, hi int32) pair; ProtocolError if not a safe integer. */
export function combine64(lo: number, hi: number, what: string): number {
  if (hi > 0x1fffff || hi < -0x200000) throw new ProtocolError(`${what} value out of safe range`);
  return hi * TWO32 + lo;
}
