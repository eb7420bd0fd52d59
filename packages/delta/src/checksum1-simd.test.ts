import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SIMD_MAX, checksum1Simd, hasSimdChecksum1 } from './checksum1-simd.js';
import { checksum1Fast, checksum1Int8, int32View, int8View } from './rolling-checksum.js';

describe('checksum1Simd', () => {
  it('WebAssembly SIMD is available on the Node versions we support', () => {
    expect(hasSimdChecksum1).toBe(true);
  });

  it('equals the byte loop for any bytes and range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 5000, size: 'max' }), fc.nat(), fc.nat(), (data, a, b) => {
        const view = int8View(data);
        const start = data.length === 0 ? 0 : a % data.length;
        const end = start + (data.length === 0 ? 0 : b % (data.length - start + 1));
        expect(checksum1Simd(view, start, end)).toBe(checksum1Int8(view, start, end));
      }),
      { numRuns: 500 },
    );
  });

  it('long blocks of extreme bytes (s1 and s2 wrap many times), and the largest block', () => {
    for (const fill of [0x7f, 0x80, 0xff, 0x00]) {
      const data = new Uint8Array(SIMD_MAX).fill(fill);
      for (let i = 0; i < data.length; i += 97) data[i] = i & 0xff;
      const view = int8View(data);
      for (const [s, e] of [
        [0, SIMD_MAX],
        [1, SIMD_MAX],
        [13, 131072 + 13],
        [5, 700],
      ] as const)
        expect(checksum1Simd(view, s, e), `${fill} ${s}-${e}`).toBe(checksum1Int8(view, s, e));
    }
    expect(checksum1Simd(new Int8Array(SIMD_MAX + 16), 0, SIMD_MAX + 1)).toBeUndefined();
  });

  it('checksum1Fast (SIMD from 256 bytes, words below) equals the byte loop', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000, size: 'max' }), fc.nat(), (data, a) => {
        const view = int8View(data);
        const words = int32View(data);
        const start = data.length === 0 ? 0 : (a % data.length) & ~3;
        expect(checksum1Fast(view, words, start, data.length)).toBe(checksum1Int8(view, start, data.length));
      }),
      { numRuns: 300 },
    );
  });
});
