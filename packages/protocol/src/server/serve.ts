/**
 * One server session (main.c:start_server()): the side a client started,
 * over a remote shell (`tsrsync --server ...` on stdin/stdout) or, later, a
 * daemon connection. Setup as the server, then send (--sender: the client
 * pulls) or receive (the client pushes). Messages for the client travel in
 * the multiplexed stream; the returned code is the server's exit status.
 */
import { ErrorExitReceived, receivingSideMessages } from '../session/messages.js';
import { int32 } from '../sender/sender.js';
import { InactivityTimer } from '../session/inactivity-timer.js';
import { MSG } from '../constants.js';
import { EXIT, RsyncError } from '../errors.js';
import type { FilterRule } from '../filter/rules.js';
import { FilterList } from '../filter/filter-list.js';
import { decodeFilterList } from '../filter/wire.js';
import type { ServerInvocation } from '../options/parse-server-args.js';
import { allowIncRecurse } from '../options/transfer-options.js';
import type { Reporter } from '../receiver/reporter.js';
import { DataIn } from '../session/data-in.js';
import { DataOut } from '../session/data-out.js';
import { clientSetup } from '../session/setup.js';
import type { Transport } from '../transport/transport.js';
import { runSendingSide } from '../client/send-session.js';
import { transferExitCode } from '../client/exit-code.js';
import {
  messagesToClient,
  runServerReceiving,
  type ServerReceiveOptions,
  type ServerReceiveResult,
} from './receive-server.js';
import type { TransferOptions } from '../options/transfer-options.js';

export interface ServeOptions {
  transport: Transport;
  inv: ServerInvocation;
  /** Over a remote shell the protocol ints are exchanged; a daemon greeting already did it. */
  exchangeVersions: boolean;
  /** Our highest protocol (or the daemon greeting's result). */
  protocol: number;
  /** The server's own log. */
  log?: Reporter | undefined;
  /** Rules of the server (daemon module filters). */
  serverFilters?: readonly FilterRule[] | undefined;
  /** Bytes already read past the text phase (daemon). */
  leftover?: Uint8Array | undefined;
  /** Refuse the transfer after setup, with this message and exit code (rsync reports option errors this way). */
  refuse?: { message: string; code: number } | undefined;
  /**
   * Takes over a push (a daemon's snapshot module): `run` receives into a destination with
   * the given options and hooks; `tell` sends the client an info line.
   */
  receive?: ((run: ReceiveRun, tell: (text: string) => void) => Promise<number>) | undefined;
  /** Receive as if not root (no owners, no devices), whatever the process is. */
  amRoot?: boolean | undefined;
}

export type ReceiveRun = (
  dest: string,
  options: TransferOptions,
  hooks: Pick<ServerReceiveOptions, 'basisFinder' | 'breakSharedInodes' | 'beforeGoodbye'>,
) => Promise<ServerReceiveResult>;

export async function serveSession(o: ServeOptions): Promise<number> {
  const inv = o.inv;
  const opts = inv.options;
  const input = new DataIn(o.transport, o.leftover ?? new Uint8Array(0));
  const out = new DataOut(o.transport);
  const info = inv.info ?? '';
  // --timeout (the client's, or a daemon module's): a silent peer ends the session with code 30
  const timer =
    opts.timeout > 0 ? new InactivityTimer(opts.timeout, o.transport, input, out, 'server') : undefined;
  let settings;
  try {
    settings = await clientSetup(input, out, {
      exchangeVersions: o.exchangeVersions,
      protocol: o.protocol,
      info,
      options: opts,
      server: {
        allowIncRecurse: inv.allowIncRecurse && allowIncRecurse(opts, inv.amSender),
        checksumSeed: opts.checksumSeed,
      },
    });
  } catch (e) {
    timer?.stop();
    if (e instanceof RsyncError) return e.exitCode;
    throw e;
  }

  const s = settings;
  if (s.protocol >= 23) await out.startMultiplex();
  const reporter = messagesToClient(out, o.log, {
    protocol: s.protocol,
    verbose: opts.verbose > 0 || opts.itemize > 0,
  });
  // a fatal error goes to the client once: its text, then MSG_ERROR_EXIT (protocol 31+)
  let fatal: Promise<number> | undefined;
  const reportFatal = (e: unknown): Promise<number> =>
    (fatal ??= (async () => {
      const err =
        e instanceof RsyncError
          ? e
          : new RsyncError(String((e as Error)?.message ?? e), 'ERR_RSYNC_STREAMIO', EXIT.STREAMIO);
      reporter.message?.('error', `${err.message.replace(/\n?$/, '\n')}`);
      if (s.protocol >= 31 && out.multiplexed)
        await out.sendMessage(MSG.ERROR_EXIT, int32(err.exitCode)).catch(() => undefined);
      await out.flush().catch(() => undefined);
      return err.exitCode;
    })());
  try {
    if (o.refuse) throw new RsyncError(o.refuse.message, 'ERR_RSYNC_REFUSED', o.refuse.code);
    const [dir, ...rest] = inv.args;
    if (inv.amSender) {
      // what the client's receiver may say (io.c: read_a_msg() on a sender): its errors, and
      // MSG_ERROR_EXIT, which ends the session (protocol 31+ echoes it back)
      input.onMessage = receivingSideMessages({
        protocol: s.protocol,
        amClient: false,
        message: (level, text) => o.log?.message?.(level, text),
        ioError: () => undefined,
        noSend: () => undefined,
        deleted: () => undefined,
        replyErrorExit: (code) => {
          if (s.protocol >= 31)
            void out
              .sendMessage(MSG.ERROR_EXIT, code === undefined ? new Uint8Array(0) : int32(code))
              .catch(() => undefined);
        },
      });
      if (s.protocol >= 30) input.startMultiplex();
      const rules = await input.read((r) => decodeFilterList(r, s.protocol));
      const base = dir ?? '.';
      const paths = rest.length > 0 ? rest : opts.recursive || opts.dirs || opts.listOnly ? ['.'] : [];
      const r = await runSendingSide({
        input,
        out,
        settings: s,
        options: opts,
        sources: paths.map((p) => (base === '.' || p.startsWith('/') ? p : `${base}/${p}`)),
        reporter,
        amServer: true,
        filters: new FilterList([...(o.serverFilters ?? []), ...rules]),
      });
      await out.flush();
      return transferExitCode(r.ioError, r.gotXferError);
    }
    const run: ReceiveRun = async (dest, options, hooks) => {
      const r = await runServerReceiving({
        input,
        out,
        settings: s,
        options,
        wireOptions: opts,
        amRoot: o.amRoot,
        // receiver.c exits at once: tell the client, then stop waiting for its data
        onAbort: (e) => void reportFatal(e).then(() => o.transport.destroy()),
        dest,
        reporter,
        serverFilters: o.serverFilters,
        ...hooks,
      });
      await out.flush();
      return r;
    };
    const dest = rest[0] ?? dir ?? '.';
    if (o.receive) return await o.receive(run, (text) => reporter.message?.('info', text));
    return (await run(dest, opts, {})).exitCode;
  } catch (e) {
    // the client ended the session: nothing more to say to it
    if (e instanceof ErrorExitReceived) {
      await out.flush().catch(() => undefined);
      return e.exitCode || EXIT.STREAMIO;
    }
    return await reportFatal(e);
  } finally {
    timer?.stop();
  }
}
