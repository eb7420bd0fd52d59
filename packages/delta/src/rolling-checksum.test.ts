import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checksum1, RollingChecksum } from './rolling-checksum.js';

/** Straight transcription of the definition (docs part 2 §3.1). */
function ref(data: Uint8Array): number {
  let s1 = 0;
  let s2 = 0;
  for (const b of data) {
    s1 = (s1 + ((b << 24) >> 24)) >>> 0;
    s2 = (s2 + s1) >>> 0;
  }
  return ((s1 & 0xffff) + ((s2 & 0xffff) << 16)) >>> 0;
}

describe('checksum1', () => {
  it('known vectors', () => {
    expect(checksum1(new Uint8Array([]))).toBe(0);
    expect(checksum1(new Uint8Array([1, 2, 3]))).toBe(0x000a0006);
    // bytes >= 0x80 are signed: -128
    expect(checksum1(new Uint8Array([0x80]))).toBe(0xff80ff80);
    expect(checksum1(new Uint8Array([0xff, 0x01]))).toBe(((0 & 0xffff) | (0xffff << 16)) >>> 0);
    const u = new Uint8Array(1000).fill(0x90);
    expect(checksum1(u)).toBe(ref(u));
  });
  it('range arguments', () => {
    const d = new Uint8Array([9, 1, 2, 3, 9]);
    expect(checksum1(d, 1, 4)).toBe(0x000a0006);
    expect(() => checksum1(d, 3, 9)).toThrow(RangeError);
  });
  it('matches the definition (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (d) => checksum1(d) === ref(d)),
      { numRuns: 1000 },
    );
  });
});

describe('RollingChecksum', () => {
  it('roll equals recompute for any data and window (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 64 }),
        (d, w0) => {
          const w = Math.min(w0, d.length);
          const r = new RollingChecksum(d, 0, w);
          for (let i = 0; i + w < d.length; i++) {
            r.roll(d[i]!, d[i + w]!);
            if (r.value !== checksum1(d, i + 1, i + 1 + w)) return false;
          }
          // shrink at end of file
          const start = d.length - w;
          for (let i = start; i < d.length; i++) {
            r.rollOut(d[i]!);
            if (r.value !== checksum1(d, i + 1, d.length) || r.length !== d.length - i - 1) return false;
          }
          return true;
        },
      ),
      { numRuns: 1000 },
    );
  });
});
