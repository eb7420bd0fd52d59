/**
 * Receiving a file list or sub-list from the sender (flist.c:recv_file_list(),
 * recv_additional_file_list(), uidlist.c:recv_id_list()).
 */
import { IOERR_MASK } from '../constants.js';
import { ProtocolError, RsyncError, EXIT } from '../errors.js';
import {
  FileListDecoder,
  isDir,
  isDevice,
  isLink,
  isReg,
  type FileEntry,
  type FlistOptions,
} from '../flist/file-entry.js';
import { decodeFlistTrailer } from '../flist/id-list.js';
import type { SubList } from '../flist/file-list.js';
import { flistOptionsFor } from '../flist/flist-options.js';
import type { ReceiveContext } from './context.js';

export function flistOptions(ctx: ReceiveContext): FlistOptions {
  // the receiving side applies its own --chmod rules (or a daemon's `incoming chmod`)
  // to what it reads; a local copy's receiver has none (pipe.c:local_child())
  return { ...flistOptionsFor(ctx.o, ctx.s), chmod: ctx.o.chmod };
}

export class FlistReceiver {
  readonly decoder: FileListDecoder;
  /** Extra per-name validation (the client's "rejecting excluded/unrequested file-list name"). */
  checkName: ((e: FileEntry) => void) | undefined;
  onList: ((list: SubList) => void) | undefined;

  constructor(private readonly ctx: ReceiveContext) {
    this.decoder = new FileListDecoder(flistOptions(ctx));
  }

  /** Receives one list; `parentDir` = index in dirs of the announced directory, -1 for the first. */
  async receive(parentDir: number): Promise<SubList> {
    const ctx = this.ctx;
    const flist = ctx.flist;
    const dec = this.decoder;
    const startRead = ctx.input.bytesRead;
    let dirName: Uint8Array | undefined;
    if (ctx.s.incRecurse) {
      if (parentDir >= 0) {
        const d = flist.dirForAnnouncement(parentDir);
        dirName = d.nameBytes.length === 1 && d.nameBytes[0] === 0x2e ? new Uint8Array(0) : d.nameBytes;
      } else dirName = new Uint8Array(0);
    }
    const first = flist.lists.length === 0 && parentDir < 0;
    // flist.c:recv_file_list(): what a client says at -v
    const announce = first && ctx.amClient && ctx.o.verbose > 0 && !ctx.o.quiet;
    const progress = announce && !ctx.s.incRecurse && (ctx.o.recursive || ctx.o.dirs);
    if (announce && ctx.s.incRecurse) ctx.reporter.message?.('info', 'receiving incremental file list\n');
    if (progress) ctx.reporter.message?.('info', 'receiving file list ... ');
    dec.startList(flist.nextNdxStart, dirName);
    const entries: FileEntry[] = [];
    for (;;) {
      const e = ctx.input.tryRead((r) => dec.decode(r)) ?? (await ctx.input.read((r) => dec.decode(r)));
      if (e === 'end') break;
      this.checkName?.(e);
      entries.push(e);
      const st = ctx.stats;
      if (isReg(e.mode)) st.totalSize += e.size;
      else if (isDir(e.mode)) st.numDirs++;
      else if (isLink(e.mode)) {
        st.numSymlinks++;
        st.totalSize += e.size;
      } else if (isDevice(e.mode)) st.numDevices++;
      else st.numSpecials++;
    }
    if (!ctx.o.ignoreErrors) ctx.ioError |= dec.lastIoError & IOERR_MASK;
    if (!ctx.s.incRecurse) {
      const trailer = await ctx.input.read((r) =>
        decodeFlistTrailer(r, {
          protocol: ctx.s.protocol,
          id0Names: ctx.s.id0Names,
          incRecurse: false,
          sendUidList: ctx.o.owner && !ctx.o.numericIds,
          sendGidList: ctx.o.group && !ctx.o.numericIds,
        }),
      );
      for (const e of entries) {
        if (e.uid !== undefined) {
          const n = trailer.uidNames.get(e.uid);
          if (n !== undefined) e.user = n;
        }
        if (e.gid !== undefined) {
          const n = trailer.gidNames.get(e.gid);
          if (n !== undefined) e.group = n;
        }
      }
      if (!ctx.o.ignoreErrors) ctx.ioError |= trailer.ioError;
      flist.eof = true;
    }
    if (progress) ctx.reporter.message?.('info', 'done\n');
    const list = flist.add(entries, parentDir);
    ctx.stats.numFiles += entries.length;
    ctx.stats.flistSize += ctx.input.bytesRead - startRead;
    this.onList?.(list);
    ctx.reporter.fileList?.(entries.length, flist.total, flist.eof, ctx.stats.totalSize);
    return list;
  }
}

/** rsync aborts with RERR_UNSUPPORTED (4) when the sender lists a name it should not. */
export class RejectedNameError extends RsyncError {
  override name = 'RejectedNameError';
  constructor(message: string) {
    super(message, 'ERR_RSYNC_REJECTED_NAME', EXIT.UNSUPPORTED);
  }
}

export { ProtocolError };
