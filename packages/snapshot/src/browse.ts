/**
 * Looking at the snapshots of a ROOT without changing them: the list with
 * what each one shares with the others (by inode, so hard links made by
 * --link-dest count once), an rsnapshot-style incremental `du`, and the
 * differences between two snapshots. Trees are walked with lstat and never
 * through symlinks; only regular files count in byte totals.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SnapshotError } from './errors.js';
import { Layout, isDir } from './layout.js';
import { readManifest, type Manifest } from './manifest.js';
import { parseSnapshotName } from './time.js';

export interface TreeEntry {
  /** Path relative to the walked directory, '/'-separated. */
  rel: string;
  abs: string;
  st: fs.BigIntStats;
}

/**
 * Walks a tree as rsync lists it: a directory's entries (sorted by name), then
 * the contents of its subdirectories, so a parent always comes before its
 * children. `onError` gets directories that cannot be read (else they throw).
 */
export function walkTree(
  dir: string,
  visit: (e: TreeEntry) => void,
  onError?: (rel: string, e: NodeJS.ErrnoException) => void,
): void {
  const stack: [string, string][] = [[dir, '']];
  while (stack.length > 0) {
    const [abs, rel] = stack.pop()!;
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(abs, { withFileTypes: true });
    } catch (e) {
      if (!onError) throw e;
      onError(rel, e as NodeJS.ErrnoException);
      continue;
    }
    names.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    const subdirs: [string, string][] = [];
    for (const d of names) {
      const e: TreeEntry = {
        rel: rel === '' ? d.name : `${rel}/${d.name}`,
        abs: path.join(abs, d.name),
        st: fs.lstatSync(path.join(abs, d.name), { bigint: true }),
      };
      visit(e);
      if (e.st.isDirectory()) subdirs.push([e.abs, e.rel]);
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
}

export const inodeKey = (st: fs.BigIntStats): string => `${st.dev}:${st.ino}`;

/** The Layout of an existing ROOT (SnapshotError when there is none). */
export function openRoot(root: string): Layout {
  const l = new Layout(root);
  if (!isDir(l.root)) throw new SnapshotError(`${root}: no such snapshot root`);
  return l;
}

/** A complete snapshot's name; `latest` or undefined stands for the newest one. */
export function resolveSnapshot(l: Layout, name: string | undefined): string {
  const names = l.list();
  if (names.length === 0) throw new SnapshotError(`${l.root} holds no snapshots`);
  if (name === undefined || name === 'latest') return l.latest() ?? names.at(-1)!;
  if (names.includes(name)) return name;
  const what = parseSnapshotName(name) ? 'no snapshot' : 'not a snapshot name:';
  throw new SnapshotError(
    `${what} ${name} in ${l.root} (${names.length} snapshots, ${names[0]} .. ${names.at(-1)})`,
  );
}

export type SnapshotStatus = 'complete' | 'complete (vanished files)' | 'complete (no manifest)';

export interface SnapshotInfo {
  name: string;
  time: Date;
  status: SnapshotStatus;
  ageMs: number;
  isLatest: boolean;
  /** Regular files (every path, hard links included). */
  files: number;
  dirs: number;
  symlinks: number;
  /** Devices, fifos, sockets. */
  others: number;
  /** Sizes of the snapshot's regular-file inodes (an inode linked twice inside it counts once). */
  totalBytes: number;
  /** Bytes of inodes not in the previous (older) snapshot: what this one added. */
  newBytes: number;
  /** totalBytes - newBytes. */
  sharedBytes: number;
  /** Bytes of inodes in no other snapshot: what deleting this one would free. */
  uniqueBytes: number;
  /** Directories that could not be read (their contents are not counted). */
  unreadable: number;
  manifest?: Manifest;
}

interface Row {
  name: string;
  files: number;
  dirs: number;
  symlinks: number;
  others: number;
  unreadable: number;
  /** [apparent, allocated] pairs */
  total: [number, number];
  vsPrev: [number, number];
  firstSeen: [number, number];
  unique: [number, number];
}

interface InodeRec {
  size: number;
  alloc: number;
  first: number;
  last: number;
  count: number;
}

const add = (acc: [number, number], r: InodeRec): void => {
  acc[0] += r.size;
  acc[1] += r.alloc;
};

/** One pass over every snapshot (oldest first) with inode accounting. */
function scan(l: Layout, names: readonly string[]): Row[] {
  const inodes = new Map<string, InodeRec>();
  const rows = names.map((name, i): Row => {
    const row: Row = {
      name,
      files: 0,
      dirs: 0,
      symlinks: 0,
      others: 0,
      unreadable: 0,
      total: [0, 0],
      vsPrev: [0, 0],
      firstSeen: [0, 0],
      unique: [0, 0],
    };
    const visit = ({ st }: TreeEntry): void => {
      if (st.isDirectory()) row.dirs++;
      else if (st.isSymbolicLink()) row.symlinks++;
      else if (!st.isFile()) row.others++;
      if (!st.isFile()) return;
      row.files++;
      const key = inodeKey(st);
      let r = inodes.get(key);
      if (!r) {
        r = { size: Number(st.size), alloc: Number(st.blocks) * 512, first: i, last: -1, count: 0 };
        inodes.set(key, r);
        add(row.firstSeen, r);
      }
      if (r.last === i) return; // another link inside this snapshot
      if (!(i > 0 && r.last === i - 1)) add(row.vsPrev, r);
      r.last = i;
      r.count++;
      add(row.total, r);
    };
    walkTree(l.snapshot(name), visit, () => row.unreadable++);
    return row;
  });
  for (const r of inodes.values()) if (r.count === 1) add(rows[r.first]!.unique, r);
  return rows;
}

function statusOf(m: Manifest | undefined): SnapshotStatus {
  if (!m) return 'complete (no manifest)';
  return m.exitCode === 24 ? 'complete (vanished files)' : 'complete';
}

/** The complete snapshots of ROOT, oldest first, with their sizes and sharing. */
export function listSnapshots(root: string, o: { now?: Date | undefined } = {}): SnapshotInfo[] {
  const l = openRoot(root);
  const now = (o.now ?? new Date()).getTime();
  const latest = l.latest();
  return scan(l, l.list()).map((r) => {
    const time = parseSnapshotName(r.name)!;
    const manifest = readManifest(l.manifest(r.name));
    return {
      name: r.name,
      time,
      status: statusOf(manifest),
      ageMs: now - time.getTime(),
      isLatest: r.name === latest,
      files: r.files,
      dirs: r.dirs,
      symlinks: r.symlinks,
      others: r.others,
      totalBytes: r.total[0],
      newBytes: r.vsPrev[0],
      sharedBytes: r.total[0] - r.vsPrev[0],
      uniqueBytes: r.unique[0],
      unreadable: r.unreadable,
      ...(manifest ? { manifest } : {}),
    };
  });
}

export interface DuRow {
  name: string;
  /** Bytes of regular-file inodes first seen in this snapshot (st.size). */
  incrementalBytes: number;
  /** The same inodes' allocation (st.blocks * 512). */
  incrementalAllocated: number;
  /** Sum of the incremental figures up to and including this snapshot. */
  cumulativeBytes: number;
  cumulativeAllocated: number;
  /** Inodes in this snapshot only. */
  uniqueBytes: number;
  uniqueAllocated: number;
}

export interface DuResult {
  root: string;
  snapshots: DuRow[];
  /** Every inode once: what the snapshots take together. */
  totalBytes: number;
  totalAllocated: number;
  unreadable: number;
}

/** rsnapshot du: each inode is counted once, in the oldest snapshot holding it. */
export function du(root: string): DuResult {
  const l = openRoot(root);
  const cum: [number, number] = [0, 0];
  let unreadable = 0;
  const snapshots = scan(l, l.list()).map((r): DuRow => {
    cum[0] += r.firstSeen[0];
    cum[1] += r.firstSeen[1];
    unreadable += r.unreadable;
    return {
      name: r.name,
      incrementalBytes: r.firstSeen[0],
      incrementalAllocated: r.firstSeen[1],
      cumulativeBytes: cum[0],
      cumulativeAllocated: cum[1],
      uniqueBytes: r.unique[0],
      uniqueAllocated: r.unique[1],
    };
  });
  return { root: l.root, snapshots, totalBytes: cum[0], totalAllocated: cum[1], unreadable };
}
