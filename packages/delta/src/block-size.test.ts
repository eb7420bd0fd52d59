import { describe, expect, it } from 'vitest';
import { sumSizes } from './block-size.js';
import { DeltaError } from './errors.js';

const p32 = { protocol: 32, xferSumLen: 16 };

describe('sumSizes (generator.c:sum_sizes_sqroot)', () => {
  it('docs table, protocol >= 30', () => {
    expect(sumSizes(2000, p32)).toEqual({ blockLength: 700, s2Length: 2, count: 3, remainder: 600 });
    expect(sumSizes(1_000_000, p32)).toEqual({ blockLength: 1000, s2Length: 2, count: 1000, remainder: 0 });
    expect(sumSizes(123_456_789, p32)).toEqual({
      blockLength: 11104,
      s2Length: 3,
      count: 11119,
      remainder: 2517,
    });
    const g = sumSizes(1e9, p32);
    expect([g.blockLength, g.s2Length, g.count]).toEqual([31616, 3, 31630]);
    const h = sumSizes(2 ** 32, p32);
    expect([h.blockLength, h.s2Length, h.count, h.remainder]).toEqual([65536, 4, 65536, 0]);
    expect(sumSizes(2 ** 36, p32).blockLength).toBe(131072);
  });
  it('protocol < 30 cap is 2^29', () => {
    expect(sumSizes(2 ** 36, { protocol: 29, xferSumLen: 16 }).blockLength).toBe(262144);
    expect(sumSizes(1e11, { protocol: 29, xferSumLen: 16 }).blockLength).toBe(316224);
    expect(sumSizes(1e11, p32).blockLength).toBe(131072);
    expect(sumSizes(123_456_789, { protocol: 29, xferSumLen: 16 }).blockLength).toBe(11104);
  });
  it('small, empty, redo, old protocol, short digests, --block-size', () => {
    expect(sumSizes(0, p32)).toEqual({ blockLength: 700, s2Length: 2, count: 0, remainder: 0 });
    expect(sumSizes(490_000, p32).blockLength).toBe(700);
    expect(sumSizes(2000, { ...p32, csumLength: 16 }).s2Length).toBe(16);
    expect(sumSizes(2000, { protocol: 32, xferSumLen: 8, csumLength: 16 }).s2Length).toBe(8);
    expect(sumSizes(2000, { protocol: 26, xferSumLen: 16, csumLength: 2 }).s2Length).toBe(2);
    expect(sumSizes(1000, { ...p32, blockSize: 64 })).toEqual({
      blockLength: 64,
      s2Length: 2,
      count: 16,
      remainder: 40,
    });
    expect(() => sumSizes(1000, { ...p32, blockSize: 200_000 })).toThrow(DeltaError);
  });
});
