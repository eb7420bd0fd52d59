/** `rsync [options] host::module/path dest` as a library call: a pull from an rsync daemon. */
import { serverArgs, clientAllowsIncRecurse } from '../options/server-args.js';
import type { TransferOptions } from '../options/transfer-options.js';
import type { Reporter } from '../receiver/reporter.js';
import { clientInfo } from '../session/setup.js';
import { daemonPathArgs, encodeDaemonArgs, openDaemonSession, type DaemonTarget } from './daemon-connect.js';
import { runReceiveSession, type ReceiverHooks, type TransferResult } from './receive-session.js';

export interface DaemonPullOptions {
  target: DaemonTarget;
  /** Paths inside the module ('' or [] = the whole module). */
  paths: string[];
  dest: string;
  options: TransferOptions;
  reporter: Reporter;
  contimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  hooks?: ReceiverHooks | undefined;
}

export async function pullFromDaemon(p: DaemonPullOptions): Promise<TransferResult> {
  const o = p.options;
  const session = await openDaemonSession(p.target, {
    protocol: o.protocol,
    contimeoutMs: p.contimeoutMs,
    onMotd: (line) => p.reporter.message?.('info', `${line}\n`),
    signal: p.signal,
  });
  const protocol = session.handshake.protocol;
  const info = protocol >= 30 ? clientInfo(clientAllowsIncRecurse(o, false, protocol)) : '';
  const args = [
    ...serverArgs(o, { amSender: false, info: protocol >= 30 ? info : undefined, protocol }),
    '.',
    ...daemonPathArgs(p.target.module, p.paths),
  ];
  await session.transport.write(encodeDaemonArgs(args, protocol));
  return runReceiveSession({
    transport: session.transport,
    leftover: session.leftover,
    protocol,
    exchangeVersions: false,
    info,
    options: o,
    requested: p.paths,
    dest: p.dest,
    reporter: p.reporter,
    hooks: p.hooks,
  });
}
