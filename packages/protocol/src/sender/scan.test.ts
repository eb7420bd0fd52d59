import { describe, expect, it } from 'vitest';
import { IdNameLookup } from '../local/id-names.js';
import { entryFromFields, type ScanOptions, type StatFields } from './scan.js';

const opts: ScanOptions = {
  protocol: 32,
  hardLinks: true,
  owner: false,
  group: false,
  numericIds: true,
  names: new IdNameLookup(),
};

function fields(ino: bigint): StatFields {
  return {
    mode: 0o100644,
    size: 1,
    mtime: 1,
    mtimeNsec: 0,
    uid: 0,
    gid: 0,
    nlink: 2,
    rdev: 0,
    dev: 2049n,
    ino,
  };
}

describe('entryFromFields', () => {
  it('keeps a linked file identity exact beyond 2^53 (overlayfs xino inode numbers)', () => {
    const a = entryFromFields(Buffer.from('/x/a'), Buffer.from('a'), fields(2n ** 63n + 1n), undefined, opts);
    const b = entryFromFields(Buffer.from('/x/b'), Buffer.from('b'), fields(2n ** 63n + 2n), undefined, opts);
    expect(a.hardLink).toEqual({ dev: 2049n, ino: 2n ** 63n + 1n });
    expect(`${a.hardLink?.dev}:${a.hardLink?.ino}`).not.toBe(`${b.hardLink?.dev}:${b.hardLink?.ino}`);
  });
});
