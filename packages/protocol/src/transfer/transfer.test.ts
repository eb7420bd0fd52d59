import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ITEM, NDX_DONE, NDX_FLIST_EOF } from '../constants.js';
import { ProtocolError, ShortRead } from '../errors.js';
import { NdxState } from '../wire/ndx.js';
import { WireReader } from '../wire/reader.js';
import { WireWriter } from '../wire/writer.js';
import { decodeItem, encodeItem, type ItemHeader } from './item.js';
import { decodeStats, encodeStats } from './stats.js';
import {
  decodeBlockSum,
  decodeBlockSums,
  decodeSumHead,
  encodeBlockSum,
  encodeSumHead,
  sumHeadFileLength,
  type SumHead,
} from './sum-head.js';
import {
  decodeToken,
  encodeBlockToken,
  encodeEndToken,
  encodeLiteral,
  encodeToken,
  type Token,
} from './tokens.js';

const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const hex = (b: Uint8Array): string =>
  Buffer.from(b)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');

describe('trace vectors (part 2 §9)', () => {
  it('trace A request + echo (proto 32)', () => {
    const s = new NdxState(32);
    const r = new WireReader(unhex('01 00 a0' + ' 00'.repeat(16)));
    expect(decodeItem(r, s)).toEqual({ ndx: 0, iflags: ITEM.TRANSFER | ITEM.IS_NEW });
    expect(decodeSumHead(r, 32, 16)).toEqual({ count: 0, blength: 0, s2length: 0, remainder: 0 });
    const w = new WireWriter();
    encodeItem(w, new NdxState(32), { ndx: 0, iflags: 0xa000 });
    expect(hex(w.finish())).toBe('01 00 a0');
  });
  it('trace A tokens and stats', () => {
    const w = new WireWriter();
    encodeLiteral(w, new TextEncoder().encode('Hello, rsync wire protocol!\n'));
    encodeEndToken(w);
    expect(hex(w.finish().subarray(0, 4))).toBe('1c 00 00 00');
    const st = unhex('00 2b 00 00 72 00 00 1c 00 00 01 00 00 00 00');
    expect(decodeStats(new WireReader(st), 32)).toEqual({
      totalRead: 43,
      totalWritten: 114,
      totalSize: 28,
      flistBuildTime: 1,
      flistXferTime: 0,
    });
    const sw = new WireWriter();
    encodeStats(
      sw,
      { totalRead: 43, totalWritten: 114, totalSize: 28, flistBuildTime: 1, flistXferTime: 0 },
      32,
    );
    expect(sw.finish()).toEqual(st);
  });
  it('trace C (proto 29) request, sums, tokens, stats', () => {
    const req = unhex(
      '00 00 00 00 0c 80 03 00 00 00 bc 02 00 00 02 00 00 00 58 02 00 00 ba 08 02 ab 8b b6 6a f9 92 ff 7c ac 58 f8 1e 1d e1 e2',
    );
    const r = new WireReader(req);
    const s = new NdxState(29);
    expect(decodeItem(r, s)).toEqual({ ndx: 0, iflags: 0x800c });
    const h = decodeSumHead(r, 29, 16);
    expect(h).toEqual({ count: 3, blength: 700, s2length: 2, remainder: 600 });
    expect(sumHeadFileLength(h)).toBe(2000);
    const sums = decodeBlockSums(r, h);
    expect(sums.map((b) => hex(b.sum2))).toEqual(['8b b6', '7c ac', 'e1 e2']);
    expect(sums[0]?.sum1).toBe(0xab0208ba);
    expect(r.remaining).toBe(0);
    const w = new WireWriter();
    encodeItem(w, new NdxState(29), { ndx: 0, iflags: 0x800c });
    encodeSumHead(w, h, 29);
    for (const b of sums) encodeBlockSum(w, b, 2);
    expect(w.finish()).toEqual(req);
    const toks = new WireReader(unhex('ff ff ff ff c6 02 00 00 fd ff ff ff 00 00 00 00'));
    expect(decodeToken(toks, { blockCount: 3 })).toEqual({ kind: 'block', index: 0 });
    expect(decodeToken(toks)).toEqual({ kind: 'literal', length: 710 });
    expect(decodeToken(toks, { blockCount: 3 })).toEqual({ kind: 'block', index: 2 });
    expect(decodeToken(toks)).toEqual({ kind: 'end' });
    const st = unhex('4e 00 00 00 90 03 00 00 f6 07 00 00 01 00 00 00 00 00 00 00');
    expect(decodeStats(new WireReader(st), 29)).toEqual({
      totalRead: 78,
      totalWritten: 912,
      totalSize: 2038,
      flistBuildTime: 1,
      flistXferTime: 0,
    });
    expect(decodeStats(new WireReader(unhex('32 00 00 00 2d 03 00 00 da 07 00 00')), 27)).toEqual({
      totalRead: 50,
      totalWritten: 813,
      totalSize: 2010,
    });
    const r26 = new WireReader(unhex('03 00 00 00 bc 02 00 00 58 02 00 00'));
    expect(decodeSumHead(r26, 26, 16, { impliedS2Length: 2 })).toEqual({
      count: 3,
      blength: 700,
      s2length: 2,
      remainder: 600,
    });
  });
  it('600 000-byte whole-file literal is 18 x 32768 + 10176', () => {
    const w = new WireWriter();
    encodeLiteral(w, new Uint8Array(600_000));
    const r = new WireReader(w.finish());
    const lens: number[] = [];
    while (r.remaining) {
      const t = decodeToken(r);
      if (t.kind !== 'literal') throw new Error('x');
      lens.push(t.length);
      r.bytes(t.length);
    }
    expect(lens).toEqual([...new Array<number>(18).fill(32768), 10176]);
  });
});

describe('validation', () => {
  const head = (c: number, b: number, s: number, rem: number) => {
    const w = new WireWriter();
    encodeSumHead(w, { count: c, blength: b, s2length: s, remainder: rem }, 32);
    return new WireReader(w.finish());
  };
  it('read_sum_head bounds', () => {
    expect(() => decodeSumHead(head(-1, 700, 2, 0), 32, 16)).toThrow(ProtocolError);
    expect(() => decodeSumHead(head(1, 131073, 2, 0), 32, 16)).toThrow(/block length/);
    expect(decodeSumHead(head(1, 131073, 2, 0), 29, 16).blength).toBe(131073);
    expect(() => decodeSumHead(head(1, 0, 2, 0), 32, 16)).toThrow(ProtocolError);
    expect(() => decodeSumHead(head(1, 700, 17, 0), 32, 16)).toThrow(/checksum length/);
    expect(() => decodeSumHead(head(1, 700, 2, 701), 32, 16)).toThrow(/remainder/);
    expect(() => decodeSumHead(head(2 ** 30, 700, 2, 0), 32, 16)).toThrow(/count/);
    expect(() => decodeSumHead(new WireReader(new Uint8Array(15)), 32, 16)).toThrow(ShortRead);
  });
  it('block sums never allocate before the bytes exist', () => {
    const r = new WireReader(new Uint8Array(10));
    expect(() => decodeBlockSums(r, { count: 1 << 24, blength: 700, s2length: 16, remainder: 0 })).toThrow(
      ShortRead,
    );
    expect(r.offset).toBe(0);
  });
  it('token bounds', () => {
    const w = new WireWriter()
      .i32(0x7fffffff)
      .i32(-10)
      .i32(-(2 ** 31));
    const r = new WireReader(w.finish());
    expect(() => decodeToken(r)).toThrow(/literal/);
    r.offset = 4;
    expect(() => decodeToken(r, { blockCount: 9 })).toThrow(/block index/);
    r.offset = 8;
    expect(decodeToken(r)).toEqual({ kind: 'block', index: 2 ** 31 - 1 });
  });
  it('item short read restores ndx state', () => {
    const s = new NdxState(32);
    const r = new WireReader(unhex('05 00'));
    expect(() => decodeItem(r, s)).toThrow(ShortRead);
    expect([r.offset, s.prevPositive]).toEqual([0, -1]);
    expect(() => decodeItem(new WireReader(unhex('05 00 18 05 90 00')), new NdxState(32))).toThrow(
      ProtocolError,
    );
  });
  it('negative stats are rejected', () => {
    expect(() => decodeStats(new WireReader(unhex('fe ff ff ff')), 29)).toThrow(ProtocolError);
  });
});

describe('round trips', () => {
  it('sum head + block sums', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(27, 29, 30, 31, 32),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 1 << 17 }),
        fc.integer({ min: 0, max: 16 }),
        fc.nat(),
        (protocol, count, blength, s2length, remSeed) => {
          const h: SumHead = { count, blength, s2length, remainder: remSeed % (blength + 1) };
          const sums = Array.from({ length: count }, (_, i) => ({
            sum1: (i * 2654435761) >>> 0,
            sum2: new Uint8Array(s2length).fill(i),
          }));
          const w = new WireWriter();
          encodeSumHead(w, h, protocol);
          for (const b of sums) encodeBlockSum(w, b, s2length);
          const r = new WireReader(w.finish());
          expect(decodeSumHead(r, protocol, 16)).toEqual(h);
          expect(decodeBlockSums(r, h)).toEqual(sums);
          expect(r.remaining).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });
  it('items', () => {
    const itemArb = fc.oneof(
      fc.record({ ndx: fc.constantFrom(NDX_DONE, NDX_FLIST_EOF, -101, -150), iflags: fc.constant(0) }),
      fc.record(
        {
          ndx: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          iflags: fc
            .integer({ min: 0, max: 0xffff })
            .map((f) => f & ~(ITEM.BASIS_TYPE_FOLLOWS | ITEM.XNAME_FOLLOWS)),
          fnamecmpType: fc.integer({ min: 0, max: 255 }),
          xname: fc.uint8Array({ maxLength: 300 }),
        },
        { requiredKeys: ['ndx', 'iflags'] },
      ),
    );
    fc.assert(
      fc.property(fc.array(itemArb, { maxLength: 10 }), fc.constantFrom(29, 30, 32), (items, protocol) => {
        const w = new WireWriter();
        const ws = new NdxState(protocol);
        for (const it of items) encodeItem(w, ws, it as ItemHeader);
        const r = new WireReader(w.finish());
        const rs = new NdxState(protocol);
        for (const it of items) {
          const got = decodeItem(r, rs);
          const want: ItemHeader = { ndx: it.ndx, iflags: it.iflags };
          if (it.ndx >= 0) {
            if ('fnamecmpType' in it && it.fnamecmpType !== undefined) {
              want.iflags |= ITEM.BASIS_TYPE_FOLLOWS;
              want.fnamecmpType = it.fnamecmpType;
            }
            if ('xname' in it && it.xname !== undefined) {
              want.iflags |= ITEM.XNAME_FOLLOWS;
              want.xname = it.xname;
            }
          }
          expect(got).toEqual(want);
        }
        expect(r.remaining).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });
  it('tokens', () => {
    const tokArb: fc.Arbitrary<Token> = fc.oneof(
      fc.record({ kind: fc.constant('literal' as const), length: fc.integer({ min: 1, max: 1 << 24 }) }),
      fc.record({ kind: fc.constant('block' as const), index: fc.integer({ min: 0, max: 2 ** 31 - 2 }) }),
      fc.constant({ kind: 'end' as const }),
    );
    fc.assert(
      fc.property(fc.array(tokArb, { maxLength: 20 }), (toks) => {
        const w = new WireWriter();
        for (const t of toks) encodeToken(w, t);
        const r = new WireReader(w.finish());
        expect(toks.map(() => decodeToken(r))).toEqual(toks);
      }),
      { numRuns: 1000 },
    );
    encodeBlockToken(new WireWriter(), 0);
  });
  it('stats', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(27, 28, 29, 30, 31, 32),
        fc.array(fc.maxSafeInteger().map(Math.abs), { minLength: 5, maxLength: 5 }),
        (p, v) => {
          const s = {
            totalRead: v[0] ?? 0,
            totalWritten: v[1] ?? 0,
            totalSize: v[2] ?? 0,
            ...(p >= 29 ? { flistBuildTime: v[3] ?? 0, flistXferTime: v[4] ?? 0 } : {}),
          };
          const w = new WireWriter();
          encodeStats(w, s, p);
          expect(decodeStats(new WireReader(w.finish()), p)).toEqual(s);
        },
      ),
      { numRuns: 1000 },
    );
  });
  it('random bytes never crash the transfer decoders', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(29, 32), (b, p) => {
        for (const f of [
          (r: WireReader) => decodeItem(r, new NdxState(p)),
          (r: WireReader) => decodeSumHead(r, p, 16),
          (r: WireReader) => decodeToken(r, { blockCount: 10 }),
          (r: WireReader) => decodeStats(r, p),
          (r: WireReader) => decodeBlockSum(r, 16),
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
