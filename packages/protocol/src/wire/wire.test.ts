import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolError, ShortRead } from '../errors.js';
import { WireReader } from './reader.js';
import { WireWriter } from './writer.js';
import { NdxState, decodeNdx, encodeNdx } from './ndx.js';

const hex = (b: Uint8Array): string =>
  Buffer.from(b)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('varint / varlong vectors (part 1 §5)', () => {
  const varint: [number, string][] = [
    [0, '00'],
    [0x7f, '7f'],
    [0x80, '80 80'],
    [0x3fff, 'bf ff'],
    [0x4000, 'c0 00 40'],
    [0xfffe, 'c0 fe ff'],
    [0x1ff, '81 ff'],
    [0x2c01, 'ac 01'],
    [0x200000, 'e0 00 00 20'],
    [0x10000000, 'f0 00 00 00 10'],
    [-1, 'f0 ff ff ff ff'],
    [510, '81 fe'],
  ];
  it.each(varint)('varint %d', (v, bytes) => {
    expect(hex(new WireWriter().varint(v).finish())).toBe(bytes);
    const r = new WireReader(unhex(bytes));
    expect(r.varint()).toBe(v);
    expect(r.remaining).toBe(0);
  });
  const varlong: [number, number, string][] = [
    [3, 0, '00 00 00'],
    [3, 4096, '00 00 10'],
    [3, 100, '00 64 00'],
    [3, 0x7fffff, '7f ff ff'],
    [3, 0x800000, '80 00 00 80'],
    [3, 2 ** 40, 'e1 00 00 00 00 00'],
    [3, 43, '00 2b 00'],
    [3, 600313, '09 f9 28'],
    [4, 0x6b02ded2, '6b d2 de 02'],
    [4, 0x80000000, '80 00 00 00 80'],
    [4, 0xffffffff, '80 ff ff ff ff'],
  ];
  it.each(varlong)('varlong(%d) %d', (min, v, bytes) => {
    expect(hex(new WireWriter().varlong(v, min).finish())).toBe(bytes);
    const r = new WireReader(unhex(bytes));
    expect(r.varlong(min)).toBe(v);
    expect(r.remaining).toBe(0);
  });
  it('longint', () => {
    expect(hex(new WireWriter().longint(5).finish())).toBe('05 00 00 00');
    expect(hex(new WireWriter().longint(2 ** 32).finish())).toBe('ff ff ff ff 00 00 00 00 01 00 00 00');
    expect(new WireReader(unhex('ff ff ff ff 00 00 00 00 01 00 00 00')).longint()).toBe(2 ** 32);
    expect(new WireReader(unhex('fe ff ff ff')).longint()).toBe(-2);
  });
  it('longint of a bigint identity: any int64, same bytes as a number where both fit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), (v) => {
        const bytes = new WireWriter().longint(v).finish();
        const back = new WireReader(bytes).longintBig();
        expect(back).toBe(BigInt.asIntN(64, v));
        const n = Number(v);
        if (Number.isSafeInteger(n)) expect(bytes).toEqual(new WireWriter().longint(n).finish());
      }),
      { numRuns: 1000 },
    );
    expect(hex(new WireWriter().longint(2n ** 63n + 1n).finish())).toBe(
      'ff ff ff ff 01 00 00 00 00 00 00 80',
    );
  });
  it('vstring', () => {
    expect(hex(new WireWriter().vstring('md5').finish())).toBe('03 6d 64 35');
    const long = new Uint8Array(0x1234).fill(0x61);
    const b = new WireWriter().vstring(long).finish();
    expect(hex(b.subarray(0, 2))).toBe('92 34');
    expect(new WireReader(b).vstring().length).toBe(0x1234);
    expect(() => new WireReader(b).vstring(100)).toThrow(ProtocolError);
  });
});

describe('malformed primitives', () => {
  it('varint lead byte 0xf8+ is an overflow', () => {
    expect(() => new WireReader(unhex('f8 00 00 00 00 00')).varint()).toThrow(ProtocolError);
  });
  it('varlong beyond 9 bytes', () => {
    expect(() => new WireReader(unhex('ff 00 00 00 00 00 00 00 00 00')).varlong(4)).toThrow(ProtocolError);
  });
  it('unsafe int64 is rejected', () => {
    expect(() => new WireReader(unhex('ff ff ff ff ff ff ff 7f')).i64()).toThrow(ProtocolError);
    expect(() => new WireReader(unhex('fc ff ff ff ff ff ff ff 7f')).varlong(3)).toThrow(ProtocolError);
  });
  it('short reads throw ShortRead and do not move the offset for composite reads', () => {
    for (const [bytes, f] of [
      ['c0 00', (r: WireReader) => r.varint()],
      ['80 00 00 00', (r: WireReader) => r.varlong(4)],
      ['ff ff ff ff 00', (r: WireReader) => r.longint()],
      ['ff ff ff ff 00 00 00 00 00 00 00', (r: WireReader) => r.longintBig()],
      ['05 61 62', (r: WireReader) => r.vstring()],
    ] as const) {
      const r = new WireReader(unhex(bytes));
      expect(() => f(r)).toThrow(ShortRead);
      expect(r.offset).toBe(0);
    }
  });
  it('bytes(n) rejects negative and oversize counts without allocating', () => {
    const r = new WireReader(new Uint8Array(4));
    expect(() => r.bytes(-1)).toThrow(ProtocolError);
    expect(() => r.bytes(2 ** 40)).toThrow(ShortRead);
  });
});

describe('round trips', () => {
  it('int types', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.maxSafeInteger(),
        (i, s, l) => {
          const b = new WireWriter(1)
            .i32(i)
            .u16(s)
            .u32(i >>> 0)
            .i64(l)
            .i64(l === 0 ? 0 : -l)
            .u8(s)
            .finish();
          const r = new WireReader(b);
          expect([r.i32(), r.u16(), r.u32(), r.i64(), r.i64(), r.u8()]).toEqual([
            i,
            s,
            i >>> 0,
            l,
            l === 0 ? 0 : -l,
            s & 0xff,
          ]);
        },
      ),
      { numRuns: 1000 },
    );
  });
  it('varint', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
        const r = new WireReader(new WireWriter().varint(v).finish());
        expect(r.varint()).toBe(v);
        expect(r.remaining).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });
  it('varlong / longint', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.maxSafeInteger(),
          fc.integer({ min: -1000, max: 2 ** 34 }),
          fc.integer({ min: 0, max: 300 }),
        ),
        fc.constantFrom(1, 2, 3, 4, 5, 6, 8),
        (v, min) => {
          const w = new WireWriter().varlong(v, min).longint(v);
          const r = new WireReader(w.finish());
          expect(r.varlong(min)).toBe(v);
          expect(r.longint()).toBe(v);
          expect(r.remaining).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });
  it('vstring', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600, size: 'max' }), (s) => {
        const r = new WireReader(new WireWriter().vstring(s).finish());
        expect(r.vstring()).toEqual(s);
      }),
      { numRuns: 1000 },
    );
  });
  it('random bytes never crash the primitive readers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), fc.integer({ min: 1, max: 6 }), (b, min) => {
        for (const f of [
          (r: WireReader) => r.varint(),
          (r: WireReader) => r.varlong(min),
          (r: WireReader) => r.longint(),
          (r: WireReader) => r.vstring(),
        ]) {
          try {
            f(new WireReader(b));
          } catch (e) {
            expect(e instanceof ShortRead || e instanceof ProtocolError).toBe(true);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('ndx', () => {
  const seq = (protocol: number, values: number[]): string => {
    const s = new NdxState(protocol);
    const w = new WireWriter();
    for (const v of values) encodeNdx(w, s, v);
    return hex(w.finish());
  };
  it('doc vectors (part 1 §5, part 2 §0.1)', () => {
    expect(seq(32, [0])).toBe('01');
    expect(seq(32, [0, 1])).toBe('01 01');
    expect(seq(32, [2, 5])).toBe('03 03');
    expect(seq(32, [5, 300])).toBe('06 fe 01 27');
    expect(seq(32, [300, 300])).toBe('fe 01 2d fe 00 00');
    expect(seq(32, [-102, -103, -2])).toBe('ff 65 ff 01 ff fe 80 02 00 00');
    expect(seq(32, [-2])).toBe('ff 01');
    expect(seq(32, [-3])).toBe('ff 02');
    expect(seq(32, [4, 3])).toBe('05 fe 80 03 00 00');
    expect(seq(32, [-1, -1, -1])).toBe('00 00 00');
    expect(seq(29, [-1, 5])).toBe('ff ff ff ff 05 00 00 00');
  });
  it('round trip, both protocols', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: -1, max: 2 ** 31 - 1 }),
            fc.integer({ min: -(2 ** 31 - 1), max: -1 }),
            fc.integer({ min: -110, max: 400 }),
          ),
          { maxLength: 40 },
        ),
        fc.constantFrom(27, 29, 30, 31, 32),
        (values, protocol) => {
          const ws = new NdxState(protocol);
          const w = new WireWriter();
          for (const v of values) encodeNdx(w, ws, v);
          const rs = new NdxState(protocol);
          const r = new WireReader(w.finish());
          expect(values.map(() => decodeNdx(r, rs))).toEqual(values);
          expect(r.remaining).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });
  it('short read leaves the state untouched', () => {
    const s = new NdxState(32);
    const r = new WireReader(unhex('fe 01'));
    expect(() => decodeNdx(r, s)).toThrow(ShortRead);
    expect([r.offset, s.prevPositive]).toEqual([0, -1]);
  });
  it('overflow is a ProtocolError', () => {
    const s = new NdxState(32);
    const r = new WireReader(unhex('fe ff ff ff ff fe 7f ff'));
    expect(decodeNdx(r, s)).toBe(0x7fffffff);
    expect(() => decodeNdx(r, s)).toThrow(ProtocolError);
  });
});
