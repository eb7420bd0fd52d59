/**
 * rsync's weak checksum ("sum1"): bytes taken as signed chars, CHAR_OFFSET 0.
 * Behaviour ported from checksum.c:get_checksum1() and the rolling update in
 * match.c:hash_search(). Only the low 16 bits of s1 and s2 are significant.
 */

import { checksum1Simd } from './checksum1-simd.js';

/** Blocks at least this long go to the SIMD sum (below, the call and copy cost more than they save). */
const SIMD_FROM = 256;

/** Signed view over the same memory as `data` (no copy). */
export function int8View(data: Uint8Array): Int8Array {
  return new Int8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Weak checksum of `view[start, end)` for a signed view. Returns uint32.
 * Monomorphic on Int8Array: keep callers on one array type.
 */
export function checksum1Int8(view: Int8Array, start: number, end: number): number {
  let s1 = 0;
  let s2 = 0;
  let i = start;
  const end4 = end - 3;
  // 4-way unroll: s2 gains 4*s1 + 4*x0 + 3*x1 + 2*x2 + x3; s1 gains the byte sum.
  for (; i < end4; i += 4) {
    const x0 = view[i]!;
    const x1 = view[i + 1]!;
    const x2 = view[i + 2]!;
    const x3 = view[i + 3]!;
    s2 = (s2 + (s1 << 2) + (x0 << 2) + x1 * 3 + (x2 << 1) + x3) | 0;
    s1 = (s1 + x0 + x1 + x2 + x3) | 0;
  }
  for (; i < end; i++) {
    s1 = (s1 + view[i]!) | 0;
    s2 = (s2 + s1) | 0;
  }
  return ((s1 & 0xffff) | (s2 << 16)) >>> 0;
}

/**
 * Int32 view over the same memory as `data` when its byteOffset is 4-aligned
 * (covers the whole 4-byte words), else null.
 */
export function int32View(data: Uint8Array): Int32Array | null {
  if ((data.byteOffset & 3) !== 0) return null;
  return new Int32Array(data.buffer, data.byteOffset, data.byteLength >> 2);
}

/**
 * Weak checksum of `[start, end)` using little-endian word loads where possible
 * (about 1.7x faster than byte loads). `i32` must view the same memory as `i8`
 * from the same byte offset, or be null.
 */
export function checksum1Fast(i8: Int8Array, i32: Int32Array | null, start: number, end: number): number {
  // long blocks (every block of a big file): WebAssembly SIMD, about 5x the loop below
  if (end - start >= SIMD_FROM) {
    const v = checksum1Simd(i8, start, end);
    if (v !== undefined) return v;
  }
  if (i32 === null || (start & 3) !== 0 || end - start < 16) return checksum1Int8(i8, start, end);
  let s1 = 0;
  let s2 = 0;
  const wEnd = end >> 2;
  for (let j = start >> 2; j < wEnd; j++) {
    const w = i32[j]!;
    const x0 = (w << 24) >> 24;
    const x1 = (w << 16) >> 24;
    const x2 = (w << 8) >> 24;
    const x3 = w >> 24;
    s2 = (s2 + (s1 << 2) + (x0 << 2) + x1 * 3 + (x2 << 1) + x3) | 0;
    s1 = (s1 + x0 + x1 + x2 + x3) | 0;
  }
  for (let i = wEnd << 2; i < end; i++) {
    s1 = (s1 + i8[i]!) | 0;
    s2 = (s2 + s1) | 0;
  }
  return ((s1 & 0xffff) | (s2 << 16)) >>> 0;
}

/**
 * checksum.c:get_checksum1() over `data[start, end)` (defaults: whole array).
 * Bytes >= 0x80 count as negative. Result is an unsigned 32-bit integer.
 */
export function checksum1(data: Uint8Array, start = 0, end = data.length): number {
  if (start < 0 || end > data.length || start > end) throw new RangeError('checksum1: bad range');
  return checksum1Int8(int8View(data), start, end);
}

const toSigned = (b: number): number => (b << 24) >> 24;

/**
 * Incremental weak checksum over a sliding window of `length` bytes.
 * `roll(out, in)` removes the oldest byte and appends a new one (byte values
 * 0..255 or -128..127 are both accepted), equal to recomputing checksum1 on
 * the shifted window. `rollOut(out)` shrinks the window at end of file.
 */
export class RollingChecksum {
  private s1 = 0;
  private s2 = 0;
  private k = 0;

  constructor(data?: Uint8Array, start = 0, end = data ? data.length : 0) {
    if (data) this.reset(data, start, end);
  }

  reset(data: Uint8Array, start = 0, end = data.length): this {
    const v = checksum1(data, start, end);
    this.s1 = v & 0xffff;
    this.s2 = v >>> 16;
    this.k = end - start;
    return this;
  }

  /** Window length in bytes. */
  get length(): number {
    return this.k;
  }

  roll(out: number, inb: number): this {
    const o = toSigned(out);
    this.s1 = (this.s1 - o + toSigned(inb)) | 0;
    this.s2 = (this.s2 - Math.imul(this.k, o) + this.s1) | 0;
    return this;
  }

  rollOut(out: number): this {
    const o = toSigned(out);
    this.s1 = (this.s1 - o) | 0;
    this.s2 = (this.s2 - Math.imul(this.k, o)) | 0;
    this.k--;
    return this;
  }

  /** Current sum1 as uint32. */
  get value(): number {
    return ((this.s1 & 0xffff) | (this.s2 << 16)) >>> 0;
  }
}
