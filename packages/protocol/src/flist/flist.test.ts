import { describe, expect, it } from 'vitest';
import { ProtocolError, ShortRead } from '../errors.js';
import { WireReader } from '../wire/reader.js';
import { WireWriter } from '../wire/writer.js';
import { FileListDecoder, FileListEncoder, type FileEntry, type FlistOptions } from './file-entry.js';
import { decodeFlistTrailer, decodeIdList, encodeFlistTrailer, encodeIdList } from './id-list.js';
import { cleanName } from './names.js';
import { compareFileNames, findDuplicates, sortFileList } from './sort.js';

const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const hex = (b: Uint8Array): string =>
  Buffer.from(b)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
const str = (s: string): string => hex(new TextEncoder().encode(s));
const te = new TextEncoder();

function decodeAll(
  opts: FlistOptions,
  bytes: Uint8Array,
): { entries: FileEntry[]; dec: FileListDecoder; r: WireReader } {
  const dec = new FileListDecoder(opts);
  const r = new WireReader(bytes);
  const entries: FileEntry[] = [];
  for (;;) {
    const e = dec.decode(r);
    if (e === 'end') break;
    entries.push(e);
  }
  return { entries, dec, r };
}

describe('captured file lists', () => {
  it('trace A (proto 32, varint flags, -t)', () => {
    const opts: FlistOptions = { protocol: 32, varintFlistFlags: true };
    const bytes = unhex(`18 09 ${str('hello.txt')} 00 1c 00 65 25 7d 93 a4 81 00 00 00 00`);
    const { entries, r } = decodeAll(opts, bytes);
    expect(r.remaining).toBe(0);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      name: 'hello.txt',
      size: 28,
      mtime: 0x65937d25,
      mode: 0o100644,
      flags: 0x18,
      ndx: 0,
    });
    const w = new WireWriter();
    const enc = new FileListEncoder(opts);
    enc.encode(w, { name: 'hello.txt', size: 28, mtime: 0x65937d25, mode: 0o100644 });
    enc.end(w);
    expect(hex(w.finish())).toBe(hex(bytes));
  });
  it('trace C (proto 29, two entries, end, io_error)', () => {
    const opts: FlistOptions = { protocol: 29 };
    const bytes = unhex(
      `18 09 ${str('hello.txt')} 1c 00 00 00 25 7d 93 65 a4 81 00 00 1a 08 ${str('data.bin')} da 07 00 00 d9 81 38 66 00 00 00 00 00`,
    );
    const { entries, r } = decodeAll(opts, bytes);
    expect(entries.map((e) => [e.name, e.size, e.mode, e.mtime])).toEqual([
      ['hello.txt', 28, 0o100644, 0x65937d25],
      ['data.bin', 2010, 0o100644, 0x663881d9],
    ]);
    expect(decodeFlistTrailer(r, { protocol: 29 }).ioError).toBe(0);
    expect(r.remaining).toBe(0);
    const w = new WireWriter();
    const enc = new FileListEncoder(opts);
    for (const e of entries) enc.encode(w, e);
    enc.end(w);
    encodeFlistTrailer(w, { protocol: 29 }, new Map(), new Map());
    expect(hex(w.finish())).toBe(hex(bytes));
    expect(sortFileList(entries, 29).map((e) => e.name)).toEqual(['data.bin', 'hello.txt']);
  });
  it('part 1 §6.3 proto 32 example with names (inc-recurse)', () => {
    const opts: FlistOptions = {
      protocol: 32,
      varintFlistFlags: true,
      preserveUid: true,
      preserveGid: true,
      preserveLinks: true,
      incRecurse: true,
    };
    const bytes = unhex(
      `ac 01 01 2e 00 00 10 6b d2 de 02 e5 46 da 1f ed 41 00 00 00 04 ${str('root')} 00 04 ${str('root')}` +
        ` a0 98 04 ${str('link')} 00 05 00 e4 46 c8 a5 ff a1 00 00 05 ${str('a.txt')} 00 00`,
    );
    const { entries, r } = decodeAll(opts, bytes);
    expect(r.remaining).toBe(0);
    expect(entries[0]).toMatchObject({
      name: '.',
      size: 4096,
      mtime: 0x6b02ded2,
      mtimeNsec: 0x051fda46,
      mode: 0o40755,
      uid: 0,
      gid: 0,
      user: 'root',
      group: 'root',
      ndx: 1,
    });
    expect(entries[1]).toMatchObject({
      name: 'link',
      size: 5,
      mtime: 0x6b02ded2,
      mtimeNsec: 0x04a5c846,
      mode: 0o120777,
      uid: 0,
      user: 'root',
      linkTarget: 'a.txt',
      ndx: 2,
    });
    const w = new WireWriter();
    const enc = new FileListEncoder(opts);
    enc.encode(w, { ...(entries[0] as FileEntry), flags: 0x01 });
    enc.encode(w, entries[1] as FileEntry);
    enc.end(w);
    expect(hex(w.finish())).toBe(hex(bytes));
  });
  it('part 1 §6.4 id lists', () => {
    const b = unhex(
      `c0 fe ff 06 ${str('nobody')} 00 04 ${str('root')} c0 fe ff 07 ${str('nogroup')} 00 04 ${str('root')}`,
    );
    const r = new WireReader(b);
    const t = decodeFlistTrailer(r, { protocol: 32, id0Names: true, sendUidList: true, sendGidList: true });
    expect([...t.uidNames]).toEqual([
      [65534, 'nobody'],
      [0, 'root'],
    ]);
    expect([...t.gidNames]).toEqual([
      [65534, 'nogroup'],
      [0, 'root'],
    ]);
    const w = new WireWriter();
    encodeIdList(
      w,
      new Map([
        [65534, 'nobody'],
        [0, 'root'],
      ]),
      { protocol: 32, id0Names: true },
    );
    encodeIdList(
      w,
      new Map([
        [65534, 'nogroup'],
        [0, 'root'],
      ]),
      { protocol: 32, id0Names: true },
    );
    expect(hex(w.finish())).toBe(hex(b));
    const w29 = new WireWriter();
    encodeFlistTrailer(w29, { protocol: 29, sendUidList: true, sendGidList: true }, new Map(), new Map(), 0);
    expect(hex(w29.finish())).toBe('00 00 00 00 00 00 00 00 00 00 00 00');
  });
  it('proto 29 hard links (dev+1 / ino, SAME_DEV)', () => {
    const opts: FlistOptions = { protocol: 29, preserveHardLinks: true };
    const enc = new FileListEncoder(opts);
    const w = new WireWriter();
    const base = { mode: 0o100644, size: 3, mtime: 1000 };
    enc.encode(w, { ...base, name: 'hard.txt', hardLink: { dev: 0xfe00, ino: 0x20c881 } });
    enc.encode(w, { ...base, name: 'hard2.txt', hardLink: { dev: 0xfe00, ino: 0x20c881 } });
    enc.end(w);
    const b = w.finish();
    expect(hex(b.subarray(0, 3))).toBe('1c 02 08');
    expect(hex(b).includes('01 fe 00 00 81 c8 20 00')).toBe(true);
    const { entries } = decodeAll(opts, b);
    expect(entries[1]?.flags).toBe(0x06be);
    expect(entries.map((e) => e.hardLink)).toEqual([
      { dev: 0xfe00n, ino: 0x20c881n, firstNdx: 0, first: true },
      { dev: 0xfe00n, ino: 0x20c881n, firstNdx: 0, first: false },
    ]);
  });
  it('hard-link identities beyond 2^53 stay apart (overlayfs inode numbers)', () => {
    // 2^63 + 1 and 2^63 + 2 are the same Number: they must not become one group
    const a = 2n ** 63n + 1n;
    const b = 2n ** 63n + 2n;
    expect(Number(a)).toBe(Number(b));
    const base = { mode: 0o100644, size: 3, mtime: 1000 };
    for (const protocol of [29, 32]) {
      const opts: FlistOptions = { protocol, preserveHardLinks: true, varintFlistFlags: protocol >= 30 };
      const enc = new FileListEncoder(opts);
      const w = new WireWriter();
      enc.encode(w, { ...base, name: 'a1', hardLink: { dev: 7n, ino: a } });
      enc.encode(w, { ...base, name: 'b1', hardLink: { dev: 7n, ino: b } });
      enc.encode(w, { ...base, name: 'b2', hardLink: { dev: 7n, ino: b } });
      enc.end(w);
      const links = decodeAll(opts, w.finish()).entries.map((e) => [e.hardLink?.first, e.hardLink?.firstNdx]);
      expect(links, `protocol ${protocol}`).toEqual([
        [true, 0],
        [true, 1],
        [false, 1],
      ]);
      if (protocol < 30) {
        // the identities cross the wire as signed int64s and come back exact
        const dec = decodeAll(
          opts,
          (() => {
            const w2 = new WireWriter();
            const e2 = new FileListEncoder(opts);
            e2.encode(w2, { ...base, name: 'x', hardLink: { dev: 7n, ino: b } });
            e2.end(w2);
            return w2.finish();
          })(),
        );
        expect(dec.entries[0]?.hardLink).toMatchObject({ dev: 7n, ino: BigInt.asIntN(64, b) });
      }
    }
  });
  it('proto 32 abbreviated hard-link follower (§6.6)', () => {
    const opts: FlistOptions = {
      protocol: 32,
      varintFlistFlags: true,
      preserveHardLinks: true,
      preserveUid: true,
      preserveGid: true,
    };
    const enc = new FileListEncoder(opts);
    const w = new WireWriter();
    const f = { mode: 0o100644, size: 3, mtime: 1000, mtimeNsec: 5, uid: 7, gid: 8 };
    enc.encode(w, { ...f, name: 'b.txt', hardLink: { dev: 1, ino: 2 } });
    enc.encode(w, { ...f, name: 'a.txt', hardLink: { dev: 1, ino: 2 } });
    enc.end(w);
    const b = w.finish();
    expect(hex(b)).toContain(`05 ${str('a.txt')} 00`);
    const { entries } = decodeAll(opts, b);
    expect(entries[1]).toMatchObject({
      name: 'a.txt',
      size: 3,
      mtime: 1000,
      mtimeNsec: 5,
      uid: 7,
      gid: 8,
      hardLink: { firstNdx: 0, first: false, abbreviated: true },
    });
  });
});

describe('sort order (§6.8)', () => {
  const mk = (name: string, dir = false) => ({
    name,
    nameBytes: te.encode(name),
    mode: dir ? 0o40755 : 0o100644,
  });
  it('proto >= 29 verified order', () => {
    const list = [
      mk('sub/deep/c.bin'),
      mk('link'),
      mk('sub', true),
      mk('sub/deep', true),
      mk('a.txt'),
      mk('.', true),
      mk('sub/b.txt'),
      mk('hard.txt'),
    ];
    expect(sortFileList(list, 32).map((e) => e.name)).toEqual([
      '.',
      'a.txt',
      'hard.txt',
      'link',
      'sub',
      'sub/b.txt',
      'sub/deep',
      'sub/deep/c.bin',
    ]);
  });
  it('dir "a-b" before dir "a", file "a" before file "a-b"', () => {
    expect(compareFileNames(mk('a-b', true), mk('a', true), 32)).toBeLessThan(0);
    expect(compareFileNames(mk('a'), mk('a-b'), 32)).toBeLessThan(0);
    expect(
      sortFileList(
        [
          mk('x', true),
          mk('x-y', true),
          mk('x.txt'),
          mk('x-a'),
          mk('xa'),
          mk('xb', true),
          mk('x/a b'),
          mk('x/sub', true),
        ],
        32,
      ).map((e) => e.name),
    ).toEqual(['x-a', 'x.txt', 'xa', 'x-y', 'x', 'x/a b', 'x/sub', 'xb']);
  });
  it('proto < 29 is strcmp', () => {
    expect(sortFileList([mk('a/x'), mk('a.txt'), mk('a', true)], 28).map((e) => e.name)).toEqual([
      'a',
      'a.txt',
      'a/x',
    ]);
  });
  it('duplicates: keep first, dir beats file', () => {
    const sorted = sortFileList([mk('a'), mk('a'), mk('b'), mk('b', true)], 32);
    expect(sorted.map((e) => e.name)).toEqual(['a', 'a', 'b', 'b']);
    expect(findDuplicates(sorted)).toEqual([false, true, true, false]);
  });
});

describe('malformed file lists', () => {
  const o32: FlistOptions = { protocol: 32, varintFlistFlags: true };
  const bad = (opts: FlistOptions, h: string, re?: RegExp) => {
    const d = new FileListDecoder(opts);
    const r = new WireReader(unhex(h));
    let err: unknown;
    try {
      while (d.decode(r) !== 'end');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    if (re) expect(String(err)).toMatch(re);
  };
  it('rejects bad names', () => {
    bad(o32, `18 02 ${str('..')} 00 00 00 00 00 00 00 a4 81 00 00`, /unsafe/);
    bad(o32, `18 04 ${str('/etc')} 00 00 00 00 00 00 00 a4 81 00 00`, /absolute/);
    bad(o32, `18 03 61 00 62 00 00 00 00 00 00 00 a4 81 00 00`, /NUL/);
    bad(o32, `38 05 01 ${str('x')}`, /prefix/);
    bad(o32, `18 00 00 00 00 00 00 00 00 a4 81 00 00`, /empty/);
    bad(o32, `58 90 00 ${'00'.repeat(4)}`, /too long/);
    bad(o32, `18 01 ${str('.')} 00 00 00 00 00 00 00 a4 81 00 00`, /non-directory/);
  });
  it('rejects bad attributes', () => {
    bad(o32, `18 01 61 00 00 00 00 00 00 00 ff ff 00 00`, /mode/);
    bad(o32, `18 01 61 ff ff ff ff ff ff ff ff ff 00 00 00 00 a4 81 00 00`);
    bad({ protocol: 29 }, `18 01 61 fe ff ff ff 00 00 00 00 a4 81 00 00`, /negative/);
    bad(o32, `a0 18 01 61 00 00 00 00 00 00 00 f0 ff ff ff ff a4 81 00 00`, /nsec/);
    bad(
      { ...o32, preserveLinks: true },
      `18 01 61 00 00 00 00 00 00 00 ff a1 00 00 f0 ff ff ff ff`,
      /symlink/,
    );
    bad({ ...o32, preserveHardLinks: true }, `82 18 01 61 05`, /hard-link/);
    bad(o32, `82 18 01 61 00`, /hard-links/);
    bad({ protocol: 29 }, `04 10 00`, /invalid flist flags/);
  });
  it('inc-recurse sub-list entries must lie in the announced dir', () => {
    const d = new FileListDecoder({ protocol: 32, varintFlistFlags: true, incRecurse: true });
    d.startList(7, 'sub');
    expect(() =>
      d.decode(new WireReader(unhex(`18 05 ${str('x/c.b')} 00 00 00 00 00 00 00 a4 81 00 00`))),
    ).toThrow(/announced/);
  });
  it('short input rewinds and keeps state', () => {
    const bytes = unhex(`18 09 ${str('hello.txt')} 00 1c 00 65 25 7d 93 a4 81 00 00 00 00`);
    const d = new FileListDecoder({ protocol: 32, varintFlistFlags: true });
    for (let cut = 0; cut < bytes.length - 2; cut++) {
      const r = new WireReader(bytes.subarray(0, cut));
      expect(() => d.decode(r)).toThrow(ShortRead);
      expect(r.offset).toBe(0);
    }
    const r = new WireReader(bytes);
    expect(d.decode(r)).toMatchObject({ name: 'hello.txt' });
    expect(d.decode(r)).toBe('end');
  });
  it('clean_fname normalisation', () => {
    const c = (s: string) => new TextDecoder().decode(cleanName(te.encode(s)) ?? te.encode('<null>'));
    expect(['a//b', './a', 'a/./b/', '.', './', 'a/..', 'x/../y'].map(c)).toEqual([
      'a/b',
      'a',
      'a/b',
      '.',
      '.',
      '<null>',
      '<null>',
    ]);
  });
  it('io_error in the end marker', () => {
    const w = new WireWriter();
    expect(new FileListEncoder({ protocol: 31 }).end(w, 2)).toBe(true);
    expect(new FileListEncoder({ protocol: 30 }).end(w, 2)).toBe(false);
    const d = new FileListDecoder({ protocol: 31 });
    expect(d.decode(new WireReader(unhex('04 10 02')))).toBe('end');
    expect(d.lastIoError).toBe(2);
    const dv = new FileListDecoder(o32);
    expect(dv.decode(new WireReader(unhex('00 0f')))).toBe('end');
    expect(dv.lastIoError).toBe(7);
    expect(decodeIdList(new WireReader(unhex('00')), { protocol: 32 }).size).toBe(0);
  });
});
