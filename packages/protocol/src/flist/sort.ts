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
