/**
 * Turning local files into file-list entries (flist.c:make_file(),
 * readlink_stat()): lstat, the symlink target, hard-link identity, owner
 * names. Paths are bytes end to end, so any file name survives.
 */
import fs from 'node:fs';
import type { EncodableEntry } from '../flist/file-entry.js';
import { isDir, isLink, isReg } from '../flist/file-entry.js';
import type { IdNameLookup } from '../local/id-names.js';
import { tweakMode, type ChmodRule } from '../options/chmod.js';

/** An entry to send, with where it lives locally. */
export interface SendEntry extends EncodableEntry {
  nameBytes: Uint8Array;
  /** Local path to open (absolute or relative to the process cwd). */
  abs: Buffer;
  /** The directory's contents belong in the transfer (not a mount point, not -d without recursion). */
  contentDir: boolean;
  dev: bigint;
  ino: bigint;
  /** Set once the file's data was sent (FLAG_FILE_SENT). */
  sent?: boolean;
}

export interface ScanOptions {
  protocol: number;
  hardLinks: boolean;
  owner: boolean;
  group: boolean;
  numericIds: boolean;
  names: IdNameLookup;
  /** Strip the munge prefix from symlink targets (flist.c:readlink_stat() with munge_symlinks). */
  mungeLinks?: boolean | undefined;
  /** --chmod / a module's `outgoing chmod`: applied to the modes sent (flist.c:send_file_name()). */
  chmod?: readonly ChmodRule[] | undefined;
}

/** syscall.c: SYMLINK_PREFIX. */
export const MUNGE_PREFIX = Buffer.from('/rsyncd-munged/');

const NS = 1_000_000_000n;

/** The lstat() fields a file-list entry is made of (mtime split into seconds and nanoseconds). */
export interface StatFields {
  mode: number;
  size: number;
  mtime: number;
  mtimeNsec: number;
  uid: number;
  gid: number;
  nlink: number;
  rdev: number;
  dev: bigint;
  ino: bigint;
}

export function fieldsOfStat(st: fs.BigIntStats): StatFields {
  let mtime = st.mtimeNs / NS;
  let nsec = st.mtimeNs % NS;
  if (nsec < 0n) {
    nsec += NS;
    mtime -= 1n;
  }
  return {
    mode: Number(st.mode),
    size: Number(st.size),
    mtime: Number(mtime),
    mtimeNsec: Number(nsec),
    uid: Number(st.uid),
    gid: Number(st.gid),
    nlink: Number(st.nlink),
    rdev: Number(st.rdev),
    dev: st.dev,
    ino: st.ino,
  };
}

/** An entry from an lstat result (readlink() of a symlink may throw). */
export function entryFromStat(abs: Buffer, name: Uint8Array, st: fs.BigIntStats, o: ScanOptions): SendEntry {
  const target = st.isSymbolicLink() ? fs.readlinkSync(abs, { encoding: 'buffer' }) : undefined;
  return entryFromFields(abs, name, fieldsOfStat(st), target, o);
}

/** An entry from lstat fields and, for a symlink, its target. */
export function entryFromFields(
  abs: Buffer,
  name: Uint8Array,
  st: StatFields,
  linkTarget: Uint8Array | undefined,
  o: ScanOptions,
): SendEntry {
  const mode = st.mode;
  const e: SendEntry = {
    nameBytes: name,
    abs,
    mode,
    size: isDir(mode) || isReg(mode) ? st.size : 0,
    mtime: st.mtime,
    mtimeNsec: st.mtimeNsec,
    uid: st.uid,
    gid: st.gid,
    contentDir: true,
    dev: st.dev,
    ino: st.ino,
  };
  if (!o.numericIds) {
    const user = o.owner ? o.names.user(e.uid!) : undefined;
    const group = o.group ? o.names.group(e.gid!) : undefined;
    if (user !== undefined) e.user = user;
    if (group !== undefined) e.group = group;
  }
  if (isLink(mode)) {
    let t = linkTarget ?? new Uint8Array(0);
    if (
      o.mungeLinks &&
      t.length > MUNGE_PREFIX.length &&
      Buffer.from(t.buffer, t.byteOffset, MUNGE_PREFIX.length).equals(MUNGE_PREFIX)
    )
      t = t.subarray(MUNGE_PREFIX.length);
    e.linkTargetBytes = new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
    e.size = t.length;
  }
  const rdev = st.rdev;
  if (!isReg(mode) && !isDir(mode) && !isLink(mode)) {
    // Linux dev_t: major in bits 8-19 (and 32+), minor in 0-7 and 20-31
    e.rdevMajor = ((rdev >>> 8) & 0xfff) >>> 0;
    e.rdevMinor = ((rdev & 0xff) | ((rdev >>> 12) & 0xfff00)) >>> 0;
  }
  // flist.c:make_file(): the identity of a file that may be hard-linked
  const linkable = o.protocol >= 28 ? !isDir(mode) && st.nlink > 1 : isReg(mode);
  if (o.hardLinks && linkable) e.hardLink = { dev: st.dev, ino: st.ino };
  // flist.c:send_file_name(): the sender's chmod rules change what it lists, never a
  // symlink or a mode-0 entry
  if (o.chmod && mode !== 0 && !isLink(mode)) e.mode = tweakMode(mode, o.chmod);
  return e;
}

/** lstat (or stat when following), as BigInt stats; undefined when missing. */
export function statPath(p: Buffer, follow = false): fs.BigIntStats | undefined {
  return follow
    ? fs.statSync(p, { bigint: true, throwIfNoEntry: false })
    : fs.lstatSync(p, { bigint: true, throwIfNoEntry: false });
}
