/**
 * The generator (generator.c: generate_files(), check_for_finished_files()):
 * walks the received file lists in order, brings directories, symlinks and
 * up-to-date files into shape locally, and asks the sender for everything
 * else with block checksums of the local basis. Then it runs the redo phase
 * and the end-of-run NDX_DONE sequence of the negotiated protocol.
 */
import fs from 'node:fs';
import { ITEM, NDX_DEL_STATS, NDX_DONE } from '../constants.js';
import { FL, type ListEntry, type SubList } from '../flist/file-list.js';
import { isDir } from '../flist/file-entry.js';
import { encodeItem } from '../transfer/item.js';
import { NdxState, encodeNdx } from '../wire/ndx.js';
import { dirOf, nameKey } from '../local/fs-names.js';
import { StatPrefetcher, type PrefetchResult, type StatLike } from '../local/stat.js';
import { effectiveDelete } from '../options/transfer-options.js';
import type { ReceiveContext } from './context.js';
import { AltDest } from './alt-dest.js';
import { Deleter } from './delete.js';
import { HardLinks } from './hardlinks.js';
import { genEntry, linkMember, touchUpDir } from './gen-entry.js';

export class Generator {
  readonly hl = new HardLinks();
  readonly altDest: AltDest = new AltDest(this);
  readonly deleter: Deleter;
  readonly ndxOut: NdxState;
  phase = 0;
  /** 2 normally, 16 (SUM_LENGTH) while generating a redo request. */
  csumLength = 2;
  redoing = false;
  /** A directory whose creation failed: its contents are skipped (recv_generator's skip_dir). */
  skipDir: ListEntry | undefined;
  /** A directory missing in a dry run: its contents are treated as missing. */
  dryMissing: ListEntry | undefined;
  /** Directories whose permissions were loosened while filling them (restored at the end). */
  readonly tweakedDirs = new Set<ListEntry>();
  /** Names (latin1) of active directory entries, to validate parents (non-incremental lists). */
  readonly listedDirs = new Set<string>();
  /** lstat() of each list's entries, done by a worker as lists arrive. */
  readonly #prefetcher = new StatPrefetcher();
  readonly #prefetched = new Map<SubList, Promise<PrefetchResult>>();
  /** The prefetched lstat of the entry genEntry() handles next (consumed once). */
  preStat: StatLike | null | undefined;
  #doneIdx = 0;
  #genIdx = 0;
  #genFinished = false;
  #deletedBefore = false;
  /**
   * The destination was empty when we started (a fresh copy): every lstat would
   * say "nothing there", so the worker would only add its messages.
   */
  readonly #freshDest: boolean;

  /**
   * Directories (latin1 names, '' for the destination itself) that were empty when this run
   * created them or began: nothing is in them that this run did not put there, so a name's
   * first generation needs no lstat() to learn that it is missing (as a dry run skips the
   * stat below a missing directory). Saves one failing lstat() per file of a fresh copy.
   */
  readonly #freshDirs = new Set<string>();

  constructor(readonly ctx: ReceiveContext) {
    this.#freshDest = emptyDir(ctx.dest.root);
    if (this.#freshDest && ctx.localName === undefined) this.#freshDirs.add('');
    this.deleter = new Deleter(ctx);
    this.ndxOut = new NdxState(ctx.s.protocol);
  }

  /** This run created directory `e` (empty): see #freshDirs. */
  createdDir(e: ListEntry): void {
    this.#freshDirs.add(nameKey(e.nameBytes));
  }

  /** `e` is in a directory this run found or made empty, so nothing by its name is there yet. */
  inFreshDir(e: ListEntry): boolean {
    return this.#freshDirs.size > 0 && this.#freshDirs.has(nameKey(dirOf(e.nameBytes)));
  }

  get deleteMode() {
    if (this.ctx.o.listOnly) return undefined;
    return effectiveDelete(this.ctx.o, this.ctx.s.protocol);
  }

  /** The receiver got a (sub-)list: index it for hard links, deletions and parent checks. */
  onList(list: SubList): void {
    if (this.ctx.o.hardLinks) this.hl.addList(list);
    if (
      list.entries.length >= 8 &&
      !this.#freshDest &&
      !this.ctx.o.listOnly &&
      this.ctx.localName === undefined
    ) {
      this.#prefetched.set(
        list,
        this.#prefetcher.lstatMany(
          this.ctx.dest.root,
          list.entries.map((e) => e.nameBytes),
        ),
      );
    }
    if (this.deleteMode !== undefined) this.deleter.addList(list.entries);
    for (const e of list.entries) {
      if (isDir(e.mode) && !(e.fl & FL.CLEARED))
        this.listedDirs.add(Buffer.from(e.nameBytes).toString('latin1'));
    }
    this.ctx.signals.notify();
  }

  // --- wire helpers -------------------------------------------------------

  writeNdx(ndx: number): void {
    encodeNdx(this.ctx.out.w, this.ndxOut, ndx);
  }

  /** The item record after write_ndx (itemize() with ndx < 0 for transfers). */
  writeItem(ndx: number, iflags: number, fnamecmpType?: number, xname?: Uint8Array): void {
    if (this.ctx.s.protocol < 29) {
      if (ndx >= 0 && iflags & ITEM.TRANSFER) this.writeNdx(ndx);
      return;
    }
    const item: Parameters<typeof encodeItem>[2] = { ndx, iflags };
    if (fnamecmpType !== undefined) item.fnamecmpType = fnamecmpType;
    if (xname !== undefined) item.xname = xname;
    encodeItem(this.ctx.out.w, this.ndxOut, item);
  }

  async maybeFlush(): Promise<void> {
    await this.ctx.out.maybeFlush();
  }

  // --- main loop -------------------------------------------------------------

  async run(): Promise<void> {
    const ctx = this.ctx;
    const proto = ctx.s.protocol;
    const inc = ctx.s.incRecurse;
    const del = this.deleteMode;
    const solo = ctx.localName !== undefined;
    if (ctx.o.hardLinks && inc) {
      // look ahead so a hard-link group's last member is known (MIN_FILECNT_LOOKAHEAD / 2)
      await this.#waitUntil(() => ctx.flist.eof || ctx.flist.total >= 500, undefined);
    }
    for (;;) {
      await this.#waitUntil(() => ctx.flist.lists.length > this.#genIdx || ctx.flist.eof, undefined);
      const list = ctx.flist.lists[this.#genIdx];
      if (!list) break;
      if (del === 'before' && !solo && !this.#deletedBefore && !inc) {
        this.#deletedBefore = true;
        this.deletePass();
      }
      if (inc && list.parentDir >= 0) {
        const parent = ctx.flist.dirs[list.parentDir]!;
        await genEntry(this, parent, list.ndxStart - 1, 1);
        if (
          (del === 'during' || del === 'delay') &&
          !(parent.fl & FL.MISSING_DIR) &&
          parent.fl & FL.CONTENT_DIR
        ) {
          this.deleter.deleteInDir(parent, ctx.nameOf(parent));
        }
      }
      const pre = await this.#prefetched.get(list);
      this.#prefetched.delete(list);
      for (let i = 0; i < list.entries.length; i++) {
        const e = list.entries[i]!;
        if (e.fl & FL.CLEARED) continue;
        this.preStat = pre?.[i];
        const pending = genEntry(this, e, e.index, 1);
        if (pending) await pending;
        this.preStat = undefined;
        // the common case (nothing finished, nothing to flush) without two more awaits per file
        if (ctx.signals.finished.length > 0) await this.checkFinished(false);
        else if (inc) this.#sendListDones();
        const flushed = ctx.out.maybeFlush();
        if (flushed) await flushed;
      }
      this.#genIdx++;
      if (!inc) {
        this.writeNdx(NDX_DONE);
        break;
      }
      await this.#waitUntil(() => ctx.flist.lists.length > this.#genIdx || ctx.flist.eof, true);
      if (ctx.flist.lists.length <= this.#genIdx && ctx.flist.eof) break;
    }
    this.#genFinished = true;
    this.phase = 1;
    await this.#waitUntil(() => ctx.signals.msgDone >= 1, true);
    this.phase = 2;
    const earlyDelete = del !== 'after' && del !== 'delay';
    this.writeNdx(NDX_DONE);
    if (proto >= 29) this.writeNdx(NDX_DONE);
    if (proto >= 31 && earlyDelete) {
      if (del !== undefined) this.writeDelStats();
      this.writeNdx(NDX_DONE);
    }
    await ctx.out.flush();
    await this.#waitUntil(() => ctx.signals.msgDone > 1, false);
    if (proto >= 29) {
      this.phase++;
      await this.#waitUntil(() => ctx.signals.msgDone !== 2, false);
    }
    if (del === 'after' && !solo && ctx.flist.total > 0) this.deletePass();
    if (this.deleter.skippedDeletes > 0) {
      ctx.message(
        'warning',
        `Deletions stopped due to --max-delete limit (${this.deleter.skippedDeletes} skipped)\n`,
      );
      ctx.ioError |= 4;
    }
    if (proto >= 31) {
      if (!earlyDelete) {
        if (del !== undefined) this.writeDelStats();
        this.writeNdx(NDX_DONE);
      }
      await this.#waitUntil(() => ctx.signals.msgDone !== 3, false);
    }
    if (!inc) this.touchUpAllDirs();
    this.#prefetcher.close();
  }

  /** Stops the stat worker (also on failure paths). */
  close(): void {
    this.#prefetcher.close();
  }

  /**
   * wait_for_receiver() until `cond` holds, handling finished transfers (and
   * redo requests when `checkRedo`) meanwhile; `undefined` = no handling.
   */
  async #waitUntil(cond: () => boolean, checkRedo: boolean | undefined): Promise<void> {
    const sig = this.ctx.signals;
    for (;;) {
      const seq = sig.seq;
      if (checkRedo !== undefined) await this.checkFinished(checkRedo);
      if (cond()) return;
      await this.ctx.out.flush();
      await sig.wait(seq);
    }
  }

  /** NDX_DEL_STATS + 5 varints (main.c:write_del_stats()). */
  writeDelStats(): void {
    const s = this.ctx.stats;
    this.writeNdx(NDX_DEL_STATS);
    const w = this.ctx.out.w;
    w.varint(s.deletedFiles - s.deletedDirs - s.deletedSymlinks - s.deletedDevices - s.deletedSpecials);
    w.varint(s.deletedDirs);
    w.varint(s.deletedSymlinks);
    w.varint(s.deletedDevices);
    w.varint(s.deletedSpecials);
  }

  /** do_delete_pass(): --delete-before / --delete-after over the whole list. */
  deletePass(): void {
    const ctx = this.ctx;
    if (ctx.o.dryRun && ctx.dest.lstat(new Uint8Array(0)) === undefined) return;
    for (const list of ctx.flist.lists) {
      for (const e of list.entries) {
        if (e.fl & FL.CLEARED || !(e.fl & FL.CONTENT_DIR)) continue;
        const rel = ctx.nameOf(e);
        const st = ctx.dest.lstat(rel);
        if (!st || !st.isDirectory()) continue;
        this.deleter.deleteInDir(e, rel);
      }
    }
  }

  // --- receiver notifications -----------------------------------------------

  /** check_for_finished_files() */
  async checkFinished(checkRedo: boolean): Promise<void> {
    const ctx = this.ctx;
    const sig = ctx.signals;
    for (;;) {
      const fin = sig.finished.shift();
      if (fin) {
        const e = ctx.flist.entry(fin.ndx);
        const list = ctx.flist.listFor(fin.ndx);
        if (ctx.s.incRecurse && list) list.inProgress--;
        if (e && this.ctx.o.hardLinks && e.gnum !== undefined) await this.#hardLinkFinished(e, fin.ok);
        continue;
      }
      if (checkRedo && sig.redo.length > 0) {
        const ndx = sig.redo.shift()!;
        const e = ctx.flist.entry(ndx);
        const list = ctx.flist.listFor(ndx);
        if (!e || !list) continue;
        this.csumLength = 16;
        this.redoing = true;
        try {
          await genEntry(this, e, ndx, 0);
        } finally {
          this.csumLength = 2;
          this.redoing = false;
        }
        list.toRedo--;
        continue;
      }
      break;
    }
    if (ctx.s.incRecurse) this.#sendListDones();
  }

  /** inc-recurse: NDX_DONE for every finished list, oldest first. */
  #sendListDones(): void {
    const lists = this.ctx.flist.lists;
    while (this.#doneIdx < lists.length) {
      const l = lists[this.#doneIdx]!;
      if (!(this.#doneIdx < this.#genIdx || this.#genFinished)) break;
      if (this.#doneIdx >= this.#genIdx && !this.#genFinished) break;
      if (l.inProgress > 0 || l.toRedo > 0) break;
      this.writeNdx(NDX_DONE);
      l.doneSent = true;
      if (l.parentDir >= 0 && !this.ctx.o.dryRun) touchUpDir(this, this.ctx.flist.dirs[l.parentDir]!);
      this.#doneIdx++;
    }
  }

  /** A hard-linked file's transfer ended (finish_hard_link() or a new leader). */
  async #hardLinkFinished(e: ListEntry, ok: boolean): Promise<void> {
    const g = this.hl.group(e);
    if (g.inTransfer === e) g.inTransfer = undefined;
    if (ok) {
      await this.finishLeader(e);
      return;
    }
    const next = g.waiters.shift();
    if (next) {
      next.fl &= ~FL.FILE_SENT;
      this.hl.markLast(next);
      const list = this.ctx.flist.listFor(next.index);
      if (this.ctx.s.incRecurse && list) list.inProgress--;
      await genEntry(this, next, next.index, 0);
    }
  }

  /** `leader` is final: link every waiting member to it. */
  async finishLeader(leader: ListEntry): Promise<void> {
    const g = this.hl.group(leader);
    g.leader = this.ctx.nameOf(leader);
    leader.fl |= FL.HLINK_DONE;
    // rsync walks its F_HL_PREV chain from the leader: the latest waiter first
    const waiters = g.waiters.splice(0).reverse();
    for (const w of waiters) {
      await linkMember(this, w, g.leader);
      const list = this.ctx.flist.listFor(w.index);
      if (this.ctx.s.incRecurse && list && w.fl & FL.FILE_SENT) list.inProgress--;
    }
  }

  /** touch_up_dirs(dir_flist, -1) */
  touchUpAllDirs(): void {
    if (this.ctx.o.dryRun || this.ctx.localName !== undefined) return;
    for (const list of this.ctx.flist.lists)
      for (const e of list.entries) if (isDir(e.mode) && !(e.fl & FL.CLEARED)) touchUpDir(this, e);
  }
}

/** Whether `dir` is a directory with no entries (a missing one counts: it will be created). */
function emptyDir(dir: Buffer): boolean {
  let d: fs.Dir | undefined;
  try {
    d = fs.opendirSync(dir);
    return d.readSync() === null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  } finally {
    d?.closeSync();
  }
}
