/**
 * File-list entry codec for protocols 27-32, both directions.
 *
 * Ports the wire behaviour of flist.c:send_file_entry() / recv_file_entry()
 * and the end-of-list handling of flist.c:send_file_list() /
 * recv_file_list(). Both sides keep "previous entry" state (name prefix,
 * mode, times, ids, rdev, dev) that carries across sub-lists, exactly as
 * rsync's static variables do; use one encoder / decoder per connection
 * direction.
 *
 * Not supported: ACLs (-A), xattrs (-X), --iconv. The decoder refuses to run
 * with options it cannot parse, so a stream never silently desynchronises.
 */
import {
  IOERR_MASK,
  LIMITS,
  MAXPATHLEN,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  XMIT,
} from '../constants.js';
import { ProtocolError, ShortRead } from '../errors.js';
import { tweakMode, type ChmodRule } from '../options/chmod.js';
import { checkHeap, HEAP_CHECK_EVERY } from '../session/heap-guard.js';
import type { WireReader } from '../wire/reader.js';
import type { WireWriter } from '../wire/writer.js';
import { checkReceivedName, decodeUtf8, encodeUtf8, isDirectChild } from './names.js';

export interface HardLink {
  /**
   * Index (ndx_start of its list + position in transmission order) of the
   * first member of the hard-link group. On a first member it is the
   * entry's own index. Decoder: always set. Encoder (proto >= 30): used when
   * dev/ino are absent.
   */
  firstNdx?: number;
  /** This entry is the group's first member (proto >= 30: XMIT_HLINK_FIRST). */
  first?: boolean;
  /** proto >= 30 decoder: the entry was abbreviated and its fields copied from the first member. */
  abbreviated?: boolean;
  /**
   * Device number (proto < 30 on the wire; encoder input for any protocol).
   * A file's identity, compared exactly: the scanner gives the bigints of
   * lstat() (an overlayfs inode number can exceed 2^53, where numbers collide),
   * the decoder gives bigints.
   */
  dev?: number | bigint;
  /** Inode number (proto < 30 on the wire; encoder input for any protocol). As `dev`. */
  ino?: number | bigint;
}

export interface FileEntry {
  /** UTF-8 decoded, cleaned path relative to the transfer root. */
  name: string;
  /** The cleaned path bytes (authoritative; `name` may contain U+FFFD for non-UTF-8 names). */
  nameBytes: Uint8Array;
  /** Unix st_mode with standard type bits. */
  mode: number;
  /** st_size (symlinks: target length; devices/specials: 0). */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  mtimeNsec?: number;
  /** --atimes, non-directories. */
  atime?: number;
  /** --crtimes. */
  crtime?: number;
  uid?: number;
  gid?: number;
  user?: string;
  group?: string;
  /** Devices (and, proto < 31 with --specials, specials). */
  rdevMajor?: number;
  rdevMinor?: number;
  /** Symlink target (with -l). */
  linkTarget?: string;
  linkTargetBytes?: Uint8Array;
  hardLink?: HardLink;
  /** --checksum file sum (regular files). */
  checksum?: Uint8Array;
  /**
   * XMIT flags. Decoder: exactly as received. Encoder input: only TOP_DIR and
   * NO_CONTENT_DIR (directories) are taken from here; the rest is computed.
   */
  flags: number;
  /** Decoder: index assigned in transmission order (ndx_start + position). */
  ndx?: number;
}

export interface FlistOptions {
  protocol: number;
  /** CF_VARINT_FLIST_FLAGS negotiated. */
  varintFlistFlags?: boolean;
  /** CF_SAFE_FLIST negotiated (proto 30); implied for proto >= 31. */
  safeFlist?: boolean;
  preserveUid?: boolean;
  preserveGid?: boolean;
  preserveLinks?: boolean;
  preserveDevices?: boolean;
  preserveSpecials?: boolean;
  preserveHardLinks?: boolean;
  preserveAtimes?: boolean;
  preserveCrtimes?: boolean;
  /** -c: a checksum of `checksumLength` bytes follows each regular file. */
  alwaysChecksum?: boolean;
  checksumLength?: number;
  /** CF_INC_RECURSE negotiated. */
  incRecurse?: boolean;
  /** --numeric-ids: no names are sent. */
  numericIds?: boolean;
  /** -R: names may start with '/'. */
  relativePaths?: boolean;
  /** --delete-missing-args: mode 0 entries are allowed. */
  missingArgs?: boolean;
  /** Reserved: names are always carried as bytes; `name` is a UTF-8 rendering. */
  utf8?: boolean;
  /** -A / -X are not supported by this codec; set to refuse clearly. */
  preserveAcls?: boolean;
  preserveXattrs?: boolean;
  /** Bound on entries per decoder (default LIMITS.MAX_FLIST_ENTRIES). */
  maxEntries?: number;
  /** Decoder: --chmod rules applied to each received mode (flist.c:recv_file_entry()). */
  chmod?: readonly ChmodRule[] | undefined;
}

export function isDir(mode: number): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}
export function isReg(mode: number): boolean {
  return (mode & S_IFMT) === S_IFREG;
}
export function isLink(mode: number): boolean {
  return (mode & S_IFMT) === S_IFLNK;
}
export function isDevice(mode: number): boolean {
  const t = mode & S_IFMT;
  return t === S_IFCHR || t === S_IFBLK;
}
export function isSpecial(mode: number): boolean {
  const t = mode & S_IFMT;
  return t === S_IFIFO || t === S_IFSOCK;
}
export function isValidModeType(mode: number): boolean {
  const t = mode & S_IFMT;
  return (
    t === S_IFREG ||
    t === S_IFDIR ||
    t === S_IFLNK ||
    t === S_IFCHR ||
    t === S_IFBLK ||
    t === S_IFIFO ||
    t === S_IFSOCK
  );
}

/** Linux dev_t (32-bit, glibc layout) from major/minor; used only by proto 27. */
export function makeDev32(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & 0xfff00) << 12) | 0;
}
export function devMajor32(dev: number): number {
  return (dev >>> 8) & 0xfff;
}
export function devMinor32(dev: number): number {
  return ((dev & 0xff) | ((dev >>> 12) & 0xfff00)) >>> 0;
}

interface PrevState {
  name: Uint8Array;
  mtime: number;
  atime: number;
  crtime: number;
  mode: number;
  uid: number;
  gid: number;
  rdev: number; // proto 27 raw dev_t
  rdevMajor: number;
  rdevMinor: number;
  /** proto < 30 hard links: the last device number sent or received (the wire carries it + 1). */
  dev: bigint;
}

function freshState(): PrevState {
  return {
    name: new Uint8Array(0),
    mtime: 0,
    atime: 0,
    crtime: 0,
    mode: 0,
    uid: 0,
    gid: 0,
    rdev: 0,
    rdevMajor: 0,
    rdevMinor: 0,
    dev: 0n,
  };
}

function checkOptions(o: FlistOptions): void {
  if (!Number.isInteger(o.protocol) || o.protocol < 27 || o.protocol > 40)
    throw new RangeError(`unsupported protocol ${o.protocol}`);
  if (o.preserveAcls || o.preserveXattrs)
    throw new ProtocolError('ACL/xattr file-list data is not supported');
  if (o.alwaysChecksum) {
    const n = o.checksumLength ?? 0;
    if (!Number.isInteger(n) || n < 1 || n > LIMITS.MAX_DIGEST_LEN)
      throw new RangeError(`bad checksumLength ${n}`);
  }
}

function safeFlist(o: FlistOptions): boolean {
  return o.protocol >= 31 || (o.protocol >= 30 && o.safeFlist === true);
}

/** Read a user/group name that follows an id (uidlist.c:recv_user_name()). */
export function readIdName(r: WireReader): string | undefined {
  const len = r.u8();
  if (len === 0) return undefined;
  const b = r.bytes(len);
  for (const c of b)
    if (c < 0x20 || c === 0x7f) throw new ProtocolError('control character in user/group name');
  return decodeUtf8(b);
}

export class FileListDecoder {
  readonly opts: Readonly<FlistOptions>;
  private st: PrevState = freshState();
  #spare: PrevState = freshState();
  /** io_error from the most recent end-of-list marker (masked with 7). */
  lastIoError = 0;
  /** uid -> name and gid -> name learned from entries (inc-recurse) or set by the id lists. */
  readonly uidNames = new Map<number, string>();
  readonly gidNames = new Map<number, string>();
  private ndxStart = 0;
  private current: FileEntry[] = [];
  private expectedDir: Uint8Array | undefined;
  private total = 0;
  private hlinkFirsts = new Set<number>();
  private idev = new Map<string, number>();

  constructor(opts: FlistOptions) {
    checkOptions(opts);
    this.opts = { ...opts };
    this.ndxStart = opts.incRecurse ? 1 : 0;
  }

  /**
   * Begin a new (sub-)list. `ndxStart` is its first index. With inc-recurse,
   * `dirName` is the announced directory's cleaned name ("" for the first list):
   * every entry must lie directly in it.
   */
  startList(ndxStart: number, dirName?: Uint8Array | string): void {
    this.ndxStart = ndxStart;
    this.current = [];
    this.expectedDir =
      dirName === undefined ? undefined : typeof dirName === 'string' ? encodeUtf8(dirName) : dirName;
  }

  /** Entries decoded so far in the current list (transmission order). */
  get entries(): readonly FileEntry[] {
    return this.current;
  }

  /** Decode one entry, or 'end' at the end-of-list marker. Rewinds on ShortRead. */
  decode(r: WireReader): FileEntry | 'end' {
    const start = r.offset;
    try {
      return this.decodeInner(r);
    } catch (e) {
      if (e instanceof ShortRead) r.offset = start;
      throw e;
    }
  }

  private decodeInner(r: WireReader): FileEntry | 'end' {
    const o = this.opts;
    const proto = o.protocol;
    let flags: number;
    if (o.varintFlistFlags) {
      flags = r.varint();
      if (flags === 0) {
        const err = r.varint();
        this.lastIoError = err & IOERR_MASK;
        return 'end';
      }
    } else {
      flags = r.u8();
      if (flags === 0) {
        this.lastIoError = 0;
        return 'end';
      }
      if (proto >= 28 && flags & XMIT.EXTENDED_FLAGS) flags |= r.u8() << 8;
      if (flags === (XMIT.EXTENDED_FLAGS | XMIT.IO_ERROR_ENDLIST) && proto >= 28) {
        if (!safeFlist(o)) throw new ProtocolError(`invalid flist flags 0x${flags.toString(16)}`);
        this.lastIoError = r.varint() & IOERR_MASK;
        return 'end';
      }
    }
    if (this.total >= (o.maxEntries ?? LIMITS.MAX_FLIST_ENTRIES))
      throw new ProtocolError('too many file-list entries');

    // decode into the spare state; it becomes current only when the entry is complete
    const st = copyState(this.#spare, this.st);
    const ndx = this.ndxStart + this.current.length;

    // name
    const l1 = flags & XMIT.SAME_NAME ? r.u8() : 0;
    let l2: number;
    if (flags & XMIT.LONG_NAME) l2 = proto >= 30 ? r.varint() : r.i32();
    else l2 = r.u8();
    if (l1 > st.name.length)
      throw new ProtocolError(`name prefix ${l1} longer than previous name (${st.name.length})`);
    if (l2 < 0 || l2 >= MAXPATHLEN - l1) throw new ProtocolError(`file name too long (l1=${l1} l2=${l2})`);
    const raw = new Uint8Array(l1 + l2);
    raw.set(st.name.subarray(0, l1));
    raw.set(r.bytes(l2), l1);
    st.name = raw;
    const nameBytes = checkReceivedName(raw, o.relativePaths ? { relativePaths: true } : {});
    if (o.incRecurse && this.expectedDir !== undefined && !isDirectChild(nameBytes, this.expectedDir)) {
      throw new ProtocolError(
        `invalid path from sender (not in the announced directory): ${decodeUtf8(nameBytes)}`,
      );
    }

    // hard-link follower (proto >= 30)
    let first: FileEntry | undefined;
    let firstHlinkNdx = -1;
    if (proto >= 28 && flags & XMIT.HLINKED && !o.preserveHardLinks) {
      throw new ProtocolError('HLINKED flag without --hard-links');
    }
    if (proto >= 30 && flags & XMIT.HLINKED && !(flags & XMIT.HLINK_FIRST)) {
      firstHlinkNdx = r.varint();
      if (firstHlinkNdx < 0 || firstHlinkNdx >= ndx) {
        throw new ProtocolError(`hard-link reference out of range: ${firstHlinkNdx} (${ndx})`);
      }
      if (!this.hlinkFirsts.has(firstHlinkNdx))
        throw new ProtocolError(`hard-link reference ${firstHlinkNdx} is not a hard-link leader`);
      if (firstHlinkNdx >= this.ndxStart) first = this.current[firstHlinkNdx - this.ndxStart];
    }

    const entry: FileEntry = new DecodedEntry(nameBytes, flags, ndx);

    if (first !== undefined) {
      // Abbreviated entry: everything comes from the first member.
      entry.mode = first.mode;
      entry.size = first.size;
      entry.mtime = first.mtime;
      copyOptional(entry, first);
      st.mode = first.mode;
      st.mtime = first.mtime;
      if (first.atime !== undefined) st.atime = first.atime;
      if (first.crtime !== undefined) st.crtime = first.crtime;
      if (first.uid !== undefined) st.uid = first.uid;
      if (first.gid !== undefined) st.gid = first.gid;
      if (first.rdevMajor !== undefined) st.rdevMajor = first.rdevMajor;
      entry.hardLink = { firstNdx: firstHlinkNdx, first: false, abbreviated: true };
      this.finish(entry, st);
      return entry;
    }

    let size = proto >= 30 ? r.varlong(3) : r.longint();
    if (!(flags & XMIT.SAME_TIME)) st.mtime = proto >= 30 ? r.varlong(4) : r.u32();
    entry.mtime = st.mtime;
    if (flags & XMIT.MOD_NSEC) {
      const ns = r.varint();
      if (ns < 0 || ns > LIMITS.MAX_WIRE_NSEC) throw new ProtocolError(`modtime_nsec out of range: ${ns}`);
      entry.mtimeNsec = ns;
    }
    if (o.preserveCrtimes) {
      st.crtime = flags & XMIT.CRTIME_EQ_MTIME ? st.mtime : r.varlong(4);
      entry.crtime = st.crtime;
    }
    if (!(flags & XMIT.SAME_MODE)) {
      const m = r.i32() >>> 0;
      if (m > 0xffff || ((m !== 0 || !o.missingArgs) && !isValidModeType(m))) {
        throw new ProtocolError(`invalid file mode 0${m.toString(8)} for ${entry.name}`);
      }
      st.mode = m;
    }
    // flist.c:recv_file_entry() tweaks the remembered mode itself, so an entry sent
    // with XMIT_SAME_MODE starts from the previous entry's tweaked mode
    if (o.chmod && st.mode !== 0 && !isLink(st.mode)) st.mode = tweakMode(st.mode, o.chmod);
    const mode = st.mode;
    entry.mode = mode;
    if (o.preserveAtimes && !isDir(mode)) {
      if (!(flags & XMIT.SAME_ATIME)) st.atime = r.varlong(4);
      entry.atime = st.atime;
    }
    if (o.preserveUid) {
      if (!(flags & XMIT.SAME_UID)) {
        if (proto < 30) st.uid = r.i32() >>> 0;
        else {
          st.uid = r.varint() >>> 0;
          if (flags & XMIT.USER_NAME_FOLLOWS) {
            const n = readIdName(r);
            if (n !== undefined) this.uidNames.set(st.uid, n);
          }
        }
      }
      entry.uid = st.uid;
      const n = this.uidNames.get(st.uid);
      if (n !== undefined) entry.user = n;
    }
    if (o.preserveGid) {
      if (!(flags & XMIT.SAME_GID)) {
        if (proto < 30) st.gid = r.i32() >>> 0;
        else {
          st.gid = r.varint() >>> 0;
          if (flags & XMIT.GROUP_NAME_FOLLOWS) {
            const n = readIdName(r);
            if (n !== undefined) this.gidNames.set(st.gid, n);
          }
        }
      }
      entry.gid = st.gid;
      const n = this.gidNames.get(st.gid);
      if (n !== undefined) entry.group = n;
    }
    if ((o.preserveDevices && isDevice(mode)) || (o.preserveSpecials && isSpecial(mode) && proto < 31)) {
      if (proto < 28) {
        if (!(flags & XMIT.SAME_RDEV_PRE28)) st.rdev = r.i32();
        st.rdevMajor = devMajor32(st.rdev);
        st.rdevMinor = devMinor32(st.rdev);
      } else {
        if (!(flags & XMIT.SAME_RDEV_MAJOR)) st.rdevMajor = (proto >= 30 ? r.varint() : r.i32()) >>> 0;
        if (proto >= 30) st.rdevMinor = r.varint() >>> 0;
        else if (flags & XMIT.RDEV_MINOR_8_PRE30) st.rdevMinor = r.u8();
        else st.rdevMinor = r.i32() >>> 0;
      }
      if (isDevice(mode)) {
        entry.rdevMajor = st.rdevMajor;
        entry.rdevMinor = st.rdevMinor;
      }
      size = 0;
    } else if (isDevice(mode)) {
      size = 0;
    } else if (proto < 28) {
      st.rdev = 0;
    }
    if (size < 0) throw new ProtocolError(`negative file length for ${entry.name}`);
    entry.size = size;
    if (o.preserveLinks && isLink(mode)) {
      const len = proto >= 30 ? r.varint() : r.i32();
      if (len <= 0 || len >= MAXPATHLEN) throw new ProtocolError(`bad symlink target length ${len}`);
      const t = r.bytes(len);
      if (t.includes(0)) throw new ProtocolError('symlink target contains NUL');
      entry.linkTargetBytes = t.slice();
      entry.linkTarget = decodeUtf8(t);
    }
    let hlinked = (flags & XMIT.HLINKED) !== 0;
    if (o.preserveHardLinks && proto < 28 && isReg(mode)) hlinked = true;
    if (o.preserveHardLinks && hlinked) {
      if (proto >= 30) {
        if (flags & XMIT.HLINK_FIRST) {
          entry.hardLink = { firstNdx: ndx, first: true };
        } else {
          // reference into an earlier sub-list: a full entry follows
          entry.hardLink = { firstNdx: firstHlinkNdx, first: false };
        }
      } else {
        if (!(flags & XMIT.SAME_DEV_PRE30) || proto < 28) st.dev = r.longintBig() - 1n;
        const ino = r.longintBig();
        const key = `${st.dev}:${ino}`;
        const f = this.idev.get(key);
        entry.hardLink = { dev: st.dev, ino, firstNdx: f ?? ndx, first: f === undefined };
      }
    }
    if (o.alwaysChecksum && (isReg(mode) || proto < 28)) {
      const sum = r.bytes(o.checksumLength ?? 0);
      if (isReg(mode)) entry.checksum = sum.slice();
    }
    this.finish(entry, st);
    return entry;
  }

  private finish(entry: FileEntry, st: PrevState): void {
    const nb = entry.nameBytes;
    if (nb.length === 1 && nb[0] === 0x2e && !isDir(entry.mode)) {
      throw new ProtocolError('rejecting non-directory transfer-root entry "."');
    }
    // side effects only once the whole entry was read (a ShortRead retry re-decodes it)
    const hl = entry.hardLink;
    if (hl?.first && entry.ndx !== undefined) {
      if (hl.dev !== undefined && hl.ino !== undefined) this.idev.set(`${hl.dev}:${hl.ino}`, entry.ndx);
      else this.hlinkFirsts.add(entry.ndx);
    }
    this.#spare = this.st;
    this.st = st;
    this.current.push(entry);
    if (++this.total % HEAP_CHECK_EVERY === 0) checkHeap('flist_expand');
  }
}

/** A decoded entry; `name` (a UTF-8 rendering for messages) is made only when asked for. */
class DecodedEntry implements FileEntry {
  mode = 0;
  size = 0;
  mtime = 0;
  #name: string | undefined;
  constructor(
    readonly nameBytes: Uint8Array,
    public flags: number,
    public ndx: number,
  ) {}
  get name(): string {
    return (this.#name ??= decodeUtf8(this.nameBytes));
  }
  set name(v: string) {
    this.#name = v;
  }
}

function copyState(to: PrevState, from: PrevState): PrevState {
  to.name = from.name;
  to.mtime = from.mtime;
  to.atime = from.atime;
  to.crtime = from.crtime;
  to.mode = from.mode;
  to.uid = from.uid;
  to.gid = from.gid;
  to.rdev = from.rdev;
  to.rdevMajor = from.rdevMajor;
  to.rdevMinor = from.rdevMinor;
  to.dev = from.dev;
  return to;
}

function copyOptional(to: FileEntry, from: FileEntry): void {
  if (from.mtimeNsec !== undefined) to.mtimeNsec = from.mtimeNsec;
  if (from.atime !== undefined) to.atime = from.atime;
  if (from.crtime !== undefined) to.crtime = from.crtime;
  if (from.uid !== undefined) to.uid = from.uid;
  if (from.gid !== undefined) to.gid = from.gid;
  if (from.user !== undefined) to.user = from.user;
  if (from.group !== undefined) to.group = from.group;
  if (from.rdevMajor !== undefined) to.rdevMajor = from.rdevMajor;
  if (from.rdevMinor !== undefined) to.rdevMinor = from.rdevMinor;
  if (from.linkTarget !== undefined) to.linkTarget = from.linkTarget;
  if (from.linkTargetBytes !== undefined) to.linkTargetBytes = from.linkTargetBytes;
  if (from.checksum !== undefined) to.checksum = from.checksum;
}

/** The fields the encoder reads from an entry (`name`/`nameBytes`: give either). */
export type EncodableEntry = Omit<FileEntry, 'name' | 'nameBytes' | 'flags' | 'ndx'> & {
  name?: string;
  nameBytes?: Uint8Array;
  flags?: number;
};

export class FileListEncoder {
  readonly opts: Readonly<FlistOptions>;
  private st: PrevState = freshState();
  private ndxStart = 0;
  private used = 0;
  private idev = new Map<string, number>();
  private namedUids = new Set<number>();
  private namedGids = new Set<number>();
  /** uid/gid -> name collected for the id lists sent after the file list (non-inc-recurse). */
  readonly uidNames = new Map<number, string>();
  readonly gidNames = new Map<number, string>();

  constructor(opts: FlistOptions) {
    checkOptions(opts);
    this.opts = { ...opts };
    this.ndxStart = opts.incRecurse ? 1 : 0;
  }

  /** Begin a new (sub-)list whose first index is `ndxStart`. */
  startList(ndxStart: number): void {
    this.ndxStart = ndxStart;
    this.used = 0;
  }

  /** Encode one entry; returns the index it was given (ndx_start + transmission position). */
  encode(w: WireWriter, e: EncodableEntry): number {
    const o = this.opts;
    const proto = o.protocol;
    const st = this.st;
    const ndx = this.ndxStart + this.used;
    const name = e.nameBytes ?? encodeUtf8(e.name ?? '');
    if (name.length === 0 || name.length >= MAXPATHLEN)
      throw new RangeError(`bad file name length ${name.length}`);
    const mode = e.mode;
    if (!isValidModeType(mode) && !(mode === 0 && o.missingArgs))
      throw new RangeError(`bad mode 0${mode.toString(8)}`);

    let xflags = 0;
    if (isDir(mode)) {
      const f = e.flags ?? 0;
      xflags = proto >= 30 ? f & (XMIT.TOP_DIR | XMIT.NO_CONTENT_DIR) : f & XMIT.TOP_DIR;
    }
    if (mode === st.mode) xflags |= XMIT.SAME_MODE;
    else st.mode = mode;

    let rdevMajor = e.rdevMajor ?? 0;
    let rdevMinor = e.rdevMinor ?? 0;
    const sendRdev =
      (o.preserveDevices && isDevice(mode)) || (o.preserveSpecials && isSpecial(mode) && proto < 31);
    if (o.preserveDevices && isDevice(mode)) {
      if (proto < 28) {
        const raw = makeDev32(rdevMajor, rdevMinor);
        if (raw === st.rdev) xflags |= XMIT.SAME_RDEV_PRE28;
        else st.rdev = raw;
      } else {
        if (rdevMajor === st.rdevMajor) xflags |= XMIT.SAME_RDEV_MAJOR;
        else st.rdevMajor = rdevMajor;
        if (proto < 30 && rdevMinor <= 0xff) xflags |= XMIT.RDEV_MINOR_8_PRE30;
      }
    } else if (o.preserveSpecials && isSpecial(mode) && proto < 31) {
      if (proto < 28) {
        xflags |= XMIT.SAME_RDEV_PRE28;
      } else {
        rdevMajor = st.rdevMajor;
        rdevMinor = 0;
        xflags |= XMIT.SAME_RDEV_MAJOR;
        if (proto < 30) xflags |= XMIT.RDEV_MINOR_8_PRE30;
      }
    } else if (proto < 28) {
      st.rdev = 0;
    }

    const uid = e.uid ?? 0;
    const gid = e.gid ?? 0;
    let userName: Uint8Array | undefined;
    let groupName: Uint8Array | undefined;
    if (!o.preserveUid || (uid === st.uid && st.name.length > 0)) xflags |= XMIT.SAME_UID;
    else {
      st.uid = uid;
      if (!o.numericIds && e.user !== undefined && !this.namedUids.has(uid)) {
        this.namedUids.add(uid);
        if (uid !== 0) this.uidNames.set(uid, e.user);
        if (o.incRecurse && proto >= 30) {
          userName = encodeUtf8(e.user).subarray(0, 255);
          xflags |= XMIT.USER_NAME_FOLLOWS;
        }
      }
    }
    if (!o.preserveGid || (gid === st.gid && st.name.length > 0)) xflags |= XMIT.SAME_GID;
    else {
      st.gid = gid;
      if (!o.numericIds && e.group !== undefined && !this.namedGids.has(gid)) {
        this.namedGids.add(gid);
        if (gid !== 0) this.gidNames.set(gid, e.group);
        if (o.incRecurse && proto >= 30) {
          groupName = encodeUtf8(e.group).subarray(0, 255);
          xflags |= XMIT.GROUP_NAME_FOLLOWS;
        }
      }
    }
    if (proto < 30 && !Number.isInteger(e.mtime)) throw new RangeError('mtime must be an integer');
    if (e.mtime === st.mtime) xflags |= XMIT.SAME_TIME;
    else st.mtime = e.mtime;
    if (e.mtimeNsec && proto >= 31) xflags |= XMIT.MOD_NSEC;
    if (o.preserveAtimes && !isDir(mode)) {
      const a = e.atime ?? 0;
      if (a === st.atime) xflags |= XMIT.SAME_ATIME;
      else st.atime = a;
    }
    const crtime = e.crtime ?? e.mtime;
    if (o.preserveCrtimes && crtime === e.mtime) xflags |= XMIT.CRTIME_EQ_MTIME;

    let firstHlinkNdx = -1;
    const hl = e.hardLink;
    const hlinked = o.preserveHardLinks === true && hl !== undefined && !isDir(mode);
    if (hlinked) {
      if (proto >= 30) {
        if (hl.dev !== undefined && hl.ino !== undefined) {
          const key = `${hl.dev}:${hl.ino}`;
          const f = this.idev.get(key);
          if (f === undefined) {
            this.idev.set(key, ndx);
            xflags |= XMIT.HLINK_FIRST;
          } else firstHlinkNdx = f;
        } else if (hl.firstNdx === undefined || hl.firstNdx === ndx || hl.first) {
          xflags |= XMIT.HLINK_FIRST;
        } else {
          if (hl.firstNdx < 0 || hl.firstNdx > ndx)
            throw new RangeError(`bad hard-link firstNdx ${hl.firstNdx}`);
          firstHlinkNdx = hl.firstNdx;
        }
      } else {
        if (hl.dev === undefined || hl.ino === undefined)
          throw new RangeError('proto < 30 hard links need dev and ino');
        const dev = BigInt(hl.dev);
        if (dev === st.dev) {
          if (proto >= 28) xflags |= XMIT.SAME_DEV_PRE30;
        } else st.dev = dev;
      }
      if (proto >= 28) xflags |= XMIT.HLINKED;
    }

    let l1 = 0;
    const prev = st.name;
    while (l1 < prev.length && l1 < name.length && l1 < 255 && prev[l1] === name[l1]) l1++;
    const l2 = name.length - l1;
    if (l1 > 0) xflags |= XMIT.SAME_NAME;
    if (l2 > 255) xflags |= XMIT.LONG_NAME;

    if (o.varintFlistFlags) {
      w.varint(xflags || XMIT.EXTENDED_FLAGS);
    } else if (proto >= 28) {
      if (!xflags && !isDir(mode)) xflags |= XMIT.TOP_DIR;
      if (xflags & 0xff00 || !xflags) {
        xflags |= XMIT.EXTENDED_FLAGS;
        w.u16(xflags);
      } else w.u8(xflags);
    } else {
      if (!(xflags & 0xff)) xflags |= isDir(mode) ? XMIT.LONG_NAME : XMIT.TOP_DIR;
      if (xflags & ~0xff) throw new RangeError(`flags 0x${xflags.toString(16)} do not fit protocol 27`);
      w.u8(xflags);
    }
    if (xflags & XMIT.SAME_NAME) w.u8(l1);
    if (xflags & XMIT.LONG_NAME) {
      if (proto >= 30) w.varint(l2);
      else w.i32(l2);
    } else w.u8(l2);
    w.bytes(name.subarray(l1));
    st.name = name.slice();

    if (firstHlinkNdx >= 0) {
      w.varint(firstHlinkNdx);
      if (firstHlinkNdx >= this.ndxStart) {
        this.used++;
        return ndx;
      }
    }
    const size = e.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad size ${size}`);
    if (proto >= 30) w.varlong(size, 3);
    else w.longint(size);
    if (!(xflags & XMIT.SAME_TIME)) {
      if (proto >= 30) w.varlong(e.mtime, 4);
      else w.u32(e.mtime >>> 0);
    }
    if (xflags & XMIT.MOD_NSEC) w.varint(e.mtimeNsec ?? 0);
    if (o.preserveCrtimes && !(xflags & XMIT.CRTIME_EQ_MTIME)) w.varlong(crtime, 4);
    if (!(xflags & XMIT.SAME_MODE)) w.i32(mode);
    if (o.preserveAtimes && !isDir(mode) && !(xflags & XMIT.SAME_ATIME)) w.varlong(e.atime ?? 0, 4);
    if (o.preserveUid && !(xflags & XMIT.SAME_UID)) {
      if (proto < 30) w.i32(uid);
      else {
        w.varint(uid);
        if (userName) w.u8(userName.length).bytes(userName);
      }
    }
    if (o.preserveGid && !(xflags & XMIT.SAME_GID)) {
      if (proto < 30) w.i32(gid);
      else {
        w.varint(gid);
        if (groupName) w.u8(groupName.length).bytes(groupName);
      }
    }
    if (sendRdev) {
      if (proto < 28) {
        if (!(xflags & XMIT.SAME_RDEV_PRE28)) w.i32(st.rdev);
      } else {
        if (!(xflags & XMIT.SAME_RDEV_MAJOR)) {
          if (proto >= 30) w.varint(rdevMajor);
          else w.i32(rdevMajor);
        }
        if (proto >= 30) w.varint(rdevMinor);
        else if (xflags & XMIT.RDEV_MINOR_8_PRE30) w.u8(rdevMinor);
        else w.i32(rdevMinor);
      }
    }
    if (o.preserveLinks && isLink(mode)) {
      const t = e.linkTargetBytes ?? encodeUtf8(e.linkTarget ?? '');
      if (t.length === 0 || t.length >= MAXPATHLEN)
        throw new RangeError(`bad symlink target length ${t.length}`);
      if (proto >= 30) w.varint(t.length);
      else w.i32(t.length);
      w.bytes(t);
    }
    if (o.preserveHardLinks && proto < 30) {
      const h = hlinked ? hl : undefined;
      if (proto < 28 ? isReg(mode) : h !== undefined) {
        if (h?.dev === undefined || h.ino === undefined)
          throw new RangeError('proto < 30 hard links need dev and ino');
        if (!(xflags & XMIT.SAME_DEV_PRE30) || proto < 28) w.longint(BigInt(h.dev) + 1n);
        w.longint(BigInt(h.ino));
      }
    }
    if (o.alwaysChecksum && (isReg(mode) || proto < 28)) {
      const n = o.checksumLength ?? 0;
      const sum = isReg(mode) ? e.checksum : undefined;
      if (sum !== undefined && sum.length !== n) throw new RangeError(`checksum must be ${n} bytes`);
      w.bytes(sum ?? new Uint8Array(n));
    }
    this.used++;
    return ndx;
  }

  /**
   * End the current list. io_error goes inside the marker when possible;
   * returns false when it could not (proto 30 without CF_SAFE_FLIST: send
   * MSG_IO_ERROR; proto < 30: write the int32 io_error after the id lists).
   */
  end(w: WireWriter, ioError = 0): boolean {
    const o = this.opts;
    if (o.varintFlistFlags) {
      w.varint(0).varint(ioError);
      return true;
    }
    if (ioError !== 0 && safeFlist(o)) {
      w.u16(XMIT.EXTENDED_FLAGS | XMIT.IO_ERROR_ENDLIST).varint(ioError);
      return true;
    }
    w.u8(0);
    return ioError === 0;
  }
}
