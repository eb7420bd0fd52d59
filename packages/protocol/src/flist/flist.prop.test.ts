import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolError, ShortRead } from '../errors.js';
import { WireReader } from '../wire/reader.js';
import { WireWriter } from '../wire/writer.js';
import {
  FileListDecoder,
  FileListEncoder,
  isDevice,
  isDir,
  isLink,
  isReg,
  type EncodableEntry,
  type FileEntry,
  type FlistOptions,
} from './file-entry.js';
import { decodeFlistTrailer, encodeFlistTrailer } from './id-list.js';
import { findDuplicates, sortFileList } from './sort.js';

const te = new TextEncoder();
const MODES = [0o100644, 0o100755, 0o40755, 0o120777, 0o20600, 0o60600, 0o10644, 0o140755];

const optsArb: fc.Arbitrary<FlistOptions> = fc
  .record({
    protocol: fc.constantFrom(27, 28, 29, 30, 31, 32),
    varint: fc.boolean(),
    safeFlist: fc.boolean(),
    preserveUid: fc.boolean(),
    preserveGid: fc.boolean(),
    preserveLinks: fc.boolean(),
    preserveDevices: fc.boolean(),
    preserveSpecials: fc.boolean(),
    preserveHardLinks: fc.boolean(),
    preserveAtimes: fc.boolean(),
    preserveCrtimes: fc.boolean(),
    alwaysChecksum: fc.boolean(),
    checksumLength: fc.constantFrom(1, 8, 16, 20),
    incRecurse: fc.boolean(),
    numericIds: fc.boolean(),
  })
  .map((o) => {
    const v30 = o.protocol >= 30;
    return {
      protocol: o.protocol,
      varintFlistFlags: v30 && o.varint,
      safeFlist: o.safeFlist,
      preserveUid: o.preserveUid,
      preserveGid: o.preserveGid,
      preserveLinks: o.preserveLinks,
      preserveDevices: o.preserveDevices,
      preserveSpecials: o.preserveSpecials,
      preserveHardLinks: o.preserveHardLinks,
      preserveAtimes: v30 && o.preserveAtimes,
      preserveCrtimes: v30 && o.varint && o.preserveCrtimes,
      alwaysChecksum: o.alwaysChecksum,
      checksumLength: o.checksumLength,
      incRecurse: v30 && o.incRecurse,
      numericIds: o.numericIds,
    };
  });

const nameArb = fc
  .array(
    fc.stringMatching(/^[a-c\-.]{1,4}$/).filter((s) => s !== '.' && s !== '..'),
    { minLength: 1, maxLength: 4 },
  )
  .chain((parts) => fc.constantFrom(parts.join('/'), parts.join('/') + 'x'.repeat(260)));

const rawEntryArb = fc.record({
  name: nameArb,
  mode: fc.constantFrom(...MODES),
  size: fc.oneof(fc.nat(1000), fc.maxSafeInteger().map(Math.abs)),
  mtime: fc.oneof(
    fc.constant(1000),
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  ),
  mtimeNsec: fc.constantFrom(0, 1, 999_999_999),
  atime: fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
  crtime: fc.integer({ min: 0, max: 2 ** 33 }),
  uid: fc.constantFrom(0, 1, 1000, 65534, 2 ** 31 + 5),
  gid: fc.constantFrom(0, 1, 1000, 65534),
  major: fc.integer({ min: 0, max: 0xfff }),
  minor: fc.constantFrom(0, 1, 255, 256, 0xfffff),
  target: fc.stringMatching(/^[a-z/.]{1,12}$/),
  group: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  sum: fc.uint8Array({ minLength: 20, maxLength: 20 }),
});

type Raw = typeof rawEntryArb extends fc.Arbitrary<infer T> ? T : never;

function build(raws: Raw[], o: FlistOptions): EncodableEntry[] {
  const firsts = new Map<number, EncodableEntry>();
  return raws.map((x, i) => {
    let mode = x.mode;
    if (o.protocol < 30 && !isReg(mode) && x.group !== undefined) mode = 0o100644;
    const e: EncodableEntry = {
      name: x.name,
      mode,
      size: isReg(mode) || isDir(mode) ? x.size : isLink(mode) ? x.target.length : 0,
      mtime: o.protocol < 30 ? Math.abs(x.mtime) % 2 ** 32 : x.mtime,
      mtimeNsec: x.mtimeNsec,
      atime: x.atime,
      crtime: x.crtime,
      uid: x.uid,
      gid: x.gid,
      user: `u${x.uid}`,
      group: `g${x.gid}`,
      rdevMajor: x.major,
      rdevMinor: x.minor,
      linkTarget: x.target,
      checksum: x.sum.subarray(0, o.checksumLength ?? 16),
    };
    if (isDir(mode)) e.flags = i % 3 === 0 ? 1 : 0;
    if (o.preserveHardLinks && !isDir(mode)) {
      if (x.group !== undefined && isReg(mode)) {
        const f = firsts.get(x.group);
        if (f) return { ...f, name: x.name };
        e.hardLink = { dev: 7, ino: 100 + x.group };
        firsts.set(x.group, e);
      } else if (o.protocol < 28 && isReg(mode)) {
        e.hardLink = { dev: i, ino: 5000 + i };
      }
    }
    return e;
  });
}

/** What the decoder should produce for an encoded entry. */
function expected(e: EncodableEntry, o: FlistOptions, ndx: number): Partial<FileEntry> {
  const out: Partial<FileEntry> = {
    name: e.name ?? '',
    mode: e.mode,
    size: isDevice(e.mode) ? 0 : e.size,
    mtime: e.mtime,
    ndx,
  };
  if (o.protocol >= 31 && e.mtimeNsec) out.mtimeNsec = e.mtimeNsec;
  if (o.preserveAtimes && !isDir(e.mode)) out.atime = e.atime ?? 0;
  if (o.preserveCrtimes) out.crtime = e.crtime ?? e.mtime;
  const names = o.incRecurse && o.protocol >= 30 && !o.numericIds;
  if (o.preserveUid) {
    out.uid = (e.uid ?? 0) >>> 0;
    if (names) out.user = e.user ?? '';
  }
  if (o.preserveGid) {
    out.gid = e.gid ?? 0;
    if (names) out.group = e.group ?? '';
  }
  if (o.preserveDevices && isDevice(e.mode)) {
    out.rdevMajor = e.rdevMajor ?? 0;
    out.rdevMinor = e.rdevMinor ?? 0;
  }
  if (o.preserveLinks && isLink(e.mode)) out.linkTarget = e.linkTarget ?? '';
  if (o.alwaysChecksum && isReg(e.mode) && e.checksum) out.checksum = e.checksum;
  return out;
}

function strip(e: FileEntry): Partial<FileEntry> {
  const { flags: _f, nameBytes: _n, hardLink: _h, linkTargetBytes: _l, ...rest } = e;
  // `name` is a lazy getter on decoded entries: read it explicitly
  return { ...rest, name: e.name };
}

describe('file list round trip', () => {
  it('encode -> decode reproduces every field the options carry', () => {
    fc.assert(
      fc.property(
        optsArb,
        fc.array(rawEntryArb, { maxLength: 12 }),
        fc.integer({ min: 0, max: 7 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 5 }),
        (o, raws, ioError, cuts) => {
          const entries = build(raws, o);
          const enc = new FileListEncoder(o);
          const w = new WireWriter();
          const ndxs = entries.map((e) => enc.encode(w, e));
          const inMarker = enc.end(w, ioError);
          const trailer = {
            protocol: o.protocol,
            sendUidList: !!o.preserveUid && !o.numericIds,
            sendGidList: !!o.preserveGid && !o.numericIds,
            incRecurse: !!o.incRecurse,
          };
          encodeFlistTrailer(w, trailer, enc.uidNames, enc.gidNames, o.protocol < 30 ? ioError : 0);
          const bytes = w.finish();

          // streaming decode over arbitrary chunk boundaries
          const dec = new FileListDecoder(o);
          const got: FileEntry[] = [];
          let avail = 0;
          let ci = 0;
          let off = 0;
          let done = false;
          while (!done) {
            const r = new WireReader(bytes.subarray(0, avail), off);
            try {
              const e = dec.decode(r);
              off = r.offset;
              if (e === 'end') done = true;
              else got.push(e);
            } catch (err) {
              if (!(err instanceof ShortRead)) throw err;
              expect(r.offset).toBe(off);
              expect(avail).toBeLessThan(bytes.length);
              avail = Math.min(bytes.length, avail + (cuts[ci++ % cuts.length] as number));
            }
          }
          const r = new WireReader(bytes, off);
          const t = decodeFlistTrailer(r, trailer);
          expect(r.remaining).toBe(0);
          if (inMarker && o.protocol >= 30) expect(dec.lastIoError).toBe(ioError);
          if (o.protocol < 30) expect(t.ioError).toBe(ioError);
          if (trailer.sendUidList && !o.incRecurse)
            for (const [id, n] of t.uidNames) expect(n).toBe(`u${id}`);

          expect(got.map(strip)).toEqual(entries.map((e, i) => expected(e, o, ndxs[i] as number)));
          // hard-link groups resolve to the same leader
          if (o.preserveHardLinks) {
            got.forEach((g, i) => {
              const e = entries[i] as EncodableEntry;
              if (e.hardLink && (o.protocol >= 28 || isReg(e.mode))) {
                const lead = entries.findIndex(
                  (x) => x.hardLink?.dev === e.hardLink?.dev && x.hardLink?.ino === e.hardLink?.ino,
                );
                expect(g.hardLink?.firstNdx).toBe(ndxs[lead]);
              } else if (!(o.protocol < 28 && isReg(e.mode))) expect(g.hardLink).toBeUndefined();
            });
          }
          // sorting is a permutation and dedupe keeps exactly one per name
          const sorted = sortFileList(got, o.protocol);
          expect(sorted).toHaveLength(got.length);
          const cleared = findDuplicates(sorted);
          const kept = sorted.filter((_, i) => !cleared[i]).map((e) => e.name);
          expect(new Set(kept).size).toBe(kept.length);
          expect(new Set(kept)).toEqual(new Set(got.map((e) => e.name)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('random bytes never crash the decoder', () => {
    fc.assert(
      fc.property(optsArb, fc.uint8Array({ maxLength: 80 }), (o, b) => {
        const d = new FileListDecoder(o);
        const r = new WireReader(b);
        try {
          for (let i = 0; i < 50 && d.decode(r) !== 'end'; i++);
        } catch (e) {
          expect(e instanceof ShortRead || e instanceof ProtocolError).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
  it('names are authoritative bytes', () => {
    const enc = new FileListEncoder({ protocol: 31 });
    const w = new WireWriter();
    enc.encode(w, { nameBytes: Uint8Array.of(0xff, 0x61), mode: 0o100644, size: 1, mtime: 1 });
    enc.end(w);
    const e = new FileListDecoder({ protocol: 31 }).decode(new WireReader(w.finish()));
    expect(e !== 'end' && [...e.nameBytes]).toEqual([0xff, 0x61]);
    expect(te.encode('x')).toHaveLength(1);
  });
});
