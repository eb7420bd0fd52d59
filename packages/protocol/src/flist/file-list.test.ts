import { describe, expect, it } from 'vitest';
import type { FileEntry } from './file-entry.js';
import { FileListSet } from './file-list.js';

const te = new TextEncoder();
const entry = (name: string, mode: number): FileEntry => ({
  nameBytes: te.encode(name),
  name,
  mode,
  size: 0,
  mtime: 0,
  flags: 0,
});
const DIR = 0o040755;
const REG = 0o100644;

describe('FileListSet with incremental recursion', () => {
  it('a released list answers no index; later lists and every directory remain', () => {
    const set = new FileListSet({ protocol: 31, incRecurse: true, recursive: true });
    const first = set.add([entry('.', DIR), entry('a', DIR), entry('b', DIR), entry('top.txt', REG)], -1);
    const aDir = set.dirs.findIndex((d) => d.name === 'a');
    const sub = set.add([entry('a/x.txt', REG), entry('a/y.txt', REG)], aDir);
    const names = (from: number, n: number) => Array.from({ length: n }, (_, i) => set.entry(from + i)?.name);
    expect(names(first.ndxStart, 4).sort()).toEqual(['.', 'a', 'b', 'top.txt']);
    first.release();
    expect(first.entries).toEqual([]);
    for (let i = first.ndxStart; i < first.ndxStart + 4; i++) expect(set.entry(i)).toBeUndefined();
    expect(set.entry(sub.ndxStart)?.name).toBe('a/x.txt');
    expect(set.entry(sub.ndxStart + 1)?.name).toBe('a/y.txt');
    // the pseudo index before a sub-list is its directory, kept in dirs
    expect(set.entry(sub.ndxStart - 1)?.name).toBe('a');
    expect(set.dirs.map((d) => d.name)).toEqual(['.', 'a', 'b']);
    expect(set.listFor(sub.ndxStart + 1)).toBe(sub);
    sub.release();
    expect(set.entry(sub.ndxStart)).toBeUndefined();
    expect(set.entry(sub.ndxStart - 1)?.name).toBe('a');
  });
});
