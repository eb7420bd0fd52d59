/** Minimal MD4 (RFC 1320) for daemon auth; Node's OpenSSL 3 build has no md4. */

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

export function md4(data: Uint8Array): Uint8Array {
  const bitLen = data.byteLength * 8;
  const padLen = ((data.byteLength + 8) >> 6) * 64 + 64;
  const msg = new Uint8Array(padLen);
  msg.set(data);
  msg[data.byteLength] = 0x80;
  const dv = new DataView(msg.buffer);
  dv.setUint32(padLen - 8, bitLen >>> 0, true);
  dv.setUint32(padLen - 4, Math.floor(bitLen / 2 ** 32), true);
  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Array<number>(16).fill(0);
  const F = (p: number, q: number, r: number) => (p & q) | (~p & r);
  const G = (p: number, q: number, r: number) => (p & q) | (p & r) | (q & r);
  const H = (p: number, q: number, r: number) => p ^ q ^ r;
  for (let off = 0; off < padLen; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = dv.getUint32(off + i * 4, true);
    const X = (i: number) => x[i] ?? 0;
    const [aa, bb, cc, dd] = [a, b, c, d];
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + F(b, c, d) + X(i)) | 0, 3);
      d = rotl((d + F(a, b, c) + X(i + 1)) | 0, 7);
      c = rotl((c + F(d, a, b) + X(i + 2)) | 0, 11);
      b = rotl((b + F(c, d, a) + X(i + 3)) | 0, 19);
    }
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + G(b, c, d) + X(i) + 0x5a827999) | 0, 3);
      d = rotl((d + G(a, b, c) + X(i + 4) + 0x5a827999) | 0, 5);
      c = rotl((c + G(d, a, b) + X(i + 8) + 0x5a827999) | 0, 9);
      b = rotl((b + G(c, d, a) + X(i + 12) + 0x5a827999) | 0, 13);
    }
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + H(b, c, d) + X(i) + 0x6ed9eba1) | 0, 3);
      d = rotl((d + H(a, b, c) + X(i + 8) + 0x6ed9eba1) | 0, 9);
      c = rotl((c + H(d, a, b) + X(i + 4) + 0x6ed9eba1) | 0, 11);
      b = rotl((b + H(c, d, a) + X(i + 12) + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  ov.setUint32(0, a >>> 0, true);
  ov.setUint32(4, b >>> 0, true);
  ov.setUint32(8, c >>> 0, true);
  ov.setUint32(12, d >>> 0, true);
  return out;
}
