/**
 * LZ4 block format (no frame): what rsync's lz4 token stream carries in each
 * DEFLATED_DATA chunk (token.c: LZ4_compress_default / LZ4_decompress_safe).
 * Written by hand: the block format is small and the npm packages for it are
 * unmaintained.
 */
import { ProtocolError } from '../errors.js';

/** LZ4_decompress_safe(): decodes one block into at most `max` bytes. */
export function lz4DecompressBlock(src: Uint8Array, max: number): Uint8Array {
  const out = new Uint8Array(max);
  let ip = 0;
  let op = 0;
  const n = src.length;
  const bad = (why: string): never => {
    throw new ProtocolError(`invalid lz4 block: ${why}`);
  };
  while (ip < n) {
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= n) bad('truncated literal length');
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > n) bad('literal past the end of the input');
    if (op + lit > max) bad('output too large');
    out.set(src.subarray(ip, ip + lit), op);
    ip += lit;
    op += lit;
    if (ip >= n) break; // the last sequence has literals only
    if (ip + 2 > n) bad('truncated offset');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) bad('offset out of range');
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= n) bad('truncated match length');
        b = src[ip++]!;
        len += b;
      } while (b === 255);
    }
    if (op + len > max) bad('output too large');
    let from = op - offset;
    if (offset >= len) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      for (let k = 0; k < len; k++) out[op++] = out[from++]!;
    }
  }
  return out.subarray(0, op);
}

const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const SKIP_TRIGGER = 6;
/** Inputs below 64 KiB + 11 use 16-bit positions and a 2^13-entry table. */
const LIMIT_64K = 65536 + MF_LIMIT - 1;
const HASH_SHIFT = 32 - 13;

const read32 = (s: Uint8Array, i: number): number =>
  s[i]! | (s[i + 1]! << 8) | (s[i + 2]! << 16) | (s[i + 3]! << 24);
const hash4 = (s: Uint8Array, i: number): number => Math.imul(read32(s, i), 2654435761 | 0) >>> HASH_SHIFT;

/** Bytes of the run of length `len` (>= 15 already in the token) after the token. */
function putLength(out: Uint8Array, op: number, len: number): number {
  for (; len >= 255; len -= 255) out[op++] = 255;
  out[op++] = len;
  return op;
}

/**
 * LZ4_compress_default() for inputs below 64 KiB + 11 (rsync compresses at
 * most MAX_DATA_COUNT bytes at a time), written from the algorithm of lz4
 * 1.9 so that the output matches the library's byte for byte: a 4-byte hash
 * into a table of 16-bit positions, a search step that grows every 64
 * misses, backward extension of a match, and a retry at the position right
 * after each match.
 */
export function lz4CompressBlock(src: Uint8Array): Uint8Array {
  const n = src.length;
  if (n >= LIMIT_64K) throw new RangeError(`lz4 block input too large (${n})`);
  const out = new Uint8Array(n + ((n / 255) | 0) + 16); // LZ4_compressBound()
  let op = 0;
  let anchor = 0;
  if (n > MF_LIMIT) {
    const table = new Uint16Array(1 << (32 - HASH_SHIFT));
    const mflimitPlusOne = n - MF_LIMIT + 1;
    const matchLimit = n - LAST_LITERALS;
    let ip = 1;
    let forwardH = hash4(src, 1);
    scan: for (;;) {
      let match = 0;
      // find a match, stepping further the longer nothing is found
      for (let fwd = ip, step = 1, searches = 1 << SKIP_TRIGGER; ;) {
        const h = forwardH;
        const cur = fwd;
        match = table[h]!;
        ip = fwd;
        fwd += step;
        step = searches++ >> SKIP_TRIGGER;
        if (fwd > mflimitPlusOne) break scan;
        forwardH = hash4(src, fwd);
        table[h] = cur;
        if (read32(src, match) === read32(src, ip)) break;
      }
      while (ip > anchor && match > 0 && src[ip - 1] === src[match - 1]) {
        ip--;
        match--;
      }
      const lit = ip - anchor;
      let token = op++;
      out[token] = (lit >= 15 ? 15 : lit) << 4;
      if (lit >= 15) op = putLength(out, op, lit - 15);
      out.set(src.subarray(anchor, ip), op);
      op += lit;
      for (;;) {
        out[op++] = (ip - match) & 0xff;
        out[op++] = (ip - match) >>> 8;
        let len = 0;
        for (let a = ip + MIN_MATCH, b = match + MIN_MATCH; a < matchLimit && src[a] === src[b]; a++, b++)
          len++;
        ip += len + MIN_MATCH;
        out[token]! += len >= 15 ? 15 : len;
        if (len >= 15) op = putLength(out, op, len - 15);
        anchor = ip;
        if (ip >= mflimitPlusOne) break scan;
        table[hash4(src, ip - 2)] = ip - 2;
        // a match right here continues without literals
        const h = hash4(src, ip);
        match = table[h]!;
        table[h] = ip;
        if (read32(src, match) !== read32(src, ip)) break;
        token = op++;
        out[token] = 0;
      }
      forwardH = hash4(src, ++ip);
    }
  }
  const last = n - anchor;
  out[op++] = (last >= 15 ? 15 : last) << 4;
  if (last >= 15) op = putLength(out, op, last - 15);
  out.set(src.subarray(anchor), op);
  return out.subarray(0, op + last);
}
