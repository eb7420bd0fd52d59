/**
 * What changed between two snapshots of a ROOT. Entries sharing an inode are
 * unchanged without reading them (the usual case with --link-dest); others
 * are compared by type, size, then content, so a file copied with new
 * attributes but the same data shows as a metadata-only change.
 */
import fs from 'node:fs';
import { openRoot, resolveSnapshot, walkTree, inodeKey } from './browse.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';
export type DiffAttr = 'mode' | 'mtime' | 'uid' | 'gid' | 'target';

export interface DiffEntry {
  path: string;
  type: EntryType;
  /** Size of a regular file, else 0. */
  size: number;
}

export interface DiffChange {
  path: string;
  /** The type in B. */
  type: EntryType;
  /** What makes the data differ. */
  reason: 'type' | 'size' | 'content' | 'target' | 'device';
  /** Attributes that differ as well. */
  attrs: DiffAttr[];
  sizeA: number;
  sizeB: number;
}

export interface MetadataChange {
  path: string;
  type: EntryType;
  /** Differing attributes; empty when only the inode is new (same data, same attributes). */
  attrs: DiffAttr[];
}

export interface DiffResult {
  a: string;
  b: string;
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: DiffChange[];
  metadataOnly: MetadataChange[];
  counts: { added: number; removed: number; changed: number; metadataOnly: number; unchanged: number };
  /** Regular-file bytes: added (in B), removed (in A), changed (their size in B). */
  bytes: { added: number; removed: number; changed: number };
  /** Directories that could not be read ('A:' or 'B:' then the path). */
  unreadable: string[];
}

export function entryType(st: fs.BigIntStats): EntryType {
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
}

const fileSize = (st: fs.BigIntStats): number => (st.isFile() ? Number(st.size) : 0);

/** Differences from snapshot `a` to snapshot `b` (names, or `latest`). */
export function diffSnapshots(root: string, a: string, b: string): DiffResult {
  const l = openRoot(root);
  const na = resolveSnapshot(l, a);
  const nb = resolveSnapshot(l, b);
  const unreadable: string[] = [];
  const load = (name: string, tag: string): Map<string, { abs: string; st: fs.BigIntStats }> => {
    const m = new Map<string, { abs: string; st: fs.BigIntStats }>();
    walkTree(
      l.snapshot(name),
      (e) => m.set(e.rel, e),
      (rel) => unreadable.push(`${tag}:${rel === '' ? '.' : rel}`),
    );
    return m;
  };
  const ta = load(na, 'A');
  const tb = load(nb, 'B');
  const r: DiffResult = {
    a: na,
    b: nb,
    added: [],
    removed: [],
    changed: [],
    metadataOnly: [],
    counts: { added: 0, removed: 0, changed: 0, metadataOnly: 0, unchanged: 0 },
    bytes: { added: 0, removed: 0, changed: 0 },
    unreadable,
  };
  for (const [p, ea] of ta) {
    if (!tb.has(p)) r.removed.push({ path: p, type: entryType(ea.st), size: fileSize(ea.st) });
  }
  for (const [p, eb] of tb) {
    const ea = ta.get(p);
    if (!ea) {
      r.added.push({ path: p, type: entryType(eb.st), size: fileSize(eb.st) });
      continue;
    }
    if (inodeKey(ea.st) === inodeKey(eb.st)) {
      r.counts.unchanged++;
      continue;
    }
    const attrs = attrDiff(ea, eb);
    const reason = dataDiff(ea, eb, attrs);
    const type = entryType(eb.st);
    if (reason) {
      r.changed.push({ path: p, type, reason, attrs, sizeA: fileSize(ea.st), sizeB: fileSize(eb.st) });
    } else if (type !== 'dir' || attrs.length > 0) {
      r.metadataOnly.push({ path: p, type, attrs });
    } else {
      r.counts.unchanged++; // directories are never shared: only their attributes matter
    }
  }
  const byPath = (x: { path: string }, y: { path: string }): number =>
    x.path < y.path ? -1 : x.path > y.path ? 1 : 0;
  for (const list of [r.added, r.removed, r.changed, r.metadataOnly]) list.sort(byPath);
  r.counts.added = r.added.length;
  r.counts.removed = r.removed.length;
  r.counts.changed = r.changed.length;
  r.counts.metadataOnly = r.metadataOnly.length;
  const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
  r.bytes.added = sum(r.added.map((e) => e.size));
  r.bytes.removed = sum(r.removed.map((e) => e.size));
  r.bytes.changed = sum(r.changed.map((e) => e.sizeB));
  return r;
}

type Ent = { abs: string; st: fs.BigIntStats };

function attrDiff(a: Ent, b: Ent): DiffAttr[] {
  const out: DiffAttr[] = [];
  if ((a.st.mode & 0o7777n) !== (b.st.mode & 0o7777n)) out.push('mode');
  if (a.st.mtimeNs !== b.st.mtimeNs) out.push('mtime');
  if (a.st.uid !== b.st.uid) out.push('uid');
  if (a.st.gid !== b.st.gid) out.push('gid');
  if (
    a.st.isSymbolicLink() &&
    b.st.isSymbolicLink() &&
    !fs.readlinkSync(a.abs, 'buffer').equals(fs.readlinkSync(b.abs, 'buffer'))
  )
    out.push('target');
  return out;
}

/** Why the data differs, or undefined when only attributes (or the inode) do. */
function dataDiff(a: Ent, b: Ent, attrs: readonly DiffAttr[]): DiffChange['reason'] | undefined {
  if (entryType(a.st) !== entryType(b.st) || (a.st.mode & 0o170000n) !== (b.st.mode & 0o170000n))
    return 'type';
  if (a.st.isSymbolicLink()) return attrs.includes('target') ? 'target' : undefined;
  if (a.st.isDirectory()) return undefined;
  if (!a.st.isFile()) return a.st.rdev !== b.st.rdev ? 'device' : undefined;
  if (a.st.size !== b.st.size) return 'size';
  return sameContent(a.abs, b.abs) ? undefined : 'content';
}

/** Compares two files chunk by chunk (never whole in memory). */
export function sameContent(a: string, b: string): boolean {
  const fa = fs.openSync(a, 'r');
  try {
    const fb = fs.openSync(b, 'r');
    try {
      const ba = Buffer.allocUnsafe(1 << 16);
      const bb = Buffer.allocUnsafe(1 << 16);
      for (;;) {
        const na = readFull(fa, ba);
        const nb = readFull(fb, bb);
        if (na !== nb) return false;
        if (na === 0) return true;
        if (!ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      }
    } finally {
      fs.closeSync(fb);
    }
  } finally {
    fs.closeSync(fa);
  }
}

function readFull(fd: number, buf: Buffer): number {
  let n = 0;
  while (n < buf.length) {
    const k = fs.readSync(fd, buf, n, buf.length - n, null);
    if (k === 0) break;
    n += k;
  }
  return n;
}
