/**
 * The receiver (receiver.c:recv_files(), rsync.c:read_ndx_and_attrs()):
 * reads what the sender sends (echoed item records, sub-lists, file data),
 * writes files through temp names, verifies them, and tells the generator
 * how each transfer ended.
 */
import fs from 'node:fs';
import {
  FNAMECMP,
  ITEM,
  MAXPATHLEN,
  NDX_DEL_STATS,
  NDX_DONE,
  NDX_FLIST_EOF,
  NDX_FLIST_OFFSET,
  SIGNIFICANT_ITEM_FLAGS,
} from '../constants.js';
import { ProtocolError } from '../errors.js';
import { effectiveDelete } from '../options/transfer-options.js';
import { FL, type ListEntry } from '../flist/file-list.js';
import { isDevice, isDir, isLink, isReg } from '../flist/file-entry.js';
import { decodeSumHead, type SumHead } from '../transfer/sum-head.js';
import { decodeStats } from '../transfer/stats.js';
import { NdxState, decodeNdx } from '../wire/ndx.js';
import { TokenReader } from '../compress/token-reader.js';
import { joinPath } from '../local/fs-names.js';
import { openBasis } from '../local/dest-tree.js';
import { destMode, setFileAttrs, setTempAttrs } from './attrs.js';
import type { ReceiveContext } from './context.js';
import type { FlistReceiver } from './flist-recv.js';
import { discardData, receiveData } from './receive-data.js';

const MAX_WIRE_DEL_STAT = 0x7fffffff;

interface ItemIn {
  ndx: number;
  iflags: number;
  fnamecmpType: number;
  xname: Uint8Array | undefined;
}

export class Receiver {
  readonly ndxIn: NdxState;
  readonly tokens: TokenReader;
  phase = 0;
  readonly maxPhase: number;
  /** Remote stats (client): what the server sender reported. */
  remoteStats: ReturnType<typeof decodeStats> | undefined;

  constructor(
    readonly ctx: ReceiveContext,
    readonly flists: FlistReceiver,
  ) {
    this.ndxIn = ctx.ndxIn;
    this.tokens = new TokenReader(ctx.s.compress, ctx.s.protocol);
    this.maxPhase = ctx.s.protocol >= 29 ? 2 : 1;
  }

  /** read_ndx_and_attrs(): the next record, handling sub-lists and delete stats on the way. */
  async readItem(): Promise<ItemIn> {
    const ctx = this.ctx;
    for (;;) {
      const ndx =
        ctx.input.tryRead((r) => decodeNdx(r, this.ndxIn)) ??
        (await ctx.input.read((r) => decodeNdx(r, this.ndxIn)));
      if (ndx === NDX_DONE) return { ndx, iflags: 0, fnamecmpType: FNAMECMP.FNAME, xname: undefined };
      if (ndx === NDX_DEL_STATS) {
        await this.#readDelStats();
        continue;
      }
      if (ndx < 0) {
        if (!ctx.s.incRecurse)
          throw new ProtocolError(`Invalid file index: ${ndx} (-1 - ${ctx.flist.end - 1}) [receiver]`);
        if (ndx === NDX_FLIST_EOF) {
          ctx.flist.eof = true;
          ctx.signals.notify();
          continue;
        }
        const d = NDX_FLIST_OFFSET - ndx;
        if (d < 0 || d >= ctx.flist.dirs.length)
          throw new ProtocolError(
            `Invalid dir index: ${ndx} (${NDX_FLIST_OFFSET} - ${NDX_FLIST_OFFSET - ctx.flist.dirs.length + 1}) [receiver]`,
          );
        await this.flists.receive(d);
        continue;
      }
      const proto = ctx.s.protocol;
      const iflags = proto >= 29 ? await ctx.input.read((r) => r.u16()) : ITEM.TRANSFER;
      if (proto < 30 && ndx === ctx.flist.end && iflags === ITEM.IS_NEW) continue; // protocol-29 keep-alive
      if (ndx >= ctx.flist.end || ctx.flist.entry(ndx) === undefined) {
        throw new ProtocolError(`Invalid file index: ${ndx} (-1 - ${ctx.flist.end - 1}) [receiver]`);
      }
      let fnamecmpType: number = FNAMECMP.FNAME;
      if (iflags & ITEM.BASIS_TYPE_FOLLOWS) fnamecmpType = await ctx.input.read((r) => r.u8());
      let xname: Uint8Array | undefined;
      if (iflags & ITEM.XNAME_FOLLOWS) xname = await ctx.input.read((r) => r.vstring(MAXPATHLEN - 1).slice());
      if (iflags & ITEM.TRANSFER) {
        const e = ctx.flist.entry(ndx)!;
        const list = ctx.flist.listFor(ndx)!;
        if (ndx < list.ndxStart || !isReg(e.mode)) {
          throw new ProtocolError(`received request to transfer non-regular file: ${ndx} [receiver]`);
        }
      }
      return { ndx, iflags, fnamecmpType, xname };
    }
  }

  async #readDelStats(): Promise<void> {
    const v = await this.ctx.input.read((r) => [r.varint(), r.varint(), r.varint(), r.varint(), r.varint()]);
    if (v.some((x) => x < 0 || x > MAX_WIRE_DEL_STAT)) throw new ProtocolError('invalid delete stats');
    const s = this.ctx.stats;
    s.deletedDirs = v[1]!;
    s.deletedSymlinks = v[2]!;
    s.deletedDevices = v[3]!;
    s.deletedSpecials = v[4]!;
    s.deletedFiles = v.reduce((a, b) => a + b, 0);
  }

  /** recv_files() then the end of the run (stats, goodbye). */
  async run(): Promise<void> {
    const ctx = this.ctx;
    const sig = ctx.signals;
    for (;;) {
      const it = await this.readItem();
      if (it.ndx === NDX_DONE) {
        if (ctx.s.incRecurse && this.#listsOpen()) continue;
        if (++this.phase > this.maxPhase) break;
        sig.msgDone++;
        sig.notify();
        continue;
      }
      const e = ctx.flist.entry(it.ndx)!;
      if (e.fl & FL.CLEARED) throw new ProtocolError(`refusing transfer of cleared file index ${it.ndx}`);
      if (!(it.iflags & ITEM.TRANSFER)) {
        this.#logNonTransfer(e, it);
        continue;
      }
      if (this.phase === 2) throw new ProtocolError('got transfer request in phase 2 [receiver]');
      await this.#receiveFile(e, it);
    }
    if (ctx.amClient) this.remoteStats = await ctx.input.read((r) => decodeStats(r, ctx.s.protocol));
    sig.msgDone++;
    sig.notify();
    if (ctx.s.protocol >= 31) {
      const it = await this.readItem();
      if (it.ndx !== NDX_DONE) throw new ProtocolError(`Invalid packet at end of run (${it.ndx}) [receiver]`);
      sig.msgDone++;
      sig.notify();
    }
  }

  /** inc-recurse: a DONE frees the oldest list; the phase only changes once none is left. */
  #openLists = 0;
  #listsOpen(): boolean {
    const lists = this.ctx.flist.lists;
    if (this.#openLists < lists.length) {
      // the oldest list is done on both sides: its entries can go, unless a later pass needs
      // them (hard-link groups across lists, --delete-after/--delete-delay)
      if (this.#releaseDone) lists[this.#openLists]!.release();
      this.#openLists++;
      return this.#openLists < lists.length;
    }
    return false;
  }

  get #releaseDone(): boolean {
    const o = this.ctx.o;
    const del = effectiveDelete(o, this.ctx.s.protocol);
    return !o.hardLinks && del !== 'after' && del !== 'delay';
  }

  #logNonTransfer(e: ListEntry, it: ItemIn): void {
    const ctx = this.ctx;
    const o = ctx.o;
    const significant = it.iflags & SIGNIFICANT_ITEM_FLAGS;
    const hasX = it.xname !== undefined && it.xname.length > 0;
    const itemizing = o.itemize > 0;
    const see = itemizing && (significant || hasX || o.itemize > 1 || (o.verbose >= 2 && itemizing));
    const localChange = it.iflags & ITEM.LOCAL_CHANGE && significant;
    if (see || localChange || hasX || (isDir(e.mode) && significant)) {
      ctx.reporter.item?.({ name: this.#display(e, it.ndx), entry: e, iflags: it.iflags, hlink: it.xname });
    }
    if (it.iflags & ITEM.IS_NEW) {
      const s = ctx.stats;
      s.createdFiles++;
      if (isDir(e.mode)) s.createdDirs++;
      else if (isLink(e.mode)) s.createdSymlinks++;
      else if (isDevice(e.mode)) s.createdDevices++;
      else if (!isReg(e.mode)) s.createdSpecials++;
    }
  }

  #display(e: ListEntry, ndx: number): Uint8Array {
    void ndx;
    return this.ctx.localName ?? e.nameBytes;
  }

  async #receiveFile(e: ListEntry, it: ItemIn): Promise<void> {
    const ctx = this.ctx;
    const o = ctx.o;
    const redoing = (e.fl & FL.RECV_REDO) !== 0;
    const csumLength = redoing ? 16 : 2;
    ctx.stats.xferredFiles++;
    ctx.stats.totalTransferredSize += e.size;
    if (it.iflags & ITEM.IS_NEW && !redoing) ctx.stats.createdFiles++;
    const name = ctx.nameOf(e);
    if (o.dryRun) {
      ctx.reporter.item?.({ name, entry: e, iflags: it.iflags });
      return;
    }
    const head: SumHead = await ctx.input.read((r) =>
      decodeSumHead(r, ctx.s.protocol, ctx.checksum.digestLength, { impliedS2Length: csumLength }),
    );
    // the basis the generator chose (only names it can legitimately use); without block
    // sums nothing can reference it, so it is not even opened
    let basisPath: Buffer | undefined;
    const t = it.fnamecmpType;
    if (t === FNAMECMP.FNAME) {
      basisPath = ctx.basisOverride.get(it.ndx) ?? ctx.dest.path(name);
      ctx.basisOverride.delete(it.ndx);
    } else if (t < ctx.altDirs.length) basisPath = joinPath(ctx.altDirs[t]!, e.nameBytes);
    else if (t === FNAMECMP.FUZZY || t > FNAMECMP.FUZZY)
      throw new ProtocolError(
        `rsync: refusing malicious fuzzy operation for ${ctx.display(it.xname ?? new Uint8Array(0))}`,
      );
    else if (t === FNAMECMP.PARTIAL_DIR || t === FNAMECMP.BACKUP) basisPath = undefined;
    else throw new ProtocolError(`invalid basis_dir index: ${t}.`);
    const opened = basisPath && (head.count > 0 || !o.perms) ? openBasis(basisPath) : undefined;
    if (opened === 'dir' && t === FNAMECMP.FNAME) {
      ctx.message('error-xfer', `recv_files: ${ctx.full(name)} is a directory\n`);
      await discardData(ctx, this.tokens, head);
      this.#finished(it.ndx, false);
      return;
    }
    const basis = opened === 'dir' ? undefined : opened;
    if (!o.perms)
      e.mode = destMode(e.mode, basis?.mode ?? 0, ctx.dfltPerms, basis !== undefined, o.executability);
    let outFd: number;
    let tmpName: Uint8Array | undefined;
    try {
      if (o.inplace) outFd = ctx.dest.openInPlace(name);
      else {
        const tmp = ctx.dest.openTemp(name);
        outFd = tmp.fd;
        tmpName = tmp.name;
      }
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      ctx.sysFail(`mkstemp ${ctx.full(name)} failed`, err, 'receiver');
      await discardData(ctx, this.tokens, head);
      if (basis) fs.closeSync(basis.fd);
      this.#finished(it.ndx, false);
      return;
    }
    let ok = false;
    let fatal: unknown;
    const literalBefore = ctx.stats.literalData;
    try {
      ok = await receiveData(ctx, this.tokens, {
        head,
        basisFd: basis?.fd,
        outFd,
        inplace: o.inplace,
        describe: () => ctx.full(tmpName ?? name),
        onProgress: ctx.reporter.progress
          ? (done) => ctx.reporter.progress!(e, done, e.size, false)
          : undefined,
      } as Parameters<typeof receiveData>[2]);
      // attributes through the descriptor: no path lookups, nothing to race
      if (ok && tmpName) setTempAttrs(ctx, outFd, e);
    } catch (err) {
      fatal = err;
    } finally {
      if (basis) fs.closeSync(basis.fd);
      fs.closeSync(outFd);
    }
    if (fatal !== undefined) {
      // cleanup.c: an interrupted transfer keeps what arrived only with --partial
      if (tmpName) {
        if (o.partial && ctx.stats.literalData > literalBefore) this.#keepPartial(tmpName, name, e);
        else this.#unlinkQuietly(tmpName);
      }
      throw fatal;
    }
    ctx.reporter.item?.({ name, entry: e, iflags: it.iflags });
    ctx.reporter.progress?.(e, e.size, e.size, true);
    if (ok || o.inplace) {
      if (tmpName) {
        try {
          ctx.dest.rename(tmpName, name);
        } catch (err) {
          ctx.sysFail(`rename ${ctx.full(tmpName)} -> "${ctx.display(name)}"`, err, 'receiver');
          this.#unlinkQuietly(tmpName);
          this.#finished(it.ndx, false);
          return;
        }
      } else setFileAttrs(ctx, name, e, undefined, { accurateTime: true });
    } else if (o.partial && tmpName) {
      try {
        ctx.dest.rename(tmpName, name);
      } catch {
        this.#unlinkQuietly(tmpName);
      }
    } else if (tmpName) this.#unlinkQuietly(tmpName);
    if (ok) {
      this.#finished(it.ndx, true);
      return;
    }
    const kept = o.partial || o.inplace ? 'retained' : 'discarded';
    if (!redoing) {
      ctx.message(
        'warning',
        `WARNING: ${ctx.display(name)} failed verification -- update ${kept} (will try again).\n`,
      );
      e.fl |= FL.RECV_REDO;
      const list = ctx.flist.listFor(it.ndx);
      if (ctx.s.incRecurse && list) {
        list.inProgress--;
        list.toRedo++;
      }
      ctx.signals.redo.push(it.ndx);
      ctx.signals.notify();
    } else {
      ctx.message('error-xfer', `ERROR: ${ctx.display(name)} failed verification -- update ${kept}.\n`);
      this.#finished(it.ndx, false);
    }
  }

  /** --partial: the partly received file replaces the destination, without its final mtime. */
  #keepPartial(tmpName: Uint8Array, name: Uint8Array, e: ListEntry): void {
    try {
      setFileAttrs(this.ctx, tmpName, { ...e, mtime: 0, mtimeNsec: 0 } as ListEntry, undefined, {
        mode: e.mode,
      });
      this.ctx.dest.rename(tmpName, name);
    } catch {
      this.#unlinkQuietly(tmpName);
    }
  }

  #finished(ndx: number, ok: boolean): void {
    this.ctx.signals.finished.push({ ndx, ok });
    this.ctx.signals.notify();
  }

  #unlinkQuietly(rel: Uint8Array): void {
    try {
      this.ctx.dest.unlink(rel);
    } catch {
      /* already gone */
    }
  }
}
