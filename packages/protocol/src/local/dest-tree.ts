/**
 * The receiving side's view of its destination directory. Every name is a
 * cleaned, relative byte path from the file list; every operation joins it to
 * the root. Writes inside a directory are only allowed once the generator has
 * seen that directory as a real directory (verifyDir), so a name can never
 * reach outside the root through a symlink the peer (or anything) left in the
 * tree: parents come before children in rsync's sort order, and the generator
 * replaces anything that is not a directory before recording it.
 */
import fs, { constants as C } from 'node:fs';
import type { StatLike } from './stat.js';
import { ProtocolError } from '../errors.js';
import { baseOf, concatName, dirOf, displayName, joinPath, nameKey } from './fs-names.js';
import { errCode } from './sys-error.js';

const NAME_MAX = 255;
const SUFFIX_LEN = 7; // ".XXXXXX"

export interface TempFile {
  fd: number;
  /** Temp name relative to the root. */
  name: Uint8Array;
}

export class DestTree {
  readonly root: Buffer;
  readonly #verified = new Set<string>(['']);

  constructor(root: string | Buffer) {
    this.root = typeof root === 'string' ? Buffer.from(root) : root;
    const st = fs.statSync(this.root, { throwIfNoEntry: false });
    if (st && st.mode & 0o2000) this.#setgid.add('');
  }

  path(rel: Uint8Array): Buffer {
    return joinPath(this.root, rel);
  }

  /** A quoted full name for messages ("/dest/dir/file"). */
  full(rel: Uint8Array): string {
    return `"${displayName(this.path(rel))}"`;
  }

  readonly #setgid = new Set<string>();

  /** Records that `rel` is a real directory we may write into (and whether new files inherit its group). */
  verifyDir(rel: Uint8Array, setgid = false): void {
    const k = nameKey(isDot(rel) ? new Uint8Array(0) : rel);
    this.#verified.add(k);
    if (setgid) this.#setgid.add(k);
    else this.#setgid.delete(k);
  }

  /** The directory holding `rel` is set-group-ID (files created in it take its group). */
  inSetgidDir(rel: Uint8Array): boolean {
    return this.#setgid.size > 0 && this.#setgid.has(nameKey(dirOf(rel)));
  }

  forgetDir(rel: Uint8Array): void {
    const k = nameKey(rel);
    for (const v of [...this.#verified]) if (v === k || v.startsWith(`${k}/`)) this.#verified.delete(v);
  }

  isVerifiedDir(rel: Uint8Array): boolean {
    return this.#verified.has(nameKey(isDot(rel) ? new Uint8Array(0) : rel));
  }

  /** Throws unless the parent of `rel` was verified as a directory. */
  assertParent(rel: Uint8Array): void {
    const d = dirOf(rel);
    if (!this.#verified.has(nameKey(d))) {
      throw new ProtocolError(
        `invalid path from sender (parent is not a verified directory): ${displayName(rel)}`,
      );
    }
  }

  /** lstat; undefined when nothing is there (ENOENT/ENOTDIR). */
  lstat(rel: Uint8Array): StatLike | undefined {
    return fs.lstatSync(this.path(rel), { bigint: true, throwIfNoEntry: false });
  }

  mkdir(rel: Uint8Array, mode: number): void {
    this.assertParent(rel);
    fs.mkdirSync(this.path(rel), { mode: mode & 0o7777 });
  }

  chmod(rel: Uint8Array, mode: number): void {
    fs.chmodSync(this.path(rel), mode & 0o7777);
  }

  lchown(rel: Uint8Array, uid: number, gid: number): void {
    fs.lchownSync(this.path(rel), uid, gid);
  }

  /** Sets mtime (and keeps atime), to the microsecond: libuv truncates finer values. */
  setTimes(rel: Uint8Array, atime: number, mtimeSec: number, mtimeNsec: number, symlink: boolean): void {
    const m = toLibuvTime(mtimeSec, mtimeNsec);
    if (symlink) fs.lutimesSync(this.path(rel), atime, m);
    else fs.utimesSync(this.path(rel), atime, m);
  }

  readlink(rel: Uint8Array): Buffer {
    return fs.readlinkSync(this.path(rel), { encoding: 'buffer' });
  }

  unlink(rel: Uint8Array): void {
    fs.unlinkSync(this.path(rel));
  }

  rmdir(rel: Uint8Array): void {
    fs.rmdirSync(this.path(rel));
    this.forgetDir(rel);
  }

  readdir(rel: Uint8Array): Buffer[] {
    return fs.readdirSync(this.path(rel), { encoding: 'buffer' });
  }

  rename(from: Uint8Array, to: Uint8Array): void {
    this.assertParent(to);
    fs.renameSync(this.path(from), this.path(to));
  }

  /** Hard link `existing` (inside the tree) to `rel`. */
  link(existing: Uint8Array, rel: Uint8Array): void {
    this.assertParent(rel);
    fs.linkSync(this.path(existing), this.path(rel));
  }

  /** Hard link an absolute path (an alt-dest file) to `rel`. */
  linkFrom(abs: Buffer, rel: Uint8Array): void {
    this.assertParent(rel);
    fs.linkSync(abs, this.path(rel));
  }

  symlink(target: Uint8Array, rel: Uint8Array): void {
    this.assertParent(rel);
    fs.symlinkSync(Buffer.from(target), this.path(rel));
  }

  /**
   * Creates `.name.XXXXXX` beside `rel` (receiver.c:get_tmpname()), mode 0600,
   * O_EXCL|O_NOFOLLOW.
   */
  openTemp(rel: Uint8Array): TempFile {
    this.assertParent(rel);
    for (let attempt = 0; ; attempt++) {
      const name = tempName(rel);
      try {
        const fd = fs.openSync(this.path(name), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        return { fd, name };
      } catch (e) {
        if (errCode(e) === 'EEXIST' && attempt < 100) continue;
        throw e;
      }
    }
  }

  /** A unique sibling name for atomic replacement of links/symlinks (get_tmpname(make_unique)). */
  uniqueSibling(rel: Uint8Array): Uint8Array {
    for (let attempt = 0; attempt < 100; attempt++) {
      const name = tempName(rel);
      if (this.lstat(name) === undefined) return name;
    }
    throw new Error(`cannot find a free temporary name for ${displayName(rel)}`);
  }

  /** Opens a basis file for reading: never follows a symlink, never blocks on a FIFO; regular files only. */
  openBasis(rel: Uint8Array): { fd: number; size: number } | undefined {
    return openRegular(this.path(rel));
  }

  /** Opens `rel` for writing in place (--inplace). */
  openInPlace(rel: Uint8Array): number {
    this.assertParent(rel);
    return fs.openSync(this.path(rel), C.O_WRONLY | C.O_CREAT | C.O_NOFOLLOW, 0o600);
  }
}

/** A basis for the receiver: a regular file (fd, size, mode), 'dir' when a directory is there, else undefined. */
export function openBasis(p: Buffer): { fd: number; size: number; mode: number } | 'dir' | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (e) {
    return errCode(e) === 'EISDIR' ? 'dir' : undefined;
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    return st.isDirectory() ? 'dir' : undefined;
  }
  return { fd, size: st.size, mode: st.mode };
}

/** Opens an absolute path read-only as a regular file (O_NOFOLLOW|O_NONBLOCK, then fstat). */
export function openRegular(p: Buffer): { fd: number; size: number } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch {
    return undefined;
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    return undefined;
  }
  return { fd, size: st.size };
}

function isDot(rel: Uint8Array): boolean {
  return rel.length === 1 && rel[0] === 0x2e;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `.basename.XXXXXX` in the same directory (receiver.c:get_tmpname()). */
export function tempName(rel: Uint8Array): Uint8Array {
  let base = baseOf(rel);
  if (base[0] === 0x2e) base = base.subarray(1);
  const max = NAME_MAX - 1 - SUFFIX_LEN;
  if (base.length > max) {
    let cut = max;
    // do not cut a multi-byte character in half
    if (base[cut]! & 0x80) while (cut > 0 && base[cut - 1]! & 0x80) cut--;
    base = base.subarray(0, cut);
  }
  if (base.length > 0 && base[base.length - 1] === 0x2e) base = base.subarray(0, base.length - 1);
  // like mkstemp's XXXXXX; O_EXCL makes a collision a retry, so no cryptographic randomness is needed
  let suffix = '.';
  for (let k = 0; k < 6; k++) suffix += ALNUM[(Math.random() * ALNUM.length) | 0];
  const leaf = Buffer.concat([Buffer.from('.'), base, Buffer.from(suffix)]);
  return concatName(dirOf(rel), leaf);
}

/**
 * libuv takes seconds as a double and truncates to microseconds; aim the
 * double at the middle of the wanted microsecond so rounding never lands one
 * below it.
 */
export function toLibuvTime(sec: number, nsec: number): number {
  const us = Math.floor(nsec / 1000);
  return sec + (us + 0.5) / 1e6;
}

/**
 * util1.c:same_time(): seconds only by default; `-@-1` (negative window) also
 * compares nanoseconds (to the microsecond, the precision we can set);
 * a positive window allows that many seconds of difference.
 */
export function sameMtime(st: StatLike, sec: number, nsec: number, modifyWindow = 0): boolean {
  const s = Number(st.mtimeNs / 1_000_000_000n);
  if (modifyWindow === 0) return s === sec;
  if (modifyWindow > 0) return Math.abs(s - sec) <= modifyWindow;
  if (s !== sec) return false;
  const ns = Number(st.mtimeNs % 1_000_000_000n);
  return ns === nsec || (ns % 1000 === 0 && Math.floor(nsec / 1000) * 1000 === ns);
}
