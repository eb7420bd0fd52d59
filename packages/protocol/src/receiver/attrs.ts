/**
 * Attribute handling on the receiving side: rsync.c:dest_mode(),
 * set_file_attrs(); generator.c:itemize(), unchanged_attrs().
 */
import { tweakMode, type ChmodRule } from '../options/chmod.js';
import type { StatLike } from '../local/stat.js';
import { ITEM, S_IFMT } from '../constants.js';
import { isDir, isLink, isReg } from '../flist/file-entry.js';
import { FL, type ListEntry } from '../flist/file-list.js';
import fs from 'node:fs';
import { sameMtime, toLibuvTime } from '../local/dest-tree.js';
import type { ReceiveContext } from './context.js';

const CHMOD_BITS = 0o7777;

/** rsync.c:dest_mode(): the mode a file gets without -p. */
export function destMode(
  flistMode: number,
  statMode: number,
  dfltPerms: number,
  exists: boolean,
  executability: boolean,
): number {
  if (exists) {
    let m = (flistMode & ~CHMOD_BITS) | (statMode & CHMOD_BITS);
    if (executability && (flistMode & S_IFMT) === 0o100000) {
      if (!(flistMode & 0o111)) m &= ~0o111;
      else if (!(statMode & 0o111)) m |= (m & 0o444) >> 2;
    }
    return m;
  }
  return flistMode & (~CHMOD_BITS | dfltPerms);
}

/** The entry's owner and group mapped to local ids. */
export function localIds(ctx: ReceiveContext, e: ListEntry): { uid: number; gid: number } {
  return {
    uid: e.uid === undefined ? -1 : ctx.ids.uid(e.uid, e.user),
    gid: e.gid === undefined ? -1 : ctx.ids.gid(e.gid, e.group),
  };
}

function mtimeDiffers(ctx: ReceiveContext, st: StatLike, e: ListEntry): boolean {
  return !sameMtime(st, e.mtime, e.mtimeNsec ?? 0, ctx.o.modifyWindow);
}

function keepTime(ctx: ReceiveContext, e: ListEntry): boolean {
  if (!ctx.o.times) return false;
  if (isDir(e.mode)) return !ctx.o.omitDirTimes;
  if (isLink(e.mode)) return !ctx.o.omitLinkTimes;
  return true;
}

function permsDiffer(ctx: ReceiveContext, e: ListEntry, st: StatLike): boolean {
  if (isLink(e.mode)) return false; // Linux cannot chmod a symlink
  if (ctx.o.perms) return (Number(st.mode) & CHMOD_BITS) !== (e.mode & CHMOD_BITS);
  if (ctx.o.executability) return ((Number(st.mode) & 0o111) !== 0) !== ((e.mode & 0o111) !== 0);
  return false;
}

function ownerDiffers(ctx: ReceiveContext, e: ListEntry, st: StatLike): { uid: boolean; gid: boolean } {
  const ids = localIds(ctx, e);
  return {
    uid: ctx.amRoot && ctx.o.owner && e.uid !== undefined && Number(st.uid) !== ids.uid,
    gid: ctx.o.group && e.gid !== undefined && ctx.ids.canSetGroup(ids.gid) && Number(st.gid) !== ids.gid,
  };
}

/** generator.c:unchanged_attrs() */
export function unchangedAttrs(ctx: ReceiveContext, e: ListEntry, st: StatLike): boolean {
  if (isLink(e.mode)) {
    if (ctx.o.times && !ctx.o.omitLinkTimes && mtimeDiffers(ctx, st, e)) return false;
  } else if (ctx.o.times && mtimeDiffers(ctx, st, e)) return false;
  if (permsDiffer(ctx, e, st)) return false;
  const o = ownerDiffers(ctx, e, st);
  return !o.uid && !o.gid;
}

/**
 * generator.c:itemize(): the iflags for an item compared against `st`
 * (undefined = it did not exist).
 */
export function itemizeFlags(
  ctx: ReceiveContext,
  e: ListEntry,
  st: StatLike | undefined,
  iflags: number,
  xname: Uint8Array | undefined,
): number {
  if (st) {
    if (isReg(e.mode) && BigInt(e.size) !== st.size) iflags |= ITEM.REPORT_SIZE;
    if (e.fl & FL_TIME_FAILED) {
      if (iflags & ITEM.LOCAL_CHANGE) iflags |= ITEM.REPORT_TIME | ITEM.REPORT_TIMEFAIL;
    } else if (
      keepTime(ctx, e)
        ? mtimeDiffers(ctx, st, e)
        : iflags & (ITEM.TRANSFER | ITEM.LOCAL_CHANGE) &&
          !(iflags & ITEM.MATCHED) &&
          (!(iflags & ITEM.XNAME_FOLLOWS) || (xname?.length ?? 0) > 0)
    ) {
      iflags |= ITEM.REPORT_TIME;
    }
    if (permsDiffer(ctx, e, st)) iflags |= ITEM.REPORT_PERMS;
    const o = ownerDiffers(ctx, e, st);
    if (o.uid) iflags |= ITEM.REPORT_OWNER;
    if (o.gid) iflags |= ITEM.REPORT_GROUP;
  } else iflags |= ITEM.IS_NEW;
  return iflags & 0xffff;
}

/** Set when setting a symlink's time failed (rsync's FLAG_TIME_FAILED). */
export const FL_TIME_FAILED = 1 << 20;

const EUID = process.geteuid?.() ?? -2;
const EGID = process.getegid?.() ?? -2;

export const UPDATED = { OWNER: 1, GROUP: 2, MTIME: 4, MODE: 8 } as const;

/**
 * rsync.c:set_file_attrs(): owner/group, mtime, permissions of `rel` (a temp
 * file or the final name), compared with its current `st`. Returns UPDATED
 * bits; reports failures as transfer errors.
 */
export function setFileAttrs(
  ctx: ReceiveContext,
  rel: Uint8Array,
  e: ListEntry,
  st: StatLike | undefined,
  opts: { accurateTime?: boolean; mode?: number } = {},
): number {
  const mode = finalMode(ctx.o, e.mode, opts.mode ?? e.mode);
  if (ctx.o.dryRun) return 0;
  const cur = st ?? ctx.dest.lstat(rel);
  if (!cur) {
    ctx.sysFail(`stat ${ctx.full(rel)} failed`, Object.assign(new Error('missing'), { code: 'ENOENT' }));
    return 0;
  }
  let updated = 0;
  const link = isLink(e.mode);
  const o = ownerDiffers(ctx, e, cur);
  if (o.uid || o.gid) {
    const ids = localIds(ctx, e);
    try {
      ctx.dest.lchown(rel, o.uid ? ids.uid : Number(cur.uid), o.gid ? ids.gid : Number(cur.gid));
      if (o.uid) updated |= UPDATED.OWNER;
      if (o.gid) updated |= UPDATED.GROUP;
    } catch (err) {
      ctx.sysFail(`${o.uid ? 'chown' : 'chgrp'} ${ctx.full(rel)} failed`, err);
      return updated;
    }
  }
  const skipTime = !ctx.o.times || (isDir(e.mode) && ctx.o.omitDirTimes) || (link && ctx.o.omitLinkTimes);
  const differs = opts.accurateTime
    ? !sameMtime(cur, e.mtime, e.mtimeNsec ?? 0, -1)
    : mtimeDiffers(ctx, cur, e);
  if (!skipTime && differs) {
    try {
      const atime = Number(cur.atimeNs / 1000n) / 1e6;
      ctx.dest.setTimes(rel, atime, e.mtime, e.mtimeNsec ?? 0, link);
      updated |= UPDATED.MTIME;
    } catch (err) {
      if (link) e.fl |= FL_TIME_FAILED;
      else {
        ctx.sysFail(`failed to set times on ${ctx.full(rel)}`, err);
        return updated;
      }
    }
  }
  if (!link) {
    let want = mode & CHMOD_BITS;
    if (isDir(e.mode) && !ctx.o.perms && e.fl & FL.DIR_CREATED && Number(cur.mode) & 0o2000) want |= 0o2000;
    if ((Number(cur.mode) & CHMOD_BITS) !== want) {
      try {
        ctx.dest.chmod(rel, want);
        updated |= UPDATED.MODE;
      } catch (err) {
        ctx.sysFail(`failed to set permissions on ${ctx.full(rel)}`, err);
      }
    }
  }
  return updated;
}

/**
 * A freshly received temp file (mode 0600, our ids, mtime now) gets the
 * entry's owner, group, mtime and permissions through its descriptor, in
 * set_file_attrs()'s order (chown first: it may clear set-id bits).
 */
export function setTempAttrs(ctx: ReceiveContext, fd: number, e: ListEntry): void {
  const o = ctx.o;
  const ids = localIds(ctx, e);
  // the temp file is ours already: only a different id needs a chown
  let uid = ctx.amRoot && o.owner && e.uid !== undefined ? ids.uid : -1;
  let gid = o.group && e.gid !== undefined && ctx.ids.canSetGroup(ids.gid) ? ids.gid : -1;
  if (uid === EUID) uid = -1;
  if (gid === EGID && !ctx.dest.inSetgidDir(ctx.nameOf(e))) gid = -1;
  if (uid !== -1 || gid !== -1) {
    try {
      fs.fchownSync(fd, uid, gid);
    } catch (err) {
      ctx.sysFail(`${uid !== -1 ? 'chown' : 'chgrp'} ${ctx.full(ctx.nameOf(e))} failed`, err, 'receiver');
    }
  }
  if (o.times) fs.futimesSync(fd, Date.now() / 1000, toLibuvTime(e.mtime, e.mtimeNsec ?? 0));
  fs.fchmodSync(fd, finalMode(o, e.mode, e.mode) & CHMOD_BITS);
}

/**
 * The mode a file is finally given: a daemon module's `incoming chmod` once more
 * (rsync.c:set_file_attrs() with daemon_chmod_modes), then without set-user/group-ID
 * bits when the options say so (directories keep theirs).
 */
function finalMode(
  o: { stripSetId: boolean; daemonChmod: readonly ChmodRule[] | undefined },
  type: number,
  mode: number,
): number {
  let m = mode;
  if (o.daemonChmod && !isLink(type))
    m = (m & ~CHMOD_BITS) | (tweakMode((type & ~CHMOD_BITS) | (m & CHMOD_BITS), o.daemonChmod) & CHMOD_BITS);
  return o.stripSetId && !isDir(type) ? m & ~0o6000 : m;
}
