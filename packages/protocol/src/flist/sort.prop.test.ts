import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDuplicates, findDuplicatesInDir, sortDirContents, sortFileList } from './sort.js';

// names with the bytes that matter to the order: '-' and '.' (below '/'), '0', 'a', and high bytes
const base = fc
  .array(fc.constantFrom(0x2d, 0x2e, 0x30, 0x61, 0x62, 0xc3, 0xff), { minLength: 1, maxLength: 4 })
  .filter((b) => !(b.length === 1 && b[0] === 0x2e) && !(b.length === 2 && b[0] === 0x2e && b[1] === 0x2e));

describe('sortDirContents', () => {
  it('orders one directory as sortFileList does, at protocols 27-32', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(27, 28, 29, 30, 31, 32),
        fc.constantFrom('', 'd', 'a/b-c'),
        fc.array(fc.record({ b: base, dir: fc.boolean() }), { maxLength: 30 }),
        (protocol, prefix, items) => {
          const entries = items.map(({ b, dir }, i) => ({
            nameBytes: new Uint8Array([...(prefix ? [...Buffer.from(`${prefix}/`)] : []), ...b]),
            mode: dir ? 0o040755 : 0o100644,
            i,
          }));
          expect(sortDirContents(entries, protocol).map((e) => e.i)).toEqual(
            sortFileList(entries, protocol).map((e) => e.i),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('findDuplicatesInDir', () => {
  it('clears what findDuplicates clears, on one directory sorted by sortDirContents', () => {
    // few bytes, so that names repeat ('.' is not among them: a sub-list has no "." entry)
    const few = fc.array(fc.constantFrom(0x2d, 0x30, 0x61, 0x62), { minLength: 1, maxLength: 2 });
    fc.assert(
      fc.property(
        fc.constantFrom(27, 28, 29, 30, 31, 32),
        fc.array(fc.record({ b: few, dir: fc.boolean() }), { maxLength: 40 }),
        (protocol, items) => {
          const entries = items.map(({ b, dir }) => ({
            nameBytes: new Uint8Array([...Buffer.from('top/d/'), ...b]),
            mode: dir ? 0o040755 : 0o100644,
          }));
          const sorted = sortDirContents(entries, protocol);
          expect(findDuplicatesInDir(sorted, protocol)).toEqual(findDuplicates(sorted));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
