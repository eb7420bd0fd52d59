import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MSG } from '../constants.js';
import { ProtocolError } from '../errors.js';
import {
  MuxDecoder,
  MuxStreamDecoder,
  encodeDataFrames,
  encodeFrame,
  encodeIntFrame,
  frameInt,
  type MuxFrame,
} from './frame.js';

const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const norm = (fs: MuxFrame[]): { tag: number; payload: number[] }[] =>
  fs.map((f) => ({ tag: f.tag, payload: [...f.payload] }));

describe('mux frames', () => {
  it('doc examples', () => {
    expect(encodeFrame(MSG.DATA, unhex('01020304'))).toEqual(unhex('04 00 00 07 01 02 03 04'));
    expect(encodeFrame(MSG.DATA, new Uint8Array(0))).toEqual(unhex('00 00 00 07'));
    expect(encodeIntFrame(MSG.IO_TIMEOUT, 300)).toEqual(unhex('04 00 00 28 2c 01 00 00'));
    expect(encodeIntFrame(MSG.ERROR_EXIT, 23)).toEqual(unhex('04 00 00 5d 17 00 00 00'));
    const d = new MuxDecoder();
    const fs = d.push(unhex('04 00 00 28 2c 01 00 00 00 00 00 07 03 00 00 07 00 00 00'));
    expect(norm(fs)).toEqual([
      { tag: MSG.IO_TIMEOUT, payload: [0x2c, 1, 0, 0] },
      { tag: MSG.DATA, payload: [] },
      { tag: MSG.DATA, payload: [0, 0, 0] },
    ]);
    expect(frameInt(fs[0] as MuxFrame)).toBe(300);
    expect(d.idle).toBe(true);
  });
  it('rejects unknown tags', () => {
    expect(() => new MuxDecoder().push(unhex('00 00 00 06'))).toThrow(ProtocolError);
    expect(() => new MuxDecoder().push(unhex('00 00 00 20'))).toThrow(/unexpected tag/);
  });
  it('rejects oversized messages before buffering them', () => {
    const d = new MuxDecoder();
    expect(() => d.push(unhex('ff ff ff 0a'))).toThrow(/multiplexing overflow/);
    expect(() => d.push(unhex('00'))).toThrow(ProtocolError);
    expect(() => new MuxDecoder().push(unhex('05 00 00 1d'))).toThrow(/invalid length/);
  });
  it('accepts large data frames without preallocating', () => {
    const d = new MuxDecoder();
    expect(d.push(unhex('ff ff ff 07 00 01'))).toEqual([]);
    expect(d.idle).toBe(false);
  });
  it('encodeDataFrames splits', () => {
    const fs = encodeDataFrames(new Uint8Array(10), 4);
    expect(fs.map((f) => f.length)).toEqual([8, 8, 6]);
  });
  it('any chunking yields the same frames', () => {
    const frameArb = fc.oneof(
      fc.record({
        tag: fc.constant(MSG.DATA as number),
        payload: fc.uint8Array({ maxLength: 300, size: 'max' }),
      }),
      fc.record({
        tag: fc.constantFrom<number>(MSG.INFO, MSG.ERROR, MSG.WARNING, MSG.DELETED),
        payload: fc.uint8Array({ maxLength: 100 }),
      }),
      fc.record({
        tag: fc.constantFrom<number>(MSG.IO_ERROR, MSG.NO_SEND, MSG.SUCCESS),
        payload: fc.uint8Array({ minLength: 4, maxLength: 4 }),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 30 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map((f) => encodeFrame(f.tag, f.payload)));
          const whole = new MuxDecoder().push(wire);
          expect(norm(whole)).toEqual(norm(frames));
          const d = new MuxDecoder();
          const got: MuxFrame[] = [];
          let i = 0;
          let c = 0;
          while (i < wire.length) {
            const n = cuts[c++ % cuts.length] as number;
            got.push(...d.push(wire.subarray(i, i + n)));
            i += n;
          }
          expect(norm(got)).toEqual(norm(frames));
          expect(d.idle).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
  it('garbage never crashes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          new MuxDecoder().push(b);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('MuxStreamDecoder', () => {
  it('any chunking yields the data stream and the messages of MuxDecoder', () => {
    const frameArb = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((p) => ({ tag: MSG.DATA as number, p })),
      fc.uint8Array({ maxLength: 40 }).map((p) => ({ tag: MSG.INFO as number, p })),
      fc
        .integer()
        .map((v) => ({ tag: MSG.IO_ERROR as number, p: encodeIntFrame(MSG.IO_ERROR, v).subarray(4) })),
    );
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map((f) => encodeFrame(f.tag, f.p)));
          const wantData = Buffer.concat(frames.filter((f) => f.tag === MSG.DATA).map((f) => f.p));
          const wantMsgs = frames
            .filter((f) => f.tag !== MSG.DATA)
            .map((f) => `${f.tag}:${Buffer.from(f.p).toString('hex')}`);
          const d = new MuxStreamDecoder();
          const data: Uint8Array[] = [];
          const msgs: string[] = [];
          for (let i = 0, k = 0; i < wire.length; k++) {
            const n = cuts[k % cuts.length] as number;
            d.push(
              wire.subarray(i, i + n),
              (p) => data.push(p.slice()),
              (f) => msgs.push(`${f.tag}:${Buffer.from(f.payload).toString('hex')}`),
            );
            i += n;
          }
          expect(Buffer.concat(data).equals(wantData)).toBe(true);
          expect(msgs).toEqual(wantMsgs);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
