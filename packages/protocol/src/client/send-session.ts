/**
 * The side of a transfer that sends files, as a client (a push:
 * main.c:client_run() with am_sender) or as a server (main.c:start_server()
 * for --sender): setup, filter list, file list, send_files(), the goodbye.
 */
import { createStrongChecksum, createStrongChecksumSync, initDelta } from '@tsrsync/delta';
import fs from 'node:fs';
import { MSG, NDX_DEL_STATS, NDX_DONE } from '../constants.js';
import { RsyncError, StreamError, ProtocolError } from '../errors.js';
import { FilterList } from '../filter/filter-list.js';
import { cvsRules } from '../filter/rules.js';
import { decodeFilterList, encodeFilterList, receiverWantsFilterList } from '../filter/wire.js';
import { flistOptionsFor } from '../flist/flist-options.js';
import { IdNameLookup } from '../local/id-names.js';
import type { TransferOptions } from '../options/transfer-options.js';
import { TransferStats, type Reporter } from '../receiver/reporter.js';
import type { ListEntry } from '../flist/file-list.js';
import { DataIn } from '../session/data-in.js';
import { DataOut } from '../session/data-out.js';
import { ErrorExitReceived, receivingSideMessages } from '../session/messages.js';
import type { SessionSettings } from '../session/settings.js';
import type { Transport } from '../transport/transport.js';
import { decodeNdx } from '../wire/ndx.js';
import { encodeStats } from '../transfer/stats.js';
import { tokenWriterFor } from '../compress/token-writer.js';
import { PlainTokens, Sender, int32, type TokenSink } from '../sender/sender.js';
import { SendFileLists, splitSourceArg } from '../sender/send-lists.js';
import type { SendEntry } from '../sender/scan.js';
import { transferExitCode } from './exit-code.js';
import { abortSession, type TransferResult } from './receive-session.js';

export interface SendSideOptions {
  input: DataIn;
  out: DataOut;
  settings: SessionSettings;
  options: TransferOptions;
  /** Local paths as given (trailing '/' = contents). */
  sources: readonly string[];
  reporter: Reporter;
  amServer: boolean;
  /** Filter rules in force (the client's own, or what a server received). */
  filters: FilterList;
  /** Token writer for the negotiated compression (plain when omitted). */
  tokens?: TokenSink | undefined;
  /** Read directories ahead on a worker thread (default true; see SendListsOptions). */
  readAhead?: boolean | undefined;
}

export interface SendSideResult {
  stats: TransferStats;
  ioError: number;
  gotXferError: boolean;
}

/** After setup and multiplexing: file list, send_files(), stats (server), goodbye. */
export async function runSendingSide(c: SendSideOptions): Promise<SendSideResult> {
  const s = c.settings;
  const o = c.options;
  const stats = new TransferStats();
  let gotXferError = false;
  const message = (level: 'info' | 'warning' | 'error' | 'error-xfer', text: string): void => {
    if (level === 'error-xfer') gotXferError = true;
    c.reporter.message?.(level, text);
  };
  const checksum = await createStrongChecksum({
    algorithm: s.checksum,
    seed: s.checksumSeed,
    protocol: s.protocol,
    md5SeedFirst: s.seedFix,
  });
  await initDelta({ algorithm: s.fileChecksum, seed: 0, protocol: 32 });
  const ref: { sender?: Sender } = {};
  const lists = new SendFileLists({
    protocol: s.protocol,
    incRecurse: s.incRecurse,
    recursive: o.recursive,
    dirs: o.dirs,
    oneFileSystem: o.oneFileSystem,
    numericIds: o.numericIds,
    owner: o.owner,
    group: o.group,
    filters: c.filters,
    scan: {
      protocol: s.protocol,
      hardLinks: o.hardLinks,
      owner: o.owner,
      group: o.group,
      numericIds: o.numericIds,
      names: new IdNameLookup(),
      mungeLinks: o.mungeLinks,
      chmod: o.chmod,
    },
    flist: flistOptionsFor(o, s),
    fileSum: o.checksum ? (e) => wholeFileSum(e, s) : undefined,
    readAhead: c.readAhead,
    message,
    writeNdx: (ndx) => ref.sender!.writeNdx(ndx),
  });
  try {
    const sender = new Sender({
      input: c.input,
      out: c.out,
      s,
      o,
      checksum,
      lists,
      tokens:
        c.tokens ??
        (s.compress ? await tokenWriterFor(s.compress, s.protocol, o.compressLevel) : new PlainTokens()),
      stats,
      amServer: c.amServer,
      message,
      item:
        c.amServer || !c.reporter.item || (o.verbose === 0 && o.itemize === 0)
          ? undefined
          : (e, iflags, xname) => reportItem(c.reporter, e, iflags, xname),
    });
    ref.sender = sender;
    if (!c.amServer && s.incRecurse && o.verbose > 0 && !o.quiet)
      c.reporter.message?.('info', 'sending incremental file list\n');
    const startOut = c.out.bytesWritten;
    const t0 = Date.now();
    lists.sendFirst(c.out.w, c.sources.map(splitSourceArg));
    if (lists.ioErrorUnsent) await c.out.sendMessage(MSG.IO_ERROR, int32(lists.ioError));
    await c.out.flush();
    stats.flistBuildTime = Math.max(1, Date.now() - t0);
    stats.flistSize = c.out.bytesWritten - startOut;
    sender.ioError = lists.ioError;
    if (lists.lists.length === 0 || lists.lists[0]!.entries.length === 0) {
      if (c.amServer) return { stats, ioError: lists.ioError, gotXferError };
    }
    await sender.run();
    stats.numFiles = lists.numFiles;
    stats.numDirs = lists.numDirs;
    stats.totalSize = lists.totalSize;
    if (c.amServer) {
      // main.c:handle_stats() of a server sender
      const w = c.out.w;
      encodeStats(
        w,
        {
          totalRead: c.input.bytesRead,
          totalWritten: c.out.bytesWritten + w.length,
          totalSize: stats.totalSize,
          flistBuildTime: stats.flistBuildTime,
          flistXferTime: stats.flistXferTime,
        },
        s.protocol,
      );
    }
    await readFinalGoodbye(c, sender);
    stats.totalRead = c.input.bytesRead;
    stats.totalWritten = c.out.bytesWritten;
    return { stats, ioError: sender.ioError | lists.ioError, gotXferError };
  } finally {
    // the worker reading directories ahead stops with the transfer, however it ends
    lists.close();
  }
}

/** main.c:read_final_goodbye() for the sender. */
async function readFinalGoodbye(c: SendSideOptions, sender: Sender): Promise<void> {
  const proto = c.settings.protocol;
  await c.out.flush();
  if (proto < 24) return;
  const readOne = async (): Promise<number> => {
    if (proto < 29) return c.input.read((r) => r.i32());
    for (;;) {
      const ndx = await c.input.read((r) => decodeNdx(r, sender.ndxIn));
      if (ndx !== NDX_DEL_STATS) return ndx;
      // rsync.c:read_ndx_and_attrs(): deletion stats, echoed by a server sender
      const v = await c.input.read((r) => [r.varint(), r.varint(), r.varint(), r.varint(), r.varint()]);
      if (c.amServer) {
        sender.writeNdx(NDX_DEL_STATS);
        for (const x of v) c.out.w.varint(x);
      }
    }
  };
  let i = await readOne();
  if (proto >= 31 && i === NDX_DONE) {
    sender.writeNdx(NDX_DONE);
    await c.out.flush();
    i = await readOne();
  }
  if (i !== NDX_DONE) throw new ProtocolError(`Invalid packet at end of run (${i}) [sender]`);
}

function wholeFileSum(e: SendEntry, s: SessionSettings): Uint8Array | undefined {
  let fd: number;
  try {
    fd = fs.openSync(e.abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const h = createStrongChecksumSync({ algorithm: s.fileChecksum, seed: 0, protocol: 32 }).fileHasher();
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
    return h.digest();
  } finally {
    fs.closeSync(fd);
  }
}

function reportItem(r: Reporter, e: SendEntry, iflags: number, xname: Uint8Array | undefined): void {
  const entry = {
    ...e,
    name: Buffer.from(e.nameBytes).toString(),
    flags: e.flags ?? 0,
    fl: 0,
    index: 0,
  } as unknown as ListEntry;
  r.item?.({ name: e.nameBytes, entry, iflags, hlink: xname });
}

export interface ClientSendOptions {
  transport: Transport;
  leftover: Uint8Array;
  protocol: number;
  exchangeVersions: boolean;
  info: string;
  options: TransferOptions;
  sources: readonly string[];
  reporter: Reporter;
  tokens?: ((s: SessionSettings) => TokenSink) | undefined;
  setup: (input: DataIn, out: DataOut) => Promise<SessionSettings>;
  /** The receiver is our own in-process server (local_server): no filter list on the wire. */
  localServer?: boolean | undefined;
}

/** A push as the client: main.c:client_run() with am_sender. */
export async function runClientSend(o: ClientSendOptions): Promise<TransferResult> {
  const input = new DataIn(o.transport, o.leftover);
  const out = new DataOut(o.transport);
  let ioError = 0;
  let gotXferError = false;
  let settings: SessionSettings | undefined;
  try {
    settings = await o.setup(input, out);
    const s = settings;
    input.onMessage = receivingSideMessages({
      protocol: s.protocol,
      amClient: true,
      message: (level, text) => {
        if (level === 'error-xfer') gotXferError = true;
        o.reporter.message?.(level, text);
      },
      ioError: (bits) => (ioError |= bits),
      noSend: () => undefined,
      deleted: (name, dir) => o.reporter.deleted?.(name, dir),
    });
    if (s.protocol >= 30) await out.startMultiplex();
    input.startMultiplex();
    const filters = new FilterList([
      ...o.options.filters,
      ...(o.options.cvsExclude ? cvsRules(process.env['CVSIGNORE'] ?? '') : []),
    ]);
    if (!o.localServer && receiverWantsFilterList(o.options, s.protocol))
      encodeFilterList(out.w, o.options.filters, {
        protocol: s.protocol,
        amSender: true,
        deleteExcluded: o.options.deleteExcluded,
      });
    const r = await runSendingSide({
      input,
      out,
      settings: s,
      options: o.options,
      sources: o.sources,
      reporter: o.reporter,
      amServer: false,
      filters,
      tokens: o.tokens?.(s),
      // a local copy's sender has a thread of its own already
      readAhead: !o.localServer,
    });
    await drain(o.transport, input);
    return {
      exitCode: transferExitCode(ioError | r.ioError, gotXferError || r.gotXferError),
      stats: r.stats,
      settings,
    };
  } catch (e) {
    if (e instanceof ErrorExitReceived) {
      await drain(o.transport, input);
      const code = e.exitCode || transferExitCode(ioError, gotXferError);
      if (code === 0) return { exitCode: 0, stats: new TransferStats(), settings };
      throw new RsyncError(
        `rsync error: the peer ended the transfer (code ${code})`,
        'ERR_RSYNC_REMOTE',
        code,
        {
          cause: e,
          data: { remoteExit: true },
        },
      );
    }
    if (process.env['TSRSYNC_DEBUG']) console.error(e);
    const err =
      e instanceof RsyncError ? e : new StreamError(String((e as Error)?.message ?? e), { cause: e });
    await abortSession(o.transport, input, out, settings?.protocol ?? 0, err.exitCode);
    throw err;
  }
}

async function drain(t: Transport, input: DataIn, ms = 2000): Promise<void> {
  const timer = setTimeout(() => t.destroy(), ms);
  try {
    while (await input.pull()) {
      /* messages until the peer closes */
    }
  } catch {
    /* closing anyway */
  } finally {
    clearTimeout(timer);
    t.destroy();
  }
}

export { decodeFilterList };
