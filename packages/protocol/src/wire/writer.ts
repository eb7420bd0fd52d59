/**
 * Growable little-endian writer with rsync's integer encodings (io.c:
 * write_int, write_varint, write_varlong, write_longint, write_vstring).
 */

export class WireWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.pos, v & 0xffff, true);
    this.pos += 2;
    return this;
  }

  i32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.pos, v | 0, true);
    this.pos += 4;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
    return this;
  }

  /** int64 LE from a safe integer. */
  i64(v: number): this {
    checkSafe(v);
    this.ensure(8);
    this.view.setBigInt64(this.pos, BigInt(v), true);
    this.pos += 8;
    return this;
  }

  /** io.c:write_varint(): int32 in 1-5 bytes. */
  varint(v: number): this {
    const b = this.scratch;
    b[0] = 0;
    b[1] = v & 0xff;
    b[2] = (v >>> 8) & 0xff;
    b[3] = (v >>> 16) & 0xff;
    b[4] = (v >>> 24) & 0xff;
    return this.emitVar(b, 4, 1);
  }

  /** io.c:write_varlong(): int64 (as a safe integer) in min..9 bytes. */
  varlong(v: number, min: number): this {
    checkSafe(v);
    // two's complement halves without BigInt (ToUint32 is v mod 2^32 for any safe integer)
    const lo = v >>> 0;
    const hi = Math.floor(v / 0x100000000) >>> 0;
    const b = this.scratch;
    b[0] = 0;
    for (let i = 0; i < 4; i++) {
      b[i + 1] = (lo >>> (8 * i)) & 0xff;
      b[i + 5] = (hi >>> (8 * i)) & 0xff;
    }
    return this.emitVar(b, 8, min);
  }

  private readonly scratch: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0];

  private emitVar(b: number[], width: number, min: number): this {
    let cnt = width;
    while (cnt > min && b[cnt] === 0) cnt--;
    const bit = 1 << (7 - cnt + min);
    const top = b[cnt] as number;
    if (top >= bit) {
      cnt++;
      b[0] = ~(bit - 1) & 0xff;
    } else if (cnt > min) {
      b[0] = (top | ~(bit * 2 - 1)) & 0xff;
    } else {
      b[0] = top;
    }
    this.ensure(cnt);
    for (let i = 0; i < cnt; i++) this.buf[this.pos++] = b[i] as number;
    return this;
  }

  /**
   * io.c:write_longint(): int32 when 0..0x7fffffff, else -1 + int64. A bigint
   * (a device or inode number beyond 2^53) is sent as its low 64 bits, signed.
   */
  longint(v: number | bigint): this {
    if (typeof v === 'number') {
      if (v >= 0 && v <= 0x7fffffff) return this.i32(v);
      this.i32(-1);
      return this.i64(v);
    }
    if (v >= 0n && v <= 0x7fffffffn) return this.i32(Number(v));
    this.i32(-1);
    this.ensure(8);
    this.view.setBigInt64(this.pos, BigInt.asIntN(64, v), true);
    this.pos += 8;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  /** io.c:write_vstring(): max 0x7fff bytes. */
  vstring(data: Uint8Array | string): this {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const len = bytes.length;
    if (len > 0x7fff) throw new RangeError(`vstring too long (${len} bytes)`);
    if (len > 0x7f) this.u8(0x80 | (len >> 8)).u8(len & 0xff);
    else this.u8(len);
    return this.bytes(bytes);
  }

  /** The bytes written so far (a copy; the writer can keep being used). */
  /** The bytes written so far, without copying (valid until the next write or reset). */
  peek(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** Forget everything written; keeps the allocation. */
  reset(): void {
    this.pos = 0;
  }
}

function checkSafe(v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`not a safe integer: ${v}`);
}
