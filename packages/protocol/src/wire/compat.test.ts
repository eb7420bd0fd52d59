import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CF } from '../constants.js';
import { ProtocolError } from '../errors.js';
import {
  chooseName,
  compatSettings,
  decodeCompatFlags,
  decodeNameList,
  decodeProtocolVersion,
  encodeCompatFlags,
  encodeNameList,
} from './compat.js';
import { WireReader } from './reader.js';
import { WireWriter } from './writer.js';

const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('compat', () => {
  it('doc vectors', () => {
    expect(decodeCompatFlags(new WireReader(unhex('81 ff')))).toBe(0x1ff);
    expect(decodeCompatFlags(new WireReader(unhex('81 fe')))).toBe(0x1fe);
    expect(decodeCompatFlags(new WireReader(unhex('3f')))).toBe(0x3f);
    expect(new WireWriter().varint(0x1ff).finish()).toEqual(unhex('81 ff'));
    expect(() => decodeCompatFlags(new WireReader(unhex('81 ff')), 0xff)).toThrow(ProtocolError);
    expect(compatSettings(0x1fe, 32)).toMatchObject({
      incRecurse: false,
      varintFlistFlags: true,
      safeFlist: true,
      id0Names: true,
    });
    expect(compatSettings(0, 30).safeFlist).toBe(false);
    expect(compatSettings(0, 31).safeFlist).toBe(true);
    expect(CF.VARINT_FLIST_FLAGS).toBe(0x80);
  });
  it('negotiation strings (trace A)', () => {
    const b = unhex(
      '1e 78 78 68 31 32 38 20 78 78 68 33 20 78 78 68 36 34 20 6d 64 35 20 6d 64 34 20 73 68 61 31',
    );
    const list = decodeNameList(new WireReader(b));
    expect(list).toEqual(['xxh128', 'xxh3', 'xxh64', 'md5', 'md4', 'sha1']);
    const w = new WireWriter();
    encodeNameList(w, list);
    expect(w.finish()).toEqual(b);
    expect(chooseName(['md5', 'xxh128'], list)).toBe('md5');
    expect(chooseName(['md5', 'xxh128'], list, true)).toBe('xxh128');
    expect(chooseName(['zstd'], list)).toBeUndefined();
    const long = new WireWriter().vstring('a'.repeat(300)).finish();
    expect(() => decodeNameList(new WireReader(long))).toThrow(ProtocolError);
    expect(() => decodeNameList(new WireReader(unhex('02 61 00')))).toThrow(ProtocolError);
  });
  it('protocol version', () => {
    expect(decodeProtocolVersion(new WireReader(unhex('20 00 00 00')))).toBe(32);
    expect(() => decodeProtocolVersion(new WireReader(unhex('05 00 00 00')))).toThrow(ProtocolError);
  });
  it('round trip', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x1ff }),
        fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { maxLength: 10 }),
        (f, names) => {
          const w = new WireWriter();
          encodeCompatFlags(w, f);
          encodeNameList(w, names);
          const r = new WireReader(w.finish());
          expect(decodeCompatFlags(r)).toBe(f);
          expect(decodeNameList(r)).toEqual(names);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
