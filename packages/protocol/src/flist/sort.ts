/**
 * File-list order (flist.c:f_name_cmp()) and the receiver's duplicate
 * removal (flist.c:flist_sort_and_clean()).
 *
 * proto >= 29: within a directory, non-directories sort before
 * subdirectories, and a directory is followed by its contents. We build a
 * byte key per entry: each path component becomes a type byte (1 = the
 * last component of a non-directory, 2 = a directory component) followed by
 * its bytes (directory components with a trailing '/') and a 0 terminator;
 * a lone "." directory is the empty key element [1, 0]. Comparing keys
 * bytewise gives rsync's order. proto < 29: plain unsigned strcmp.
 */
import { isDir } from './file-entry.js';

export interface Sortable {
  nameBytes: Uint8Array;
  mode: number;
}

export function sortKey(e: Sortable, protocol: number): Uint8Array {
  const name = e.nameBytes;
  if (protocol < 29) return name;
  const dir = isDir(e.mode);
  if (dir && name.length === 1 && name[0] === 0x2e) return Uint8Array.of(1, 0);
  const out = new Uint8Array(name.length * 1 + 4 + countSlashes(name) * 3);
  let o = 0;
  let i = 0;
  while (i <= name.length) {
    let j = i;
    while (j < name.length && name[j] !== 0x2f) j++;
    const last = j >= name.length;
    const asDir = !last || dir;
    out[o++] = asDir ? 2 : 1;
    out.set(name.subarray(i, j), o);
    o += j - i;
    if (asDir) out[o++] = 0x2f;
    out[o++] = 0;
    i = j + 1;
    if (last) break;
  }
  return out.subarray(0, o);
}

function countSlashes(b: Uint8Array): number {
  let n = 0;
  for (const c of b) if (c === 0x2f) n++;
  return n;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** f_name_cmp(): negative / 0 / positive. */
export function compareFileNames(a: Sortable, b: Sortable, protocol: number): number {
  return compareBytes(sortKey(a, protocol), sortKey(b, protocol));
}

/** Stable sort into rsync's order (a new array; the input is not modified). */
export function sortFileList<T extends Sortable>(entries: readonly T[], protocol: number): T[] {
  const keyed = entries.map((e, i) => ({ e, k: sortKey(e, protocol), i }));
  keyed.sort((x, y) => compareBytes(x.k, y.k) || x.i - y.i);
  return keyed.map((x) => x.e);
}

/**
 * sortFileList() for the contents of one directory (every name is
 * `prefix/base` with the same prefix, none is "."), as the sender's
 * sub-lists are: the same order, compared on the base names without
 * building keys. Files before directories (protocol >= 29), and a directory
 * compares as `base/`.
 */
export function sortDirContents<T extends Sortable>(entries: readonly T[], protocol: number): T[] {
  const n = entries.length;
  const bases: Buffer[] = new Array<Buffer>(n);
  const dirs = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const name = entries[i]!.nameBytes;
    const s = name.lastIndexOf(0x2f) + 1;
    bases[i] = Buffer.from(name.buffer, name.byteOffset + s, name.length - s);
    dirs[i] = protocol >= 29 && isDir(entries[i]!.mode) ? 1 : 0;
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => {
    if (dirs[x] !== dirs[y]) return dirs[x]! - dirs[y]!;
    const a = bases[x]!;
    const b = bases[y]!;
    const m = Math.min(a.length, b.length);
    const c = a.compare(b, 0, m, 0, m);
    if (c !== 0 || a.length === b.length) return c || x - y;
    // one name is a prefix of the other: a file's name ends there, a directory's goes on with '/'
    if (dirs[x] === 0) return a.length - b.length;
    return a.length < b.length ? 0x2f - b[m]! : a[m]! - 0x2f;
  });
  return order.map((i) => entries[i]!);
}

/**
 * findDuplicates() for a list sorted by sortDirContents() (one directory's
 * contents): the same name twice is adjacent within the files and within
 * the directories, and a directory named as a file is found by a binary
 * search among the files (directories are few); no key per entry.
 */
export function findDuplicatesInDir(sorted: readonly Sortable[], protocol: number): boolean[] {
  const n = sorted.length;
  const cleared = new Array<boolean>(n).fill(false);
  const base = (e: Sortable) => {
    const name = e.nameBytes;
    const s = name.lastIndexOf(0x2f) + 1;
    return Buffer.from(name.buffer, name.byteOffset + s, name.length - s);
  };
  let firstDir = n;
  if (protocol >= 29) for (let i = 0; i < n && firstDir === n; i++) if (isDir(sorted[i]!.mode)) firstDir = i;
  let prev: Buffer | undefined;
  let prevIdx = -1;
  for (let i = 0; i < n; i++) {
    const b = base(sorted[i]!);
    if (i !== firstDir && prev !== undefined && prev.equals(b)) {
      // below protocol 29 a file and a directory of one name are neighbours too
      if (isDir(sorted[i]!.mode) && !isDir(sorted[prevIdx]!.mode)) {
        cleared[prevIdx] = true;
        prevIdx = i;
      } else cleared[i] = true;
      continue;
    }
    prev = b;
    prevIdx = i;
  }
  // a directory beats a file of the same name (files are sorted bytewise, shorter first)
  for (let d = firstDir; d < n; d++) {
    if (cleared[d]) continue;
    const key = base(sorted[d]!);
    let lo = 0;
    let hi = firstDir - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = base(sorted[mid]!).compare(key);
      if (c === 0) {
        // the first file of that name was kept; later ones are cleared already
        let f = mid;
        while (f > 0 && base(sorted[f - 1]!).equals(key)) f--;
        cleared[f] = true;
        break;
      }
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
  }
  return cleared;
}

/**
 * Receiver-side duplicate removal on a sorted list, as flist_sort_and_clean():
 * for the same name twice keep the first, except that a directory beats a
 * non-directory. Returns a parallel array: true = the slot is cleared (it
 * keeps its index but must not be transferred).
 */
export function findDuplicates(sorted: readonly Sortable[]): boolean[] {
  const cleared = new Array<boolean>(sorted.length).fill(false);
  const seen = new Map<string, number>();
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i] as Sortable;
    const key = Buffer.from(e.nameBytes.buffer, e.nameBytes.byteOffset, e.nameBytes.byteLength).toString(
      'latin1',
    );
    const j = seen.get(key);
    if (j === undefined) {
      seen.set(key, i);
      continue;
    }
    const prev = sorted[j] as Sortable;
    if (isDir(e.mode) && !isDir(prev.mode)) {
      cleared[j] = true;
      seen.set(key, i);
    } else {
      cleared[i] = true;
    }
  }
  return cleared;
}
