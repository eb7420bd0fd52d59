/**
 * Copying an entry out of a snapshot: a file, a symlink (verbatim, never
 * followed) or a whole tree, with mode, times and (as root) ownership, and
 * with the hard links inside the restored tree kept. Files are copied, never
 * linked to the snapshot, so changing them cannot change the backup. The
 * path inside the snapshot cannot leave it, by `..` or through a symlink.
 */
import fs from 'node:fs';
import path from 'node:path';
import { inodeKey, openRoot, resolveSnapshot, walkTree } from './browse.js';
import { SnapshotError } from './errors.js';

export interface RestoreOptions {
  /** Snapshot name; `latest` or undefined for the newest. */
  snapshot?: string | undefined;
  /** Path inside the snapshot ('' or '.' for all of it). */
  path: string;
  /** Directory to restore into: the entry becomes DEST/<its name>; a whole snapshot fills DEST. */
  to: string;
  dryRun?: boolean | undefined;
  /** Replace existing entries (other files in DEST are left alone). */
  overwrite?: boolean | undefined;
}

export interface RestoreAction {
  op: 'mkdir' | 'copy' | 'symlink' | 'link' | 'skip';
  /** Path inside the snapshot ('' for its top). */
  from: string;
  /** Absolute destination. */
  to: string;
  /** Bytes copied (copy). */
  size?: number;
  /** Symlink target (symlink) or the restored path linked to (link). */
  target?: string;
  /** Something already exists at `to` (overwrite): replaced, or for a directory reused. */
  replace?: boolean;
  /** Why an entry is skipped. */
  note?: string;
}

interface Step {
  action: RestoreAction;
  src: string;
  st: fs.BigIntStats;
}

export function restore(root: string, o: RestoreOptions): RestoreAction[] {
  const l = openRoot(root);
  const name = resolveSnapshot(l, o.snapshot);
  const snapDir = l.snapshot(name);
  const { src, rel } = sourcePath(snapDir, name, o.path);
  const to = path.resolve(o.to);
  const realRoot = fs.realpathSync(l.root);
  if (within(realNearest(to), realRoot))
    throw new SnapshotError(`refusing to restore into the snapshot root ${l.root}: ${to}`);
  const toSt = fs.lstatSync(to, { throwIfNoEntry: false });
  if (toSt && !toSt.isDirectory()) throw new SnapshotError(`${o.to}: not a directory`);
  const top = rel === '' ? to : path.join(to, path.basename(rel));
  const topSt = fs.lstatSync(top, { throwIfNoEntry: false });
  if (topSt && !o.overwrite && (rel !== '' || fs.readdirSync(top).length > 0))
    throw new SnapshotError(`${top} exists; not overwriting it (use --overwrite to replace it)`);

  const steps = plan(src, rel, top, o.overwrite === true);
  if (!o.dryRun) {
    fs.mkdirSync(to, { recursive: true });
    execute(steps);
  }
  return steps.map((s) => s.action);
}

/** The real location of `rel` in the snapshot; its last component is not followed. */
function sourcePath(snapDir: string, name: string, p: string): { src: string; rel: string } {
  if (path.isAbsolute(p)) throw new SnapshotError(`${p}: the path must be relative to the snapshot`);
  const parts = p.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) throw new SnapshotError(`${p}: '..' is not allowed in a path in a snapshot`);
  if (parts.length === 0) return { src: snapDir, rel: '' };
  const realSnap = fs.realpathSync(snapDir);
  const missing = () => new SnapshotError(`${p}: no such file or directory in snapshot ${name}`);
  let parent: string;
  try {
    parent = fs.realpathSync(path.join(snapDir, ...parts.slice(0, -1)));
  } catch {
    throw missing();
  }
  if (!within(parent, realSnap))
    throw new SnapshotError(`${p}: leaves snapshot ${name} through a symlink; refusing`);
  if (!fs.statSync(parent).isDirectory()) throw missing();
  const src = path.join(parent, parts.at(-1)!);
  if (!fs.lstatSync(src, { throwIfNoEntry: false })) throw missing();
  return { src, rel: parts.join('/') };
}

function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/** realpath of `p`, or of its nearest existing ancestor joined with the rest. */
function realNearest(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse());
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return p;
      rest.push(path.basename(cur));
      cur = up;
    }
  }
}

function plan(src: string, rel: string, top: string, overwrite: boolean): Step[] {
  const steps: Step[] = [];
  const linked = new Map<string, string>();
  const one = (from: string, abs: string, st: fs.BigIntStats, to: string): void => {
    const existing = fs.lstatSync(to, { throwIfNoEntry: false });
    const action: RestoreAction = { op: 'skip', from, to };
    if (existing) {
      // the top was checked by restore(): only an empty DEST for a whole snapshot gets here
      if (!overwrite && to !== top) throw new SnapshotError(`${to} exists; not overwriting it`);
      if (existing.isDirectory() && !st.isDirectory())
        throw new SnapshotError(`${to} is a directory; not replacing it by a ${kind(st)}`);
      action.replace = true;
    }
    const key = inodeKey(st);
    const first = st.isDirectory() ? undefined : linked.get(key);
    if (first !== undefined) {
      action.op = 'link';
      action.target = first;
    } else if (st.isDirectory()) {
      action.op = 'mkdir';
    } else if (st.isFile()) {
      action.op = 'copy';
      action.size = Number(st.size);
    } else if (st.isSymbolicLink()) {
      action.op = 'symlink';
      action.target = fs.readlinkSync(abs);
    } else {
      action.note = `${kind(st)} not restored`;
    }
    if (!st.isDirectory() && action.op !== 'skip' && first === undefined) linked.set(key, to);
    steps.push({ action, src: abs, st });
  };
  one(rel, src, fs.lstatSync(src, { bigint: true }), top);
  if (steps[0]!.st.isDirectory()) {
    walkTree(src, (e) => one(rel === '' ? e.rel : `${rel}/${e.rel}`, e.abs, e.st, path.join(top, e.rel)));
  }
  return steps;
}

function kind(st: fs.BigIntStats): string {
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'device';
  return st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'file';
}

const seconds = (ns: bigint): number => Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;

function setMeta(p: string, st: fs.BigIntStats): void {
  if (process.getuid?.() === 0) fs.lchownSync(p, Number(st.uid), Number(st.gid));
  if (st.isSymbolicLink()) {
    fs.lutimesSync(p, seconds(st.atimeNs), seconds(st.mtimeNs));
    return;
  }
  fs.chmodSync(p, Number(st.mode & 0o7777n));
  fs.utimesSync(p, seconds(st.atimeNs), seconds(st.mtimeNs));
}

/** Creates `to` through a temporary name beside it, then renames it into place. */
function put(to: string, make: (tmp: string) => void): void {
  const tmp = path.join(path.dirname(to), `.${path.basename(to)}.tsrsync-restore.${process.pid}`);
  fs.rmSync(tmp, { force: true });
  try {
    make(tmp);
    fs.renameSync(tmp, to);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function execute(steps: readonly Step[]): void {
  const dirs: Step[] = [];
  for (const s of steps) {
    const { action: a, src, st } = s;
    switch (a.op) {
      case 'mkdir': {
        const cur = fs.lstatSync(a.to, { throwIfNoEntry: false });
        if (cur && !cur.isDirectory()) fs.unlinkSync(a.to);
        if (!cur?.isDirectory()) fs.mkdirSync(a.to, { mode: 0o700 });
        else if ((cur.mode & 0o700) !== 0o700) fs.chmodSync(a.to, cur.mode | 0o700);
        dirs.push(s);
        break;
      }
      case 'copy':
        put(a.to, (tmp) => {
          fs.copyFileSync(src, tmp, fs.constants.COPYFILE_FICLONE);
          setMeta(tmp, st);
        });
        break;
      case 'symlink':
        put(a.to, (tmp) => {
          fs.symlinkSync(fs.readlinkSync(src, 'buffer'), Buffer.from(tmp));
          setMeta(tmp, st);
        });
        break;
      case 'link':
        put(a.to, (tmp) => fs.linkSync(a.target!, tmp));
        break;
      case 'skip':
        break;
    }
  }
  // directories last, deepest first: their contents would change their mtime
  for (let i = dirs.length - 1; i >= 0; i--) setMeta(dirs[i]!.action.to, dirs[i]!.st);
}
