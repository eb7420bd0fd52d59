/**
 * A server that receives files (main.c:do_server_recv()): the client pushes.
 * Used by local copies (in-process), `tsrsync --server`, and the daemon.
 * Messages for the client travel as MSG_INFO/MSG_ERROR...; the caller
 * decides where its own log goes.
 */
import { createStrongChecksum, initDelta } from '@tsrsync/delta';
import { MSG, NDX_FLIST_EOF, NDX_FLIST_OFFSET } from '../constants.js';
import { FilterList } from '../filter/filter-list.js';
import type { FilterRule } from '../filter/rules.js';
import { decodeFilterList, receiverWantsFilterList } from '../filter/wire.js';
import { isDir } from '../flist/file-entry.js';
import { FL } from '../flist/file-list.js';
import { DestTree } from '../local/dest-tree.js';
import { IdMapper } from '../local/ids.js';
import type { TransferOptions } from '../options/transfer-options.js';
import { ReceiveContext, type BasisFinder } from '../receiver/context.js';
import { FlistReceiver } from '../receiver/flist-recv.js';
import type { Reporter, TransferStats } from '../receiver/reporter.js';
import { runReceivingSide } from '../receiver/run.js';
import type { DataIn } from '../session/data-in.js';
import type { DataOut } from '../session/data-out.js';
import { receivingSideMessages } from '../session/messages.js';
import type { SessionSettings } from '../session/settings.js';
import { decodeNdx } from '../wire/ndx.js';
import { transferExitCode } from '../client/exit-code.js';
import { resolveLocalName } from '../client/local-name.js';

export interface ServerReceiveOptions {
  input: DataIn;
  out: DataOut;
  settings: SessionSettings;
  options: TransferOptions;
  /**
   * The options the client asked for, when `options` differ (a daemon's snapshot module runs
   * with --delete and --link-dest of its own): they decide what is on the wire.
   */
  wireOptions?: TransferOptions | undefined;
  /** The destination argument (the first path after "."). */
  dest: string;
  /** Where the server's own output goes (items, deletions, messages). */
  reporter: Reporter;
  /** Rules of the server itself (a daemon module's filters), checked before the client's. */
  serverFilters?: readonly FilterRule[] | undefined;
  /** The filter list is not on the wire (local copies: local_server). */
  localServer?: boolean | undefined;
  amRoot?: boolean | undefined;
  basisFinder?: BasisFinder | undefined;
  breakSharedInodes?: boolean | undefined;
  /**
   * Called with the first failure while the other role may still wait for input: the
   * server reports it to the client and tears the connection down (rsync's receiver
   * exits at once).
   */
  onAbort?: ((e: unknown) => void) | undefined;
  /** Called with the result once every file is in place, before the goodbye. */
  beforeGoodbye?: ((r: ServerReceiveResult) => Promise<void>) | undefined;
}

export interface ServerReceiveResult {
  exitCode: number;
  stats: TransferStats;
}

/** After setup and the server's output multiplexing: do_server_recv() and do_recv(). */
export async function runServerReceiving(o: ServerReceiveOptions): Promise<ServerReceiveResult> {
  const s = o.settings;
  const opts = o.options;
  let ioError = 0;
  let gotXferError = false;
  const ref: { ctx?: ReceiveContext } = {};
  o.input.onMessage = receivingSideMessages({
    protocol: s.protocol,
    amClient: false,
    message: (level, text) => o.reporter.message?.(level, text),
    ioError: (bits) => {
      ioError |= bits;
      if (ref.ctx) ref.ctx.ioError |= bits;
    },
    noSend: (ndx) => {
      const ctx = ref.ctx;
      if (!ctx) return;
      ctx.signals.finished.push({ ndx, ok: false });
      ctx.signals.notify();
    },
    deleted: () => undefined,
  });
  if (s.protocol >= 30) o.input.startMultiplex();
  let clientRules: FilterRule[] = [];
  if (!o.localServer && receiverWantsFilterList(o.wireOptions ?? opts, s.protocol))
    clientRules = await o.input.read((r) => decodeFilterList(r, s.protocol));
  const checksum = await createStrongChecksum({
    algorithm: s.checksum,
    seed: s.checksumSeed,
    protocol: s.protocol,
    md5SeedFirst: s.seedFix,
  });
  await initDelta({ algorithm: s.fileChecksum, seed: 0, protocol: 32 });
  const amRoot = o.amRoot ?? process.geteuid?.() === 0;
  const umask = process.umask();
  const ctx = new ReceiveContext({
    options: opts,
    settings: s,
    input: o.input,
    output: o.out,
    dest: new DestTree('.'),
    filters: new FilterList([...(o.serverFilters ?? []), ...(o.localServer ? opts.filters : clientRules)]),
    checksum,
    ids: new IdMapper({ numericIds: opts.numericIds, amRoot }),
    reporter: {
      ...o.reporter,
      message: (level, text) => {
        if (level === 'error-xfer') gotXferError = true;
        o.reporter.message?.(level, text);
      },
    },
    altDirs: [],
    basisFinder: o.basisFinder,
    breakSharedInodes: o.breakSharedInodes,
    beforeGoodbye: o.beforeGoodbye
      ? () =>
          o.beforeGoodbye!({
            exitCode: transferExitCode(ref.ctx!.ioError | ioError, gotXferError || ref.ctx!.gotXferError),
            stats: ref.ctx!.stats,
          })
      : undefined,
    amClient: false,
    amRoot,
    umask,
  });
  ref.ctx = ctx;
  const flists = new FlistReceiver(ctx);
  const first = await flists.receive(-1);
  if (s.incRecurse && ctx.flist.total === 1) {
    const c = ctx;
    const ndx = await o.input.read((r) => decodeNdx(r, c.ndxIn));
    if (ndx === NDX_FLIST_EOF) ctx.flist.eof = true;
    else await flists.receive(NDX_FLIST_OFFSET - ndx);
  }
  const firstEntry = first.entries[0];
  const ln = resolveLocalName(o.dest, ctx.flist.total, firstEntry !== undefined && isDir(firstEntry.mode), {
    dryRun: opts.dryRun,
    umask,
  });
  if (ln.created && (opts.verbose > 0 || opts.itemize > 0))
    o.reporter.message?.('info', `created directory ${o.dest.replace(/\/+$/, '')}\n`);
  if (ln.created && firstEntry && firstEntry.nameBytes.length === 1 && firstEntry.nameBytes[0] === 0x2e)
    firstEntry.fl |= FL.DIR_CREATED;
  ctx.dest = new DestTree(ln.root);
  ctx.localName = ln.localName;
  if (opts.altDest)
    ctx.altDirs.push(...opts.altDest.dirs.map((d) => Buffer.from(d.startsWith('/') ? d : `${ln.root}/${d}`)));
  let failure: unknown;
  await runReceivingSide(ctx, flists, (e) => {
    failure = e;
    o.onAbort?.(e);
  }).catch((e: unknown) => {
    failure ??= e;
  });
  if (failure) throw failure;
  return {
    exitCode: transferExitCode(ctx.ioError | ioError, gotXferError || ctx.gotXferError),
    stats: ctx.stats,
  };
}

/** A reporter that forwards a server's messages to its client (rprintf() on a server). */
export function messagesToClient(
  out: DataOut,
  log?: Reporter,
  deletions?: { protocol: number; verbose: boolean },
): Reporter {
  const tag = {
    info: MSG.INFO,
    warning: MSG.WARNING,
    error: MSG.ERROR,
    'error-xfer': MSG.ERROR_XFER,
  } as const;
  return {
    ...log,
    message: (level, text) => {
      log?.message?.(level, text);
      void out.sendMessage(tag[level], Buffer.from(text)).catch(() => undefined);
    },
    // log.c:log_delete(): the client prints "deleting NAME" (a directory's name ends in a NUL)
    deleted: (name, isDir) => {
      log?.deleted?.(name, isDir);
      if (!deletions || deletions.protocol < 29 || !deletions.verbose) return;
      const msg = isDir ? Buffer.concat([name, Buffer.of(0)]) : Buffer.from(name);
      void out.sendMessage(MSG.DELETED, msg).catch(() => undefined);
    },
  };
}
