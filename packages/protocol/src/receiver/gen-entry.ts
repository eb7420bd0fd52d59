/**
 * generator.c:recv_generator() for one entry: directories, symlinks,
 * special files, hard-link members and regular files (quick check, or a
 * transfer request with the basis file's block sums).
 */
import type { StatLike } from '../local/stat.js';
import { FNAMECMP, ITEM, SIGNIFICANT_ITEM_FLAGS } from '../constants.js';
import { FL, type ListEntry } from '../flist/file-list.js';
import { isDevice, isDir, isLink, isReg, isSpecial } from '../flist/file-entry.js';
import { bytesEqual } from '../flist/names.js';
import { dirOf, nameKey } from '../local/fs-names.js';
import { errCode } from '../local/sys-error.js';
import { ProtocolError } from '../errors.js';
import { destMode, itemizeFlags, setFileAttrs } from './attrs.js';
import { DEL } from './delete.js';
import type { Generator } from './generator.js';
import type { HardLinkGroup } from './hardlinks.js';
import { requestTransfer, quickCheckOk } from './gen-file.js';
import { trySymlinkAltDest } from './alt-dest.js';
import { MUNGE_PREFIX } from '../sender/scan.js';

/** Is `e` inside directory `d` (is_below())? */
function isBelow(e: ListEntry, d: ListEntry): boolean {
  const dn = d.nameBytes;
  if (dn.length === 1 && dn[0] === 0x2e) return true;
  const n = e.nameBytes;
  return n.length > dn.length && n[dn.length] === 0x2f && bytesEqual(n.subarray(0, dn.length), dn);
}

/**
 * Sends an itemize record when rsync would (itemize(): significant flags, -vv
 * / -ii, or an xname), or logs it directly below protocol 29.
 */
export function itemize(
  g: Generator,
  e: ListEntry,
  ndx: number,
  st: StatLike | undefined,
  iflags: number,
  xname?: Uint8Array,
): number {
  const ctx = g.ctx;
  const flags = itemizeFlags(ctx, e, st, iflags, xname);
  const o = ctx.o;
  const wanted =
    flags & SIGNIFICANT_ITEM_FLAGS ||
    o.verbose >= 2 ||
    o.itemize >= 2 ||
    (xname !== undefined && xname.length > 0);
  if (!wanted || ctx.s.protocol < 29) {
    if (ctx.s.protocol < 29 && wanted)
      ctx.reporter.item?.({ name: ctx.nameOf(e), entry: e, iflags: flags, hlink: xname });
    return flags;
  }
  g.writeItem(ndx, flags, undefined, xname);
  return flags;
}

/** recv_generator(): `level` 1 = full handling, -1 = inc-recurse dir seen in its parent's list, 0 = redo/retry. */
/**
 * generator.c:recv_generator(). Returns a promise only when the entry needs to wait (a
 * transfer request, a hard-link group, an alternate destination): an unchanged file
 * costs no promise and no microtask.
 */
export function genEntry(g: Generator, e: ListEntry, ndx: number, level: number): Promise<void> | undefined {
  const ctx = g.ctx;
  const o = ctx.o;
  const dir = isDir(e.mode);
  const dirLevel = !dir
    ? 0
    : ctx.s.incRecurse && level !== 0 && ndx !== (ctx.flist.listFor(ndx)?.ndxStart ?? 0) - 1
      ? -1
      : 1;
  if (o.listOnly) {
    if (dirLevel >= 0 && !(dir && e.fl & FL.IMPLIED_DIR)) ctx.reporter.list?.(e);
    return;
  }
  if (g.skipDir) {
    if (isBelow(e, g.skipDir)) {
      if (dir) e.fl |= FL.MISSING_DIR;
      return;
    }
    g.skipDir = undefined;
  }
  const rel = ctx.nameOf(e);
  if (!ctx.s.incRecurse && ctx.localName === undefined) {
    const parent = dirOf(e.nameBytes);
    if (parent.length > 0 && !g.listedDirs.has(nameKey(parent))) {
      throw new ProtocolError(`ABORTING due to invalid path from sender: ${ctx.display(e.nameBytes)}`);
    }
  }
  let st: StatLike | undefined;
  if (g.dryMissing && isBelow(e, g.dryMissing)) st = undefined;
  else {
    g.dryMissing = undefined;
    const pre = level === 1 ? g.preStat : undefined;
    g.preStat = undefined;
    try {
      st =
        pre !== undefined
          ? (pre ?? undefined)
          : level === 1 && !dir && g.inFreshDir(e)
            ? undefined
            : ctx.dest.lstat(rel);
    } catch (err) {
      ctx.sysFail(`recv_generator: failed to stat ${ctx.full(rel)}`, err);
      return;
    }
  }
  if (o.existing && !st) {
    if (dir) {
      if (dirLevel < 0) return;
      g.skipDir = e;
      e.fl |= FL.MISSING_DIR;
    }
    return;
  }
  if (o.ignoreExisting && st && (!dir || !st.isDirectory())) return;
  if (dir) return genDir(g, e, ndx, rel, st, dirLevel);

  if (!o.perms)
    e.mode = destMode(
      e.mode,
      st ? Number(st.mode) : 0,
      ctx.dfltPerms,
      !!st && !st.isDirectory(),
      o.executability,
    );

  const hlGroup = o.hardLinks && e.gnum !== undefined ? g.hl.group(e) : undefined;
  if (hlGroup && g.csumLength === 2) {
    if (hlGroup.leader) return linkMember(g, e, hlGroup.leader);
    if (hlGroup.inTransfer && hlGroup.inTransfer !== e) {
      hlGroup.waiters.push(e);
      e.fl |= FL.FILE_SENT;
      const list = ctx.flist.listFor(ndx);
      if (ctx.s.incRecurse && list) list.inProgress++;
      return;
    }
  }

  // generator.c:recv_generator(): what is not created is skipped aloud (info NONREG is on
  // unless --quiet, also without -v)
  const skipping = () => {
    if (!o.quiet) ctx.message('info', `skipping non-regular file "${ctx.display(rel)}"\n`);
  };
  if (isLink(e.mode)) {
    if (o.links) return genSymlink(g, e, ndx, rel, st);
    skipping();
    return;
  }
  if (isDevice(e.mode) || isSpecial(e.mode)) {
    if ((isDevice(e.mode) && ctx.amRoot && o.devices) || (isSpecial(e.mode) && o.specials)) {
      ctx.message(
        'error-xfer',
        `rsync: [generator] mknod ${ctx.full(rel)} failed: Function not implemented (38) -- tsrsync cannot create ${isDevice(e.mode) ? 'devices' : 'fifos or sockets'} from Node.js\n`,
      );
    } else skipping();
    return;
  }
  if (!isReg(e.mode)) return;
  return genFile(g, e, ndx, rel, st);
}

async function genDir(
  g: Generator,
  e: ListEntry,
  ndx: number,
  rel: Uint8Array,
  st: StatLike | undefined,
  dirLevel: number,
): Promise<void> {
  const ctx = g.ctx;
  const o = ctx.o;
  const addedPerms = 0;
  if (dirLevel < 0) {
    // inc-recurse: create a missing dir now so the parent's mtime can be set; full handling later
    if (!o.times || o.omitDirTimes) return;
    if (
      st &&
      (st.isDirectory() || g.deleter.deleteItem(rel, Number(st.mode), DEL.MAKE_ROOM | delOpts(g)) !== 'ok')
    )
      return;
    if (o.dryRun) return;
    try {
      ctx.dest.mkdir(rel, (e.mode | addedPerms) & 0o700);
      e.fl |= FL.DIR_CREATED;
      g.createdDir(e);
    } catch {
      /* reported when the directory is handled in full */
    }
    return;
  }
  if (st && !st.isDirectory()) {
    if (g.deleter.deleteItem(rel, Number(st.mode), DEL.MAKE_ROOM | delOpts(g)) !== 'ok') {
      ctx.message('error', '*** Skipping any contents from this failed directory ***\n');
      g.skipDir = e;
      e.fl |= FL.MISSING_DIR;
      return;
    }
    st = undefined;
  }
  if (o.dryRun && !st) {
    g.dryMissing ??= e;
    e.fl |= FL.MISSING_DIR;
  }
  const realSt = st;
  const exists = !!st && !(e.fl & FL.DIR_CREATED);
  if (!o.perms) e.mode = destMode(e.mode, st ? Number(st.mode) : 0, ctx.dfltPerms, exists, false);
  itemize(g, e, ndx, exists ? st : undefined, exists ? 0 : ITEM.LOCAL_CHANGE);
  if (!realSt && !o.dryRun) {
    try {
      ctx.dest.mkdir(rel, e.mode | addedPerms);
      g.createdDir(e);
    } catch (err) {
      if (errCode(err) !== 'EEXIST') {
        ctx.sysFail(`recv_generator: mkdir ${ctx.full(rel)} failed`, err);
        ctx.message('error', '*** Skipping any contents from this failed directory ***\n');
        g.skipDir = e;
        e.fl |= FL.MISSING_DIR;
        return;
      }
    }
  }
  if (o.dryRun) return;
  setFileAttrs(ctx, rel, e, undefined);
  ctx.dest.verifyDir(rel, ((realSt ? Number(realSt.mode) : 0) | e.mode) & 0o2000 ? true : false);
  if (!ctx.amRoot && (e.mode & 0o700) !== 0o700 && ctx.localName === undefined) {
    try {
      ctx.dest.chmod(rel, (e.mode | 0o700) & 0o7777);
      g.tweakedDirs.add(e);
    } catch (err) {
      ctx.sysFail(`failed to modify permissions on ${ctx.full(rel)}`, err);
    }
  }
  const del = g.deleteMode;
  if (
    !ctx.s.incRecurse &&
    (del === 'during' || del === 'delay') &&
    g.phase === 0 &&
    !(e.fl & FL.MISSING_DIR) &&
    e.fl & FL.CONTENT_DIR
  ) {
    g.deleter.deleteInDir(e, rel);
  }
}

function delOpts(g: Generator): number {
  return g.ctx.o.delete !== undefined || g.ctx.o.force ? DEL.RECURSE : 0;
}

/** Is a symlink target unsafe (util1.c:unsafe_symlink()): absolute, or climbing out of the tree. */
export function unsafeSymlink(target: Uint8Array, name: Uint8Array): boolean {
  if (target.length === 0 || target[0] === 0x2f) return true;
  let depth = 0;
  for (const c of name) if (c === 0x2f) depth++;
  for (const comp of Buffer.from(target).toString('latin1').split('/')) {
    if (comp === '..') {
      if (--depth < 0) return true;
    } else if (comp !== '' && comp !== '.') depth++;
  }
  return false;
}

async function genSymlink(
  g: Generator,
  e: ListEntry,
  ndx: number,
  rel: Uint8Array,
  st: StatLike | undefined,
): Promise<void> {
  const ctx = g.ctx;
  const target = e.linkTargetBytes ?? new Uint8Array(0);
  if (ctx.o.safeLinks && unsafeSymlink(target, e.nameBytes)) {
    if (ctx.o.verbose > 0)
      ctx.message('info', `ignoring unsafe symlink "${ctx.display(rel)}" -> "${ctx.display(target)}"\n`);
    return;
  }
  if (st) {
    if (st.isSymbolicLink()) {
      let cur: Buffer | undefined;
      try {
        cur = ctx.dest.readlink(rel);
        if (ctx.o.mungeLinks && cur.subarray(0, MUNGE_PREFIX.length).equals(MUNGE_PREFIX))
          cur = cur.subarray(MUNGE_PREFIX.length);
      } catch {
        cur = undefined;
      }
      if (cur && bytesEqual(cur, target)) {
        setFileAttrs(ctx, rel, e, st);
        itemize(g, e, ndx, st, 0);
        if (ctx.o.hardLinks && e.gnum !== undefined) await g.finishLeader(e);
        return;
      }
    }
  } else if (ctx.altDirs.length > 0 && (await trySymlinkAltDest(g, e, ndx, rel))) return;
  if (ctx.o.dryRun) {
    itemize(g, e, ndx, st?.isSymbolicLink() ? st : undefined, ITEM.LOCAL_CHANGE | ITEM.REPORT_CHANGE);
    return;
  }
  // syscall.c:do_symlink() with munge_symlinks
  const made = ctx.o.mungeLinks ? Buffer.concat([MUNGE_PREFIX, target]) : target;
  if (!atomicCreate(g, rel, st, (tmp) => ctx.dest.symlink(made, tmp))) return;
  setFileAttrs(ctx, rel, e, undefined);
  itemize(g, e, ndx, st?.isSymbolicLink() ? st : undefined, ITEM.LOCAL_CHANGE | ITEM.REPORT_CHANGE);
  if (ctx.o.hardLinks && e.gnum !== undefined) await g.finishLeader(e);
}

/**
 * generator.c:atomic_create(): create an item where something may already
 * be: made under a temporary name and renamed over it, or directly when the
 * name is free. A directory in the way is removed first.
 */
export function atomicCreate(
  g: Generator,
  rel: Uint8Array,
  st: StatLike | undefined,
  make: (name: Uint8Array) => void,
): boolean {
  const ctx = g.ctx;
  try {
    if (!st) {
      make(rel);
      return true;
    }
    if (st.isDirectory()) {
      if (g.deleter.deleteItem(rel, Number(st.mode), DEL.MAKE_ROOM | delOpts(g)) !== 'ok') return false;
      make(rel);
      return true;
    }
    const tmp = ctx.dest.uniqueSibling(rel);
    make(tmp);
    try {
      ctx.dest.rename(tmp, rel);
    } catch (err) {
      try {
        ctx.dest.unlink(tmp);
      } catch {
        /* already gone */
      }
      throw err;
    }
    return true;
  } catch (err) {
    ctx.sysFail(`symlink/link ${ctx.full(rel)} failed`, err);
    return false;
  }
}

/** hlink.c:maybe_hard_link(): make `e` a hard link to `leader` (unless it already is one). */
export async function linkMember(g: Generator, e: ListEntry, leader: Uint8Array): Promise<void> {
  const ctx = g.ctx;
  const rel = ctx.nameOf(e);
  const st = ctx.dest.lstat(rel);
  const lst = ctx.dest.lstat(leader);
  e.fl |= FL.HLINK_DONE;
  if (st && lst && st.dev === lst.dev && st.ino === lst.ino) {
    itemize(g, e, e.index, st, ITEM.LOCAL_CHANGE | ITEM.XNAME_FOLLOWS, new Uint8Array(0));
    return;
  }
  if (!ctx.o.dryRun) {
    if (!lst) {
      ctx.sysFail(`stat ${ctx.full(leader)} failed`, Object.assign(new Error(''), { code: 'ENOENT' }));
      return;
    }
    if (!atomicCreate(g, rel, st, (tmp) => ctx.dest.link(leader, tmp))) return;
  }
  itemize(g, e, e.index, st, ITEM.LOCAL_CHANGE | ITEM.XNAME_FOLLOWS, leader);
}

/** touch_up_dirs() for one directory: restore its permissions and mtime after its contents changed. */
export function touchUpDir(g: Generator, e: ListEntry): void {
  const ctx = g.ctx;
  if (ctx.o.listOnly || e.fl & (FL.MISSING_DIR | FL.CLEARED)) return;
  const rel = ctx.nameOf(e);
  const fixPerms = g.tweakedDirs.has(e);
  const times = ctx.o.times && !ctx.o.omitDirTimes;
  if (!fixPerms && !times) return;
  try {
    if (fixPerms) ctx.dest.chmod(rel, e.mode);
    if (times) {
      const st = ctx.dest.lstat(rel);
      if (st && st.isDirectory()) setFileAttrs(ctx, rel, e, st);
    }
  } catch (err) {
    ctx.sysFail(`failed to set attributes on ${ctx.full(rel)}`, err);
  }
}

function genFile(
  g: Generator,
  e: ListEntry,
  ndx: number,
  rel: Uint8Array,
  st: StatLike | undefined,
): Promise<void> | undefined {
  const ctx = g.ctx;
  const o = ctx.o;
  const redo = g.csumLength !== 2;
  if (!redo) {
    if (o.maxSize !== undefined && e.size > o.maxSize) {
      if (o.verbose > 0) ctx.message('info', `${ctx.display(rel)} is over max-size\n`);
      return;
    }
    if (o.minSize !== undefined && e.size < o.minSize) {
      if (o.verbose > 0) ctx.message('info', `${ctx.display(rel)} is under min-size\n`);
      return;
    }
    if (o.update && st && st.isFile() && e.mtime - Number(st.mtimeNs / 1_000_000_000n) < o.modifyWindow) {
      if (o.verbose > 0) ctx.message('info', `${ctx.display(rel)} is newer\n`);
      return;
    }
  }
  if (st && !st.isFile()) {
    if (g.deleter.deleteItem(rel, Number(st.mode), DEL.MAKE_ROOM | delOpts(g)) !== 'ok') return;
    st = undefined;
  }
  const group = o.hardLinks && e.gnum !== undefined ? g.hl.group(e) : undefined;
  if (!redo && ctx.altDirs.length > 0 && (!st || o.altDest?.kind !== 'copy'))
    return genFileAltDest(g, e, ndx, rel, st, group);
  return genFileHere(g, e, ndx, rel, st, group);
}

/** genFile() with --link-dest/--copy-dest/--compare-dest directories to look in first. */
async function genFileAltDest(
  g: Generator,
  e: ListEntry,
  ndx: number,
  rel: Uint8Array,
  st: StatLike | undefined,
  group: HardLinkGroup | undefined,
): Promise<void> {
  const handled = await g.altDest.regular(e, ndx, rel, st);
  if (handled === 'done') {
    if (group) await g.finishLeader(e);
    return;
  }
  if (!st && handled !== undefined)
    return requestTransfer(g, e, ndx, rel, handled.st, handled.type, group, handled.abs);
  return genFileHere(g, e, ndx, rel, st, group);
}

/** The rest of genFile(): wait for a hard-link group, skip an unchanged file, or ask for it. */
function genFileHere(
  g: Generator,
  e: ListEntry,
  ndx: number,
  rel: Uint8Array,
  st: StatLike | undefined,
  group: HardLinkGroup | undefined,
): Promise<void> | undefined {
  const ctx = g.ctx;
  if (!st) {
    if (group && !g.hl.isLast(e)) {
      group.waiters.push(e);
      e.fl |= FL.FILE_SENT;
      const list = ctx.flist.listFor(ndx);
      if (ctx.s.incRecurse && list) list.inProgress++;
      return;
    }
    return requestTransfer(g, e, ndx, rel, undefined, FNAMECMP.FNAME, group);
  }
  if (g.csumLength === 2 && quickCheckOk(g, e, rel, st)) {
    if (!g.altDest.copyOnWrite(e, ndx, rel, st)) {
      setFileAttrs(ctx, rel, e, st, { accurateTime: ctx.o.checksum });
      itemize(g, e, ndx, st, 0);
    }
    return group ? g.finishLeader(e) : undefined;
  }
  return requestTransfer(g, e, ndx, rel, st, FNAMECMP.FNAME, group);
}
