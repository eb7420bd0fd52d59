/**
 * Where things live under a snapshot ROOT:
 *
 *   ROOT/<name>/                  complete snapshots (name = UTC time, time.ts)
 *   ROOT/latest -> <name>         relative symlink to the newest complete one
 *   ROOT/.tsrsync/staging/        the snapshot being built (resumed after a crash)
 *   ROOT/.tsrsync/manifests/      <name>.json per snapshot, outside the trees
 *   ROOT/.tsrsync/trash/          snapshots being deleted (finished after a crash)
 *   ROOT/.tsrsync/journal.json    renames of an rsnapshot rotation in progress
 *
 * A snapshot becomes visible only by the rename of the staging directory, so
 * a reader never sees half of one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseSnapshotName } from './time.js';

export const META_DIR = '.tsrsync';
export const LATEST = 'latest';

export class Layout {
  readonly root: string;
  readonly meta: string;
  readonly staging: string;
  readonly stagingInfo: string;
  readonly manifests: string;
  readonly trash: string;
  readonly journal: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.meta = path.join(this.root, META_DIR);
    this.staging = path.join(this.meta, 'staging');
    this.stagingInfo = path.join(this.meta, 'staging.json');
    this.manifests = path.join(this.meta, 'manifests');
    this.trash = path.join(this.meta, 'trash');
    this.journal = path.join(this.meta, 'journal.json');
  }

  snapshot(name: string): string {
    return path.join(this.root, name);
  }

  manifest(name: string): string {
    return path.join(this.manifests, `${name}.json`);
  }

  /** Creates ROOT (0700 when new, as rsnapshot does) and the metadata dirs. */
  ensure(): void {
    if (!fs.existsSync(this.root)) fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    for (const d of [this.meta, this.manifests, this.trash]) fs.mkdirSync(d, { recursive: true });
  }

  /** Complete snapshots, oldest first. */
  list(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.filter((n) => parseSnapshotName(n) !== undefined && isDir(path.join(this.root, n))).sort();
  }

  /** The name `latest` points to, if it is a complete snapshot. */
  latest(): string | undefined {
    try {
      const t = fs.readlinkSync(path.join(this.root, LATEST));
      return parseSnapshotName(t) && isDir(path.join(this.root, t)) ? t : undefined;
    } catch {
      return undefined;
    }
  }

  /** Points `latest` at `name` (or removes it) by renaming a new symlink over it. */
  setLatest(name: string | undefined): void {
    const link = path.join(this.root, LATEST);
    if (name === undefined) {
      fs.rmSync(link, { force: true });
      return;
    }
    const tmp = path.join(this.meta, `latest.${process.pid}.tmp`);
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(name, tmp);
    fs.renameSync(tmp, link);
    fsyncDir(this.root);
  }
}

export function isDir(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Makes a rename or create in `dir` durable. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported on this filesystem */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Writes a file atomically: temp file, fsync, rename, fsync of the dir. */
export function writeFileAtomic(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}
