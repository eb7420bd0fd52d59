/**
 * The weak checksum of a long block with WebAssembly SIMD, 16 bytes a step
 * (rsync does the same with SSE2/AVX2: simd-checksum-x86_64.cpp). For a
 * block x[0..n) of signed bytes, s1 = sum x[i] and s2 = sum (n - i) x[i];
 * per 16-byte chunk s2 gains 16 times the s1 of the chunks before it plus
 * the chunk's bytes weighted 16..1. Only the low 16 bits of each matter, so
 * 32-bit lanes wrapping is fine. The module is a few hundred bytes built
 * here; where WebAssembly SIMD is missing, callers keep the JS loop.
 */

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const name = (s: string): number[] => [s.length, ...Buffer.from(s)];

const PAGES = 3; // 192 KiB: rsync's largest block is 128 KiB
export const SIMD_MAX = PAGES * 65536;

const SIMD = 0xfd;
const getL = (i: number) => [0x20, i];
const setL = (i: number) => [0x21, i];
const i32x4Add = [SIMD, 0xae, 0x01];
const extaddPairwise = [SIMD, 0x7e];
const dot = [SIMD, 0xba, 0x01];
const v128i16 = (lanes: number[]) => [SIMD, 0x0c, ...lanes.flatMap((v) => [v & 0xff, (v >> 8) & 0xff])];
const hsum = (l: number) => [
  ...getL(l),
  SIMD,
  0x1b,
  0,
  ...getL(l),
  SIMD,
  0x1b,
  1,
  0x6a,
  ...getL(l),
  SIMD,
  0x1b,
  2,
  0x6a,
  ...getL(l),
  SIMD,
  0x1b,
  3,
  0x6a,
];

// params: 0 ptr, 1 len (a multiple of 16); locals: 2 end, 3 s1, 4 acc (sum of s1 before each chunk),
// 5 w (weighted chunk sums), 6 chunk, 7 low half, 8 high half
const body = [
  0x02, // local groups
  0x01,
  0x7f,
  0x06,
  0x7b,
  ...getL(0),
  ...getL(1),
  0x6a,
  ...setL(2),
  0x02,
  0x40, // block
  0x03,
  0x40, // loop
  ...getL(0),
  ...getL(2),
  0x4f, // i32.ge_u
  0x0d,
  0x01, // br_if out
  ...getL(0),
  SIMD,
  0x00,
  0x00,
  0x00, // v128.load align=1 offset=0
  ...setL(6),
  ...getL(6),
  SIMD,
  0x87,
  0x01, // i16x8.extend_low_i8x16_s
  ...setL(7),
  ...getL(6),
  SIMD,
  0x88,
  0x01, // i16x8.extend_high_i8x16_s
  ...setL(8),
  ...getL(4),
  ...getL(3),
  ...i32x4Add,
  ...setL(4),
  ...getL(3),
  ...getL(7),
  ...extaddPairwise,
  ...i32x4Add,
  ...getL(8),
  ...extaddPairwise,
  ...i32x4Add,
  ...setL(3),
  ...getL(5),
  ...getL(7),
  ...v128i16([16, 15, 14, 13, 12, 11, 10, 9]),
  ...dot,
  ...i32x4Add,
  ...getL(8),
  ...v128i16([8, 7, 6, 5, 4, 3, 2, 1]),
  ...dot,
  ...i32x4Add,
  ...setL(5),
  ...getL(0),
  0x41,
  0x10,
  0x6a,
  ...setL(0), // ptr += 16
  0x0c,
  0x00, // br loop
  0x0b,
  0x0b,
  // (s1 & 0xffff) | ((16 * acc + w) << 16)
  ...hsum(3),
  0x41,
  0xff,
  0xff,
  0x03,
  0x71,
  ...hsum(4),
  0x41,
  0x04,
  0x74,
  ...hsum(5),
  0x6a,
  0x41,
  0x10,
  0x74,
  0x72,
  0x0b,
];

const MODULE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  ...section(1, [0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f]),
  ...section(3, [0x01, 0x00]),
  ...section(5, [0x01, 0x00, PAGES]),
  ...section(7, [0x02, ...name('sum'), 0x00, 0x00, ...name('mem'), 0x02, 0x00]),
  ...section(10, [0x01, ...leb(body.length), ...body]),
]);

interface Simd {
  sum: (ptr: number, len: number) => number;
  mem: Int8Array;
}

/** The little of the WebAssembly API used here (the project's lib settings do not declare it). */
interface Wasm {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object) => { exports: { sum: Simd['sum']; mem: { buffer: ArrayBuffer } } };
}

function load(): Simd | undefined {
  try {
    const wasm = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;
    if (!wasm?.validate(MODULE)) return undefined;
    const ex = new wasm.Instance(new wasm.Module(MODULE)).exports;
    return { sum: ex.sum, mem: new Int8Array(ex.mem.buffer) };
  } catch {
    return undefined;
  }
}

const simd = load();

/** Whether the SIMD path is in use (false: the JS loop does everything). */
export const hasSimdChecksum1 = simd !== undefined;

/**
 * checksum.c:get_checksum1() of `view[start, end)` (a signed view, as the
 * JS loops take), or undefined when the range is too long for the module's
 * memory or SIMD is missing.
 */
export function checksum1Simd(view: Int8Array, start: number, end: number): number | undefined {
  const n = end - start;
  if (simd === undefined || n > SIMD_MAX) return undefined;
  const whole = n & ~15;
  // same element type: a plain copy into the module's memory
  simd.mem.set(view.subarray(start, start + whole), 0);
  const v = simd.sum(0, whole);
  let s1 = v & 0xffff;
  let s2 = v >>> 16;
  for (let i = start + whole; i < end; i++) {
    s1 = (s1 + view[i]!) & 0xffff;
    s2 = (s2 + s1) & 0xffff;
  }
  return (s1 | (s2 << 16)) >>> 0;
}
