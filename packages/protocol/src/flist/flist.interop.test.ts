/**
 * File lists captured from rsync 3.5.0 batch files (--write-batch), which hold
 * the sender's stream verbatim after a small header:
 *   int32 stream flags | int32 protocol | varint compat flags | int32 seed | file list ...
 * Tree: a.txt (hard link of hard.txt), link -> a.txt, fifo, sub/b.txt, sub/deep/c.bin.
 *   b1: rsync -aHc --no-inc-recursive --write-batch=b1 src/ dst/
 *   b2: rsync -aH --write-batch=b2 src/ dst2/   (inc-recurse)
 *   b29 / b27: rsync -aHc --protocol=29 / rsync -aH --protocol=27 (no compat flags in the header)
 */
import { describe, expect, it } from 'vitest';
import { NDX_FLIST_EOF, NDX_FLIST_OFFSET, XMIT } from '../constants.js';
import { WireWriter } from '../wire/writer.js';
import { compatSettings, decodeCompatFlags } from '../wire/compat.js';
import { NdxState, decodeNdx, encodeNdx } from '../wire/ndx.js';
import { WireReader } from '../wire/reader.js';
import { FileListDecoder, FileListEncoder, type FileEntry, type FlistOptions } from './file-entry.js';
import { decodeFlistTrailer, encodeFlistTrailer } from './id-list.js';
import { sortFileList } from './sort.js';

const B1 =
  'ff0000002000000081fe9431066ba001012e0000106b94a80ff075fd9d15ed4100000000a098046669666f000000f075fd9d15a4110000a098046c696e6b000500f0a2804515ffa1000005612e747874a09803737562000010f0a2804515ed410000b29808686172642e747874000600f0a2770815a4810000b1946ac92492d2347c6235b4d2611184a29a05612e74787404a09a097375622f622e747874000200f0a280451521ad0bd836b90d08f4cf640b4c298e7ca0b8040464656570000010f0a2804515ed410000a0b808062f632e62696e00b80bf075fd9d15a48100003347d3ba49f862294d097d273984636800000004726f6f740004726f6f740302';
const B2 =
  'bf0000002000000081ff5431066bac01012e0000106b94a80ff075fd9d15ed4100000004726f6f740004726f6f74a098046669666f000000f075fd9d15a4110000a098046c696e6b000500f0a2804515ffa1000005612e747874a09803737562000010f0a2804515ed410000b29808686172642e747874000600f0a2770815a4810000a29a05612e747874050000ff65a09a097375622f622e747874000200f0a2804515a0b8040464656570000010f0a2804515ed4100000000ff01a0b808062f632e62696e00b80bf075fd9d15a48100000000fffe800200000100600302600100a0000000000000000000000000000000000600000068656c6c6f0a00000000b1946ac92492d2347c6235b4d26111840102600200600100a0000000000000000000000000000000000200';
const B29 =
  'ff0000001d000000521b056b01012e0010000094a80f6bed41000000000000000000009c09046669666f00000000a41100000098046c696e6b05000000ffa1000005000000612e747874980373756200100000ed4100009c0208686172642e74787406000000a481000001fe0000c5c0200063481c78ae04c201fa01ea9d2b1db56d9e0605612e74787406000000c5c0200063481c78ae04c201fa01ea9d2b1db56d9a097375622f622e747874020000003e240f9185ec1d670cf96f086c6850c8b804046465657000100000ed410000b808062f632e62696eb80b0000a48100004333bf45c2e18a06a575f5b0e27c5ecf000000000000000000000000000000000000600200000002600300000002a0000000000000000000000000000000000600000068656c6c6f0a000000009fc4738442062f521ed6d64148dd833d0400000002600500000000600600000002a00000000000000000000000000000000002000000626200000000fe39a71457991f3f5de9d003aeab43100700000000600800000002a000000000000000000000';
const B27 =
  'bf0000001b000000921b056b01012e0010000094a80f6bed41000000000000000000009c046669666f00000000a411000098046c696e6b05000000ffa1000005000000612e747874980373756200100000ed4100009808686172642e74787406000000a481000001fe0000c5c020009a05612e7478740600000001fe0000c5c020009a097375622f622e7478740200000001fe0000c7c02000b804046465657000100000ed410000b808062f632e62696eb80b0000a481000001fe0000c8c020000000000000000000000000000003000000000000000000000000000000000000000600000068656c6c6f0a00000000422cdb47e8ba350a53a65dfde068e5e106000000000000000000000000000000000000000200000062620000000033728914d024b0ec9b11069f98d2';
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

function header(r: WireReader): { protocol: number; compat: number } {
  r.i32();
  const protocol = r.i32();
  const compat = decodeCompatFlags(r);
  r.i32();
  return { protocol, compat };
}

const base = {
  preserveUid: true,
  preserveGid: true,
  preserveLinks: true,
  preserveDevices: true,
  preserveSpecials: true,
  preserveHardLinks: true,
};

/** Re-encode a decoded list (+ trailer) and compare with the captured bytes [from, to). */
function reencode(
  list: FileEntry[],
  opts: FlistOptions,
  bytes: Uint8Array,
  from: number,
  to: number,
  ids: { uid: Map<number, string>; gid: Map<number, string>; id0Names: boolean } = {
    uid: new Map(),
    gid: new Map(),
    id0Names: false,
  },
): void {
  const enc = new FileListEncoder(opts);
  const w = new WireWriter();
  for (const e of list) enc.encode(w, { ...e, flags: e.flags & XMIT.TOP_DIR });
  enc.end(w);
  encodeFlistTrailer(
    w,
    { protocol: opts.protocol, id0Names: ids.id0Names, sendUidList: true, sendGidList: true },
    ids.uid,
    ids.gid,
  );
  expect(Buffer.from(w.finish()).toString('hex')).toBe(Buffer.from(bytes.subarray(from, to)).toString('hex'));
}

function readList(d: FileListDecoder, r: WireReader): FileEntry[] {
  const out: FileEntry[] = [];
  for (let e = d.decode(r); e !== 'end'; e = d.decode(r)) out.push(e);
  return out;
}

describe('rsync 3.5.0 captured file lists', () => {
  it('b1: -aHc without inc-recurse', () => {
    const r = new WireReader(unhex(B1));
    const { protocol, compat } = header(r);
    const cs = compatSettings(compat, protocol);
    expect([protocol, compat, cs.incRecurse]).toEqual([32, 0x1fe, false]);
    const opts: FlistOptions = {
      protocol,
      ...base,
      varintFlistFlags: cs.varintFlistFlags,
      alwaysChecksum: true,
      checksumLength: 16,
    };
    const d = new FileListDecoder(opts);
    const list = readList(d, r);
    expect(list.map((e) => e.name)).toEqual([
      '.',
      'fifo',
      'link',
      'sub',
      'hard.txt',
      'a.txt',
      'sub/b.txt',
      'sub/deep',
      'sub/deep/c.bin',
    ]);
    const [dot, fifo, link, , hard, a, b, , c] = list as FileEntry[];
    expect(dot).toMatchObject({ mode: 0o40755, uid: 0, gid: 0 });
    expect(fifo?.mode).toBe(0o10644);
    expect(link).toMatchObject({ mode: 0o120777, linkTarget: 'a.txt', size: 5 });
    expect(hard).toMatchObject({ size: 6, mode: 0o100644, hardLink: { first: true, firstNdx: 4 } });
    expect(hard?.checksum).toHaveLength(16);
    expect(a).toMatchObject({
      size: 6,
      mode: 0o100644,
      hardLink: { firstNdx: 4, first: false, abbreviated: true },
    });
    expect(a?.checksum).toEqual(hard?.checksum);
    expect(b?.size).toBe(2);
    expect(c?.size).toBe(3000);
    const t = decodeFlistTrailer(r, {
      protocol,
      id0Names: cs.id0Names,
      sendUidList: true,
      sendGidList: true,
    });
    reencode(list, opts, unhex(B1), 14, r.offset, { uid: t.uidNames, gid: t.gidNames, id0Names: true });
    expect([...t.uidNames]).toEqual([[0, 'root']]);
    expect([...t.gidNames]).toEqual([[0, 'root']]);
    expect(sortFileList(list, protocol).map((e) => e.name)).toEqual([
      '.',
      'a.txt',
      'fifo',
      'hard.txt',
      'link',
      'sub',
      'sub/b.txt',
      'sub/deep',
      'sub/deep/c.bin',
    ]);
  });

  it('b2: -aH with inc-recurse sub-lists', () => {
    const r = new WireReader(unhex(B2));
    const { protocol, compat } = header(r);
    const cs = compatSettings(compat, protocol);
    expect(cs.incRecurse).toBe(true);
    const d = new FileListDecoder({ protocol, ...base, varintFlistFlags: true, incRecurse: true });
    const ndx = new NdxState(protocol);
    d.startList(1, '');
    const l0 = readList(d, r);
    expect(l0.map((e) => [e.name, e.ndx])).toEqual([
      ['.', 1],
      ['fifo', 2],
      ['link', 3],
      ['sub', 4],
      ['hard.txt', 5],
      ['a.txt', 6],
    ]);
    expect(l0[0]).toMatchObject({ user: 'root', group: 'root' });
    expect(l0[5]?.hardLink).toEqual({ firstNdx: 5, first: false, abbreviated: true });
    const dirs = sortFileList(l0, protocol)
      .filter((e) => (e.mode & 0o170000) === 0o040000)
      .map((e) => e.name);
    expect(dirs).toEqual(['.', 'sub']);
    let start = 1 + l0.length + 1;
    const names: string[] = [];
    const subLists: FileEntry[][] = [];
    for (;;) {
      const n = decodeNdx(r, ndx);
      if (n === NDX_FLIST_EOF) break;
      const dirNdx = NDX_FLIST_OFFSET - n;
      const dir = dirs[dirNdx] as string;
      d.startList(start, dir);
      const l = readList(d, r);
      start += l.length + 1;
      names.push(...l.map((e) => e.name));
      subLists.push(l);
      for (const e of sortFileList(l, protocol)) if ((e.mode & 0o170000) === 0o040000) dirs.push(e.name);
    }
    expect(names).toEqual(['sub/b.txt', 'sub/deep', 'sub/deep/c.bin']);
    // byte-exact re-encode of the whole incremental stream
    const enc = new FileListEncoder({ protocol, ...base, varintFlistFlags: true, incRecurse: true });
    const w = new WireWriter();
    const wn = new NdxState(protocol);
    const lists = [l0, ...subLists];
    let s2 = 1;
    lists.forEach((l, i) => {
      if (i > 0) encodeNdx(w, wn, NDX_FLIST_OFFSET - (i === 1 ? 1 : 2));
      enc.startList(s2);
      for (const e of l) enc.encode(w, { ...e, flags: e.flags & (XMIT.TOP_DIR | XMIT.NO_CONTENT_DIR) });
      enc.end(w);
      s2 += l.length + 1;
    });
    encodeNdx(w, wn, NDX_FLIST_EOF);
    expect(Buffer.from(w.finish()).toString('hex')).toBe(
      Buffer.from(unhex(B2).subarray(14, r.offset)).toString('hex'),
    );
    expect(dirs).toEqual(['.', 'sub', 'sub/deep']);
  });

  for (const [label, hexdata, protocol, csum] of [
    ['b29', B29, 29, true],
    ['b27', B27, 27, false],
  ] as const) {
    it(`${label}: protocol ${protocol} with dev/ino hard links`, () => {
      const r = new WireReader(unhex(hexdata));
      r.i32();
      expect(r.i32()).toBe(protocol);
      r.i32();
      const d = new FileListDecoder({ protocol, ...base, alwaysChecksum: csum, checksumLength: 16 });
      const list = readList(d, r);
      expect(list.map((e) => e.name)).toEqual([
        '.',
        'fifo',
        'link',
        'sub',
        'hard.txt',
        'a.txt',
        'sub/b.txt',
        'sub/deep',
        'sub/deep/c.bin',
      ]);
      const byName = new Map(list.map((e) => [e.name, e]));
      expect(byName.get('link')).toMatchObject({ linkTarget: 'a.txt', mode: 0o120777 });
      expect(byName.get('fifo')?.mode).toBe(0o10644);
      const hard = byName.get('hard.txt')?.hardLink;
      const a = byName.get('a.txt')?.hardLink;
      expect(hard).toMatchObject({ first: true, firstNdx: 4 });
      expect(a).toMatchObject({ first: false, firstNdx: 4, dev: hard?.dev, ino: hard?.ino });
      if (protocol < 28) expect(byName.get('sub/b.txt')?.hardLink?.first).toBe(true);
      else expect(byName.get('sub/b.txt')?.hardLink).toBeUndefined();
      if (csum) expect(byName.get('a.txt')?.checksum).toEqual(byName.get('hard.txt')?.checksum);
      const t = decodeFlistTrailer(r, { protocol, sendUidList: true, sendGidList: true });
      expect(t).toEqual({ uidNames: new Map(), gidNames: new Map(), ioError: 0 });
      expect(
        sortFileList(list, protocol)
          .map((e) => e.name)
          .slice(0, 3),
      ).toEqual(['.', 'a.txt', 'fifo']);
      reencode(
        list,
        { protocol, ...base, alwaysChecksum: csum, checksumLength: 16 },
        unhex(hexdata),
        12,
        r.offset,
      );
    });
  }
});
