/**
 * The client side of a transfer in which we receive (a pull): binary setup,
 * filter list, file list, then the generator and receiver
 * (main.c:client_run() for !am_sender, do_recv()).
 */
import { InactivityTimer } from '../session/inactivity-timer.js';
import { createStrongChecksum, initDelta } from '@tsrsync/delta';
import { MSG, NDX_FLIST_EOF, NDX_FLIST_OFFSET } from '../constants.js';
import { EXIT, RsyncError, StreamError } from '../errors.js';
import { FilterList } from '../filter/filter-list.js';
import { cvsRules } from '../filter/rules.js';
import { encodeFilterList } from '../filter/wire.js';
import { isDir } from '../flist/file-entry.js';
import { FL } from '../flist/file-list.js';
import { DestTree } from '../local/dest-tree.js';
import { IdMapper } from '../local/ids.js';
import type { TransferOptions } from '../options/transfer-options.js';
import { ReceiveContext, type BasisFinder } from '../receiver/context.js';
import { FlistReceiver, RejectedNameError } from '../receiver/flist-recv.js';
import {
  TransferStats as TransferStatsClass,
  type Reporter,
  type TransferStats,
} from '../receiver/reporter.js';
import { runReceivingSide } from '../receiver/run.js';
import { DataIn } from '../session/data-in.js';
import { DataOut } from '../session/data-out.js';
import { ErrorExitReceived, receivingSideMessages } from '../session/messages.js';
import { clientSetup } from '../session/setup.js';
import type { SessionSettings } from '../session/settings.js';
import type { Transport } from '../transport/transport.js';
import { decodeNdx } from '../wire/ndx.js';
import { transferExitCode } from './exit-code.js';
import { resolveLocalName } from './local-name.js';
import { requestedNameCheck } from './requested-names.js';

export interface ReceiveSessionOptions {
  transport: Transport;
  leftover: Uint8Array;
  /** Daemon: the protocol from the greeting. Remote shell: our maximum (ints are exchanged). */
  protocol: number;
  exchangeVersions: boolean;
  /** The -e letters we sent. */
  info: string;
  options: TransferOptions;
  /** The paths we asked for (inside the module), for the unrequested-name check. */
  requested: string[];
  dest: string;
  reporter: Reporter;
  amRoot?: boolean;
  hooks?: ReceiverHooks | undefined;
}

/** Local receiver behaviour beyond rsync's options (used by snapshots). */
export interface ReceiverHooks {
  basisFinder?: BasisFinder | undefined;
  breakSharedInodes?: boolean | undefined;
}

export interface TransferResult {
  exitCode: number;
  stats: TransferStats;
  settings: SessionSettings | undefined;
  /** The destination directory was created by this run. */
  createdDest?: string | undefined;
}

/** MSG_ERROR_EXIT is not sent for these (main.c:exit_cleanup()). */
const NO_ERROR_EXIT = new Set([EXIT.SOCKETIO, EXIT.STREAMIO, EXIT.SIGNAL1, EXIT.TIMEOUT]);

export async function runReceiveSession(o: ReceiveSessionOptions): Promise<TransferResult> {
  const opts = o.options;
  const reporter = o.reporter;
  let ctx: ReceiveContext | undefined;
  let ioError = 0;
  let gotXferError = false;
  const input = new DataIn(o.transport, o.leftover);
  const out = new DataOut(o.transport);
  let settings: SessionSettings | undefined;
  const timer = new InactivityTimer(opts.timeout, o.transport, input, out);
  try {
    settings = await clientSetup(input, out, {
      exchangeVersions: o.exchangeVersions,
      protocol: o.protocol,
      info: o.info,
      options: opts,
    });
    const s = settings;
    input.onMessage = receivingSideMessages({
      protocol: s.protocol,
      amClient: true,
      message: (level, text) => {
        if (level === 'error-xfer') gotXferError = true;
        reporter.message?.(level, text);
      },
      ioError: (bits) => {
        ioError |= bits;
        if (ctx) ctx.ioError |= bits;
      },
      noSend: (ndx) => {
        if (!ctx) return;
        ctx.signals.finished.push({ ndx, ok: false });
        ctx.signals.notify();
      },
      deleted: (name, dir) => reporter.deleted?.(name, dir),
      ioTimeout: (secs) => timer.lower(secs),
      replyErrorExit: (code) => {
        void out
          .sendMessage(MSG.ERROR_EXIT, code === undefined ? new Uint8Array(0) : int32(code))
          .catch(() => undefined);
      },
    });
    input.startMultiplex();
    if (s.protocol >= 30) await out.startMultiplex();
    const checksum = await createStrongChecksum({
      algorithm: s.checksum,
      seed: s.checksumSeed,
      protocol: s.protocol,
      md5SeedFirst: s.seedFix,
    });
    await initDelta({ algorithm: s.fileChecksum, seed: 0, protocol: 32 });
    encodeFilterList(out.w, opts.filters, {
      protocol: s.protocol,
      amSender: false,
      deleteExcluded: opts.deleteExcluded,
    });
    await out.flush();

    const amRoot = o.amRoot ?? process.geteuid?.() === 0;
    const umask = process.umask();
    ctx = new ReceiveContext({
      options: opts,
      settings: s,
      input,
      output: out,
      dest: new DestTree('.'),
      filters: new FilterList([
        ...opts.filters,
        ...(opts.cvsExclude ? cvsRules(process.env['CVSIGNORE'] ?? '') : []),
      ]),
      checksum,
      ids: new IdMapper({ numericIds: opts.numericIds, amRoot }),
      reporter: {
        ...reporter,
        message: (level, text) => {
          if (level === 'error-xfer') gotXferError = true;
          reporter.message?.(level, text);
        },
      },
      altDirs: [],
      basisFinder: o.hooks?.basisFinder,
      breakSharedInodes: o.hooks?.breakSharedInodes,
      amClient: true,
      amRoot,
      umask,
    });
    ctx.ioError |= ioError;
    const flists = new FlistReceiver(ctx);
    flists.checkName = requestedNameCheck(ctx, o.requested);
    const first = await flists.receive(-1);
    if (s.incRecurse && ctx.flist.total === 1) {
      const c = ctx;
      const ndx = await input.read((r) => decodeNdx(r, c.ndxIn));
      if (ndx === NDX_FLIST_EOF) ctx.flist.eof = true;
      else await flists.receive(NDX_FLIST_OFFSET - ndx);
    }
    if (ctx.flist.total === 0) {
      await closeQuietly(o.transport, input);
      return {
        exitCode: transferExitCode(ctx.ioError | ioError, gotXferError || ctx.gotXferError),
        stats: ctx.stats,
        settings,
      };
    }
    const firstEntry = first.entries[0];
    const ln = resolveLocalName(o.dest, ctx.flist.total, firstEntry !== undefined && isDir(firstEntry.mode), {
      dryRun: opts.dryRun,
      umask,
    });
    if (ln.created && (opts.verbose > 0 || opts.itemize > 0))
      reporter.message?.('info', `created directory ${o.dest.replace(/\/+$/, '')}\n`);
    if (ln.created && firstEntry && firstEntry.nameBytes.length === 1 && firstEntry.nameBytes[0] === 0x2e) {
      firstEntry.fl |= FL.DIR_CREATED;
    }
    ctx.dest = new DestTree(ln.root);
    ctx.localName = ln.localName;
    if (opts.altDest)
      ctx.altDirs.push(
        ...opts.altDest.dirs.map((d) => Buffer.from(d.startsWith('/') ? d : `${ln.root}/${d}`)),
      );
    const side = await runReceivingSide(ctx, flists, (e) =>
      o.transport.destroy(e instanceof Error ? e : undefined),
    );
    const rs = side.receiver.remoteStats;
    if (rs) {
      ctx.stats.totalWritten = rs.totalRead;
      ctx.stats.totalRead = rs.totalWritten;
      ctx.stats.totalSize = rs.totalSize;
      ctx.stats.flistBuildTime = rs.flistBuildTime ?? 0;
      ctx.stats.flistXferTime = rs.flistXferTime ?? 0;
    }
    await closeQuietly(o.transport, input);
    return {
      exitCode: transferExitCode(ctx.ioError | ioError, gotXferError || ctx.gotXferError),
      stats: ctx.stats,
      settings,
      createdDest: ln.created ? ln.root : undefined,
    };
  } catch (e) {
    if (e instanceof ErrorExitReceived) {
      const code =
        e.exitCode ||
        transferExitCode(ioError | (ctx?.ioError ?? 0), gotXferError || (ctx?.gotXferError ?? false));
      await closeQuietly(o.transport, input);
      if (code === 0) return { exitCode: 0, stats: ctx?.stats ?? emptyStats(), settings };
      throw new RsyncError(
        `rsync error: the peer ended the transfer (code ${code})`,
        'ERR_RSYNC_REMOTE',
        code,
        { cause: e, data: { remoteExit: true } },
      );
    }
    const err =
      e instanceof RsyncError
        ? e
        : e instanceof RejectedNameError
          ? e
          : new StreamError(String((e as Error)?.message ?? e), { cause: e });
    await abortSession(o.transport, input, out, settings?.protocol ?? 0, err.exitCode);
    throw err;
  } finally {
    timer.stop();
  }
}

function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

function emptyStats(): TransferStats {
  return new TransferStatsClass();
}

/** After the end of the protocol: read until the peer closes (messages still count), briefly. */
async function closeQuietly(t: Transport, input: DataIn, ms = 2000): Promise<void> {
  const timer = setTimeout(() => t.destroy(), ms);
  try {
    while (await input.pull()) {
      /* drain */
    }
  } catch {
    /* closing anyway */
  } finally {
    clearTimeout(timer);
    t.destroy();
  }
}

/** A fatal local error: tell a protocol >= 31 peer (MSG_ERROR_EXIT), then drop the connection. */
export async function abortSession(
  t: Transport,
  input: DataIn,
  out: DataOut,
  protocol: number,
  code: number,
): Promise<void> {
  try {
    if (out.multiplexed && protocol >= 31 && !NO_ERROR_EXIT.has(code as never)) {
      await Promise.race([
        out.sendMessage(MSG.ERROR_EXIT, int32(code)),
        new Promise((r) => setTimeout(r, 1000)),
      ]);
      await closeQuietly(t, input, 1000);
    }
  } catch {
    /* the connection is going away */
  } finally {
    t.destroy();
  }
}
