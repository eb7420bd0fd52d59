/**
 * A small pure-JS MD4 (RFC 1320) that can reproduce the quirks of rsync's
 * lib/mdfour.c for protocols < 27 (see checksum.c:get_checksum2() and
 * checksum.c:sum_end() for CSUM_MD4_BUSTED / CSUM_MD4_ARCHAIC):
 *  - busted: when the total message length is a multiple of 64 (including 0),
 *    the padding/length block is never processed; the digest is the raw state.
 *  - len32: only the low 32 bits of the bit count are written (high word 0),
 *    see lib/mdfour.c:mdfour_tail().
 * With both options off this is a correct MD4 (tested against hash-wasm).
 */
export interface Md4Options {
  busted?: boolean;
  len32?: boolean;
}

const R2 = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const R3 = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
const S1 = [3, 7, 11, 19];
const S2 = [3, 5, 9, 13];
const S3 = [3, 9, 11, 15];

const rotl = (x: number, s: number): number => (x << s) | (x >>> (32 - s));

export class Md4 {
  private readonly st = new Int32Array(4);
  private readonly buf = new Uint8Array(64);
  private readonly x = new Int32Array(16);
  private bufLen = 0;
  private total = 0;
  private readonly busted: boolean;
  private readonly len32: boolean;

  constructor(opts: Md4Options = {}) {
    this.busted = opts.busted ?? false;
    this.len32 = opts.len32 ?? false;
    this.init();
  }

  init(): this {
    this.st[0] = 0x67452301;
    this.st[1] = 0xefcdab89 | 0;
    this.st[2] = 0x98badcfe | 0;
    this.st[3] = 0x10325476;
    this.bufLen = 0;
    this.total = 0;
    return this;
  }

  private block(src: Uint8Array, off: number): void {
    const x = this.x;
    for (let i = 0; i < 16; i++) {
      const p = off + 4 * i;
      x[i] = src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24);
    }
    const st = this.st;
    let a = st[0]!;
    let b = st[1]!;
    let c = st[2]!;
    let d = st[3]!;
    for (let i = 0; i < 16; i++) {
      const t = rotl((a + ((b & c) | (~b & d)) + x[i]!) | 0, S1[i & 3]!);
      a = d;
      d = c;
      c = b;
      b = t;
    }
    for (let i = 0; i < 16; i++) {
      const t = rotl((a + ((b & c) | (b & d) | (c & d)) + x[R2[i]!]! + 0x5a827999) | 0, S2[i & 3]!);
      a = d;
      d = c;
      c = b;
      b = t;
    }
    for (let i = 0; i < 16; i++) {
      const t = rotl((a + (b ^ c ^ d) + x[R3[i]!]! + 0x6ed9eba1) | 0, S3[i & 3]!);
      a = d;
      d = c;
      c = b;
      b = t;
    }
    st[0] = (st[0]! + a) | 0;
    st[1] = (st[1]! + b) | 0;
    st[2] = (st[2]! + c) | 0;
    st[3] = (st[3]! + d) | 0;
  }

  update(data: Uint8Array): this {
    let i = 0;
    const n = data.length;
    this.total += n;
    if (this.bufLen > 0) {
      const take = Math.min(64 - this.bufLen, n);
      this.buf.set(data.subarray(0, take), this.bufLen);
      this.bufLen += take;
      i = take;
      if (this.bufLen < 64) return this;
      this.block(this.buf, 0);
      this.bufLen = 0;
    }
    for (; i + 64 <= n; i += 64) this.block(data, i);
    if (i < n) {
      this.buf.set(data.subarray(i), 0);
      this.bufLen = n - i;
    }
    return this;
  }

  digest(): Uint8Array {
    if (!(this.busted && this.bufLen === 0)) {
      const bits = this.total * 8;
      const lo = bits >>> 0;
      const hi = this.len32 ? 0 : Math.floor(bits / 4294967296) >>> 0;
      const pad = new Uint8Array(this.bufLen < 56 ? 64 - this.bufLen : 128 - this.bufLen);
      pad[0] = 0x80;
      const p = pad.length - 8;
      pad[p] = lo & 0xff;
      pad[p + 1] = (lo >>> 8) & 0xff;
      pad[p + 2] = (lo >>> 16) & 0xff;
      pad[p + 3] = lo >>> 24;
      pad[p + 4] = hi & 0xff;
      pad[p + 5] = (hi >>> 8) & 0xff;
      pad[p + 6] = (hi >>> 16) & 0xff;
      pad[p + 7] = hi >>> 24;
      const total = this.total;
      this.update(pad);
      this.total = total;
    }
    const out = new Uint8Array(16);
    for (let i = 0; i < 4; i++) {
      const v = this.st[i]!;
      out[4 * i] = v & 0xff;
      out[4 * i + 1] = (v >>> 8) & 0xff;
      out[4 * i + 2] = (v >>> 16) & 0xff;
      out[4 * i + 3] = v >>> 24;
    }
    return out;
  }
}
