/**
 * --link-dest / --compare-dest / --copy-dest (generator.c: try_dests_reg(),
 * try_dests_non(), copy_altdest_file()). Each dir is scored for an entry:
 * 1 = a regular file is there, 2 = it also passes the quick check,
 * 3 = its attributes match too. Level 3 links (link-dest), skips
 * (compare-dest) or copies (copy-dest); level 2 is copied locally with the new
 * attributes, so an older snapshot's inode never changes; level 1 is a delta
 * basis.
 */
import fs from 'node:fs';
import type { StatLike } from '../local/stat.js';
import { FNAMECMP, ITEM } from '../constants.js';
import { FL, type ListEntry } from '../flist/file-list.js';
import { bytesEqual } from '../flist/names.js';
import { joinPath } from '../local/fs-names.js';
import { errCode } from '../local/sys-error.js';
import { setFileAttrs, unchangedAttrs } from './attrs.js';
import { itemize } from './gen-entry.js';
import type { Generator } from './generator.js';
import { quickCheckOk } from './gen-file.js';

export type AltResult = 'done' | { st: StatLike; type: number; abs: Buffer } | undefined;

export class AltDest {
  constructor(private readonly g: Generator) {}

  #lstat(abs: Buffer): StatLike | undefined {
    try {
      return fs.lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    } catch {
      return undefined;
    }
  }

  /** try_dests_reg(); `existing` = the destination's stat when it exists (only an exact match is used then). */
  async regular(e: ListEntry, ndx: number, rel: Uint8Array, existing?: StatLike): Promise<AltResult> {
    const g = this.g;
    const ctx = g.ctx;
    const kind = ctx.o.altDest?.kind ?? 'link';
    let best = -1;
    let level = 0;
    let bestSt: StatLike | undefined;
    for (let j = 0; j < ctx.altDirs.length; j++) {
      const abs = joinPath(ctx.altDirs[j]!, e.nameBytes);
      const st = this.#lstat(abs);
      if (!st || !st.isFile()) continue;
      if (level === 0) {
        best = j;
        level = 1;
        bestSt = st;
      }
      if (!quickCheckOk(g, e, abs, st, true)) continue;
      if (level === 1) {
        best = j;
        level = 2;
        bestSt = st;
      }
      if (unchangedAttrs(ctx, e, st)) {
        best = j;
        level = 3;
        bestSt = st;
        break;
      }
    }
    if (level === 0 || !bestSt) return existing ? undefined : this.#elsewhere(e, ndx, rel);
    const abs = joinPath(ctx.altDirs[best]!, e.nameBytes);
    if (level === 3 && kind !== 'copy') {
      if (existing) {
        if (kind === 'link' && existing.dev === bestSt.dev && existing.ino === bestSt.ino) return undefined;
        if (!ctx.o.dryRun) {
          try {
            ctx.dest.unlink(rel);
          } catch (err) {
            if (errCode(err) !== 'ENOENT') return undefined;
          }
        }
      }
      if (kind === 'link') {
        if (!ctx.o.dryRun) {
          try {
            ctx.dest.linkFrom(abs, rel);
          } catch (err) {
            this.#linkFailed(err, rel);
            return this.#copy(e, ndx, rel, abs, bestSt);
          }
        }
        e.fl |= FL.HLINK_DONE;
        ctx.stats.linkedFiles++;
        if (ctx.o.verbose >= 2 || ctx.o.itemize >= 2)
          itemize(g, e, ndx, bestSt, ITEM.LOCAL_CHANGE | ITEM.XNAME_FOLLOWS, new Uint8Array(0));
        return 'done';
      }
      itemize(g, e, ndx, bestSt, 0);
      return 'done';
    }
    if (existing) return undefined;
    if (level >= 2) return this.#copy(e, ndx, rel, abs, bestSt);
    return { st: bestSt, type: best, abs };
  }

  /**
   * A file new at its path: the basis finder's candidate (an earlier
   * snapshot's file with the same name and size, e.g. after a rename) is
   * linked when identical in content and attributes, copied when only the
   * attributes differ, and otherwise used as the delta basis. Not in rsync
   * (its --fuzzy looks only in the destination directory).
   */
  #elsewhere(e: ListEntry, ndx: number, rel: Uint8Array): AltResult {
    const ctx = this.g.ctx;
    const abs = ctx.basisFinder?.find(e);
    if (!abs) return undefined;
    const st = this.#lstat(abs);
    if (!st || !st.isFile() || st.size !== BigInt(e.size)) return undefined;
    if (quickCheckOk(this.g, e, abs, st, true)) {
      if (unchangedAttrs(ctx, e, st) && ctx.o.altDest?.kind === 'link') {
        if (!ctx.o.dryRun) {
          try {
            ctx.dest.linkFrom(abs, rel);
          } catch (err) {
            this.#linkFailed(err, rel);
            return this.#copy(e, ndx, rel, abs, st);
          }
        }
        e.fl |= FL.HLINK_DONE;
        ctx.stats.linkedFiles++;
        itemize(this.g, e, ndx, st, ITEM.LOCAL_CHANGE);
        return 'done';
      }
      return this.#copy(e, ndx, rel, abs, st);
    }
    ctx.basisOverride.set(ndx, abs);
    return { st, type: FNAMECMP.FNAME, abs };
  }

  /**
   * The destination file passes the quick check but its attributes must
   * change and it shares its inode with other paths (an older snapshot):
   * give it a new inode instead of rewriting theirs.
   */
  copyOnWrite(e: ListEntry, ndx: number, rel: Uint8Array, st: StatLike): boolean {
    const ctx = this.g.ctx;
    if (!ctx.breakSharedInodes || st.nlink <= 1n || unchangedAttrs(ctx, e, st)) return false;
    return this.#copy(e, ndx, rel, ctx.dest.path(rel), st) === 'done';
  }

  /** A link that could not be made becomes a copy; at the link limit that starts a new chain. */
  #linkFailed(err: unknown, rel: Uint8Array): void {
    if (errCode(err) === 'EMLINK')
      this.g.ctx.message(
        'warning',
        `${this.g.ctx.display(rel)}: link limit reached, copied (a new link chain starts)\n`,
      );
  }

  /** copy_altdest_file(): a local copy with the entry's attributes (never a link). */
  #copy(e: ListEntry, ndx: number, rel: Uint8Array, abs: Buffer, st: StatLike): AltResult {
    const g = this.g;
    const ctx = g.ctx;
    if (!ctx.o.dryRun) {
      const tmp = ctx.dest.openTemp(rel);
      fs.closeSync(tmp.fd);
      try {
        fs.copyFileSync(abs, ctx.dest.path(tmp.name), fs.constants.COPYFILE_FICLONE);
        setFileAttrs(ctx, tmp.name, e, undefined, { accurateTime: true });
        ctx.dest.rename(tmp.name, rel);
        ctx.stats.localCopies++;
      } catch (err) {
        try {
          ctx.dest.unlink(tmp.name);
        } catch {
          /* gone */
        }
        ctx.sysFail(`copy ${JSON.stringify(abs.toString())} -> ${ctx.full(rel)} failed`, err);
        return undefined;
      }
    }
    itemize(g, e, ndx, st, ITEM.LOCAL_CHANGE);
    return 'done';
  }
}

/** try_dests_non() for symlinks: link-dest hard-links an identical symlink, compare-dest skips it. */
export async function trySymlinkAltDest(
  g: Generator,
  e: ListEntry,
  ndx: number,
  rel: Uint8Array,
): Promise<boolean> {
  const ctx = g.ctx;
  const kind = ctx.o.altDest?.kind ?? 'link';
  const target = e.linkTargetBytes ?? new Uint8Array(0);
  for (const dir of ctx.altDirs) {
    const abs = joinPath(dir, e.nameBytes);
    let st: StatLike | undefined;
    try {
      st = fs.lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (!st || !st.isSymbolicLink()) continue;
    let cur: Buffer;
    try {
      cur = fs.readlinkSync(abs, { encoding: 'buffer' });
    } catch {
      continue;
    }
    if (!bytesEqual(cur, target) || !unchangedAttrs(ctx, e, st)) continue;
    if (kind === 'copy') return false;
    if (kind === 'link') {
      if (!ctx.o.dryRun) {
        try {
          ctx.dest.linkFrom(abs, rel);
        } catch {
          return false;
        }
      }
      ctx.stats.linkedFiles++;
    }
    return true;
  }
  void ndx;
  return false;
}
