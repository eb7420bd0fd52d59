/** `rsync [options] SRC... host::module[/path]` as a library call: a push to an rsync daemon. */
import { serverArgs, clientAllowsIncRecurse } from '../options/server-args.js';
import type { TransferOptions } from '../options/transfer-options.js';
import type { Reporter } from '../receiver/reporter.js';
import type { TokenSink } from '../sender/sender.js';
import { clientInfo, clientSetup } from '../session/setup.js';
import type { SessionSettings } from '../session/settings.js';
import { daemonPathArgs, encodeDaemonArgs, openDaemonSession, type DaemonTarget } from './daemon-connect.js';
import type { TransferResult } from './receive-session.js';
import { runClientSend } from './send-session.js';
import { prestartScanner } from '../sender/dir-scanner.js';

export interface DaemonPushOptions {
  target: DaemonTarget;
  /** Local sources as given (a trailing '/' sends a directory's contents). */
  sources: readonly string[];
  /** Path inside the module ('' = the module's top). */
  destPath: string;
  options: TransferOptions;
  reporter: Reporter;
  contimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  tokens?: ((s: SessionSettings) => TokenSink) | undefined;
}

export async function pushToDaemon(p: DaemonPushOptions): Promise<TransferResult> {
  // the sender's directory-reading thread starts while we connect
  prestartScanner();
  const o = p.options;
  const session = await openDaemonSession(p.target, {
    protocol: o.protocol,
    contimeoutMs: p.contimeoutMs,
    onMotd: (line) => p.reporter.message?.('info', `${line}\n`),
    signal: p.signal,
  });
  const protocol = session.handshake.protocol;
  const info = protocol >= 30 ? clientInfo(clientAllowsIncRecurse(o, true, protocol)) : '';
  const args = [
    ...serverArgs(o, { amSender: true, info: protocol >= 30 ? info : undefined, protocol }),
    '.',
    ...daemonPathArgs(p.target.module, [p.destPath]),
  ];
  await session.transport.write(encodeDaemonArgs(args, protocol));
  return runClientSend({
    transport: session.transport,
    leftover: session.leftover,
    protocol,
    exchangeVersions: false,
    info,
    options: o,
    sources: p.sources,
    reporter: p.reporter,
    tokens: p.tokens,
    setup: (input, out) => clientSetup(input, out, { exchangeVersions: false, protocol, info, options: o }),
  });
}
