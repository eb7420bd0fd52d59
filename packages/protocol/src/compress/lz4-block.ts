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
const HASH_LOG = 12;

function writeLength(out: number[], len: number): void {
  while (len >= 255) {
    out.push(255);
    len -= 255;
  }
  out.push(len);
}

/** A simple greedy LZ4 block compressor (decodable by LZ4_decompress_safe). */
export function lz4CompressBlock(src: Uint8Array): Uint8Array {
  const n = src.length;
  const out: number[] = [];
  const table = new Int32Array(1 << HASH_LOG).fill(-1);
  const hash = (i: number) =>
    (Math.imul(src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24), 2654435761) >>>
      (32 - HASH_LOG)) >>>
    0;
  let anchor = 0;
  let ip = 0;
  const limit = n - MF_LIMIT;
  const emit = (litEnd: number, matchLen: number, offset: number) => {
    const lit = litEnd - anchor;
    const ml = matchLen - MIN_MATCH;
    out.push(((lit >= 15 ? 15 : lit) << 4) | (matchLen === 0 ? 0 : ml >= 15 ? 15 : ml));
    if (lit >= 15) writeLength(out, lit - 15);
    for (let k = anchor; k < litEnd; k++) out.push(src[k]!);
    if (matchLen === 0) return;
    out.push(offset & 0xff, offset >>> 8);
    if (ml >= 15) writeLength(out, ml - 15);
  };
  while (ip < limit) {
    const h = hash(ip);
    const ref = table[h]!;
    table[h] = ip;
    if (
      ref >= 0 &&
      ip - ref <= 0xffff &&
      src[ref] === src[ip] &&
      src[ref + 1] === src[ip + 1] &&
      src[ref + 2] === src[ip + 2] &&
      src[ref + 3] === src[ip + 3]
    ) {
      let len = MIN_MATCH;
      const maxLen = n - LAST_LITERALS - ip;
      while (len < maxLen && src[ref + len] === src[ip + len]) len++;
      emit(ip, len, ip - ref);
      ip += len;
      anchor = ip;
      continue;
    }
    ip++;
  }
  emit(n, 0, 0);
  return Uint8Array.from(out);
}
