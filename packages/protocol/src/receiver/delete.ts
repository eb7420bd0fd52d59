/**
 * Deleting on the receiving side (delete.c: delete_item(),
 * delete_dir_contents(); generator.c: delete_in_dir(), do_delete_pass()).
 * Receiver-side filter rules protect what they exclude (unless
 * --delete-excluded); perishable rules do not protect inside a directory
 * that is being removed.
 */
import type { StatLike } from '../local/stat.js';
import { IOERR } from '../constants.js';
import { FL, type ListEntry } from '../flist/file-list.js';
import { isDir } from '../flist/file-entry.js';
import { concatName, nameKey } from '../local/fs-names.js';
import { errCode } from '../local/sys-error.js';
import type { ReceiveContext } from './context.js';

export const DEL = {
  RECURSE: 1,
  /** making room for a new item: not a --delete deletion (not logged or counted) */
  MAKE_ROOM: 2,
} as const;

export type DelResult = 'ok' | 'not-empty' | 'failed' | 'at-limit';

const S_IFMT = 0o170000;
const typeOf = (mode: number) => mode & S_IFMT;

export class Deleter {
  /** Names (latin1 keys) of every active entry received: what must not be deleted. */
  readonly keep = new Set<string>();
  skippedDeletes = 0;
  #warnedIoError = false;

  constructor(private readonly ctx: ReceiveContext) {}

  /** Adds a list's names to the keep set. */
  addList(entries: readonly ListEntry[]): void {
    for (const e of entries) if (!(e.fl & FL.CLEARED)) this.keep.add(nameKey(e.nameBytes));
  }

  #excluded(rel: Uint8Array, dir: boolean, insideRemoval: boolean): boolean {
    const r = this.ctx.filters.match(rel, dir, 'receiver', this.ctx.o.deleteExcluded);
    if (!r || r.include) return false;
    return !(insideRemoval && r.perishable);
  }

  /** delete_item() */
  deleteItem(rel: Uint8Array, mode: number, flags: number): DelResult {
    const ctx = this.ctx;
    const makeRoom = (flags & DEL.MAKE_ROOM) !== 0;
    if (typeOf(mode) === 0o040000) {
      const r = this.#deleteContents(rel, flags);
      if (r !== 'ok') {
        if (makeRoom) ctx.message('error-xfer', `could not make way for new item: ${ctx.display(rel)}\n`);
        return r;
      }
    }
    const max = ctx.o.maxDelete;
    if (!makeRoom && max !== undefined && ctx.stats.deletedFiles >= Math.max(0, max)) {
      this.skippedDeletes++;
      return 'at-limit';
    }
    if (!ctx.o.dryRun) {
      try {
        if (typeOf(mode) === 0o040000) ctx.dest.rmdir(rel);
        else ctx.dest.unlink(rel);
      } catch (e) {
        const code = errCode(e);
        if (code === 'ENOTEMPTY' || code === 'EEXIST') {
          ctx.message('info', `cannot delete non-empty directory: ${ctx.display(rel)}\n`);
          return 'not-empty';
        }
        if (code !== 'ENOENT') {
          ctx.sysFail(
            `delete_file: ${typeOf(mode) === 0o040000 ? 'rmdir' : 'unlink'}(${ctx.display(rel)}) failed`,
            e,
          );
          return 'failed';
        }
        return 'ok';
      }
    }
    if (!makeRoom) {
      const s = ctx.stats;
      s.deletedFiles++;
      const t = typeOf(mode);
      if (t === 0o040000) s.deletedDirs++;
      else if (t === 0o120000) s.deletedSymlinks++;
      else if (t === 0o020000 || t === 0o060000) s.deletedDevices++;
      else if (t !== 0o100000) s.deletedSpecials++;
      ctx.reporter.deleted?.(rel, t === 0o040000);
    }
    return 'ok';
  }

  /** delete_dir_contents(): empties a directory that is being removed. */
  #deleteContents(rel: Uint8Array, flags: number): DelResult {
    const ctx = this.ctx;
    let names: Buffer[];
    try {
      names = ctx.dest.readdir(rel);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return 'ok';
      ctx.sysFail(`opendir ${ctx.full(rel)} failed`, e);
      return 'failed';
    }
    if (names.length === 0) return 'ok';
    if (!(flags & DEL.RECURSE)) {
      ctx.message('info', `cannot delete non-empty directory: ${ctx.display(rel)}\n`);
      return 'not-empty';
    }
    let ret: DelResult = 'ok';
    // rsync walks the sorted dir list from the end
    names.sort(Buffer.compare);
    for (let i = names.length - 1; i >= 0; i--) {
      const child = concatName(rel, names[i]!);
      const st = ctx.dest.lstat(child);
      if (!st) continue;
      const dir = st.isDirectory();
      if (this.#excluded(child, dir, true)) {
        ret = 'not-empty';
        continue;
      }
      if (this.deleteItem(child, Number(st.mode), (flags & ~DEL.MAKE_ROOM) | DEL.RECURSE) !== 'ok')
        ret = 'not-empty';
    }
    if (ret === 'not-empty') ctx.message('info', `cannot delete non-empty directory: ${ctx.display(rel)}\n`);
    return ret;
  }

  /** delete_in_dir(): removes what `dir` holds that the sender did not list. */
  deleteInDir(dir: ListEntry, dirRel: Uint8Array): void {
    const ctx = this.ctx;
    if (ctx.ioError & IOERR.GENERAL && !ctx.o.ignoreErrors) {
      if (!this.#warnedIoError) ctx.message('info', 'IO error encountered -- skipping file deletion\n');
      this.#warnedIoError = true;
      return;
    }
    let names: Buffer[];
    try {
      names = ctx.dest.readdir(dirRel);
    } catch (e) {
      if (errCode(e) !== 'ENOENT') ctx.sysFail(`opendir ${ctx.full(dirRel)} failed`, e);
      return;
    }
    names.sort(Buffer.compare);
    const base = isDot(dir.nameBytes) ? new Uint8Array(0) : dir.nameBytes;
    for (let i = names.length - 1; i >= 0; i--) {
      const leaf = names[i]!;
      const listName = concatName(base, leaf);
      if (this.keep.has(nameKey(listName))) continue;
      const rel = concatName(dirRel.length === 1 && dirRel[0] === 0x2e ? new Uint8Array(0) : dirRel, leaf);
      const st: StatLike | undefined = ctx.dest.lstat(rel);
      if (!st) continue;
      if (this.#excluded(listName, st.isDirectory(), false)) continue;
      this.deleteItem(rel, Number(st.mode), DEL.RECURSE);
    }
  }
}

function isDot(b: Uint8Array): boolean {
  return b.length === 1 && b[0] === 0x2e;
}

export function isDirMode(mode: number): boolean {
  return isDir(mode);
}
