/**
 * Transfers over a remote shell (main.c: do_cmd() + client_run()): start
 * `ssh host rsync --server ...` (or `-e COMMAND`, `--rsync-path`) and speak
 * the protocol on its stdin/stdout, protocol versions exchanged first.
 */
import { EXIT, RsyncError } from '../errors.js';
import { clientAllowsIncRecurse, serverArgs } from '../options/server-args.js';
import type { TransferOptions } from '../options/transfer-options.js';
import type { Reporter } from '../receiver/reporter.js';
import type { TokenSink } from '../sender/sender.js';
import { clientInfo, clientSetup } from '../session/setup.js';
import type { SessionSettings } from '../session/settings.js';
import { spawnRemoteShell, type RemoteShellTransport } from '../transport/remote-shell.js';
import { runReceiveSession, type ReceiverHooks, type TransferResult } from './receive-session.js';
import { runClientSend } from './send-session.js';
import { prestartScanner } from '../sender/dir-scanner.js';

export interface ShellTarget {
  host: string;
  user?: string | undefined;
  /** -e / --rsh */
  rsh?: string | undefined;
  /** --rsync-path */
  rsyncPath?: string | undefined;
}

export interface ShellPullOptions {
  target: ShellTarget;
  /** Remote paths. */
  paths: readonly string[];
  dest: string;
  options: TransferOptions;
  reporter: Reporter;
  hooks?: ReceiverHooks | undefined;
  signal?: AbortSignal | undefined;
}

export interface ShellPushOptions {
  target: ShellTarget;
  sources: readonly string[];
  /** Remote destination path. */
  destPath: string;
  options: TransferOptions;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  tokens?: ((s: SessionSettings) => TokenSink) | undefined;
}

function start(t: ShellTarget, args: string[], signal: AbortSignal | undefined): RemoteShellTransport {
  return spawnRemoteShell({
    rsh: t.rsh,
    host: t.host,
    user: t.user,
    rsyncPath: t.rsyncPath,
    serverArgs: args,
    signal,
  });
}

/** The remote shell's own exit status matters when the protocol ended early (rsync's wait_process()). */
async function withExit(tr: RemoteShellTransport, run: Promise<TransferResult>): Promise<TransferResult> {
  try {
    const res = await run;
    const status = await tr.exited;
    if (status !== 0 && res.exitCode === 0)
      return { ...res, exitCode: status === 255 ? EXIT.SOCKETIO : status };
    return res;
  } catch (e) {
    tr.destroy();
    const status = await Promise.race([tr.exited, new Promise<number>((r) => setTimeout(() => r(-1), 2000))]);
    if (e instanceof RsyncError && status === 255 && e.exitCode === EXIT.STREAMIO)
      throw new RsyncError(`${e.message} (the remote shell exited with 255)`, e.code, EXIT.STREAMIO, {
        cause: e,
      });
    throw e;
  }
}

export async function pullOverShell(p: ShellPullOptions): Promise<TransferResult> {
  const o = p.options;
  const info = o.protocol >= 30 ? clientInfo(clientAllowsIncRecurse(o, false, o.protocol)) : '';
  const args = [
    ...serverArgs(o, { amSender: false, info: info || undefined, protocol: o.protocol }),
    '.',
    ...(p.paths.length > 0 ? p.paths : ['.']),
  ];
  const tr = start(p.target, args, p.signal);
  return withExit(
    tr,
    runReceiveSession({
      transport: tr,
      leftover: new Uint8Array(0),
      protocol: o.protocol,
      exchangeVersions: true,
      info,
      options: o,
      requested: [...p.paths],
      dest: p.dest,
      reporter: p.reporter,
      hooks: p.hooks,
    }),
  );
}

export async function pushOverShell(p: ShellPushOptions): Promise<TransferResult> {
  // the sender's directory-reading thread starts while we connect
  prestartScanner();
  const o = p.options;
  const info = o.protocol >= 30 ? clientInfo(clientAllowsIncRecurse(o, true, o.protocol)) : '';
  const args = [
    ...serverArgs(o, { amSender: true, info: info || undefined, protocol: o.protocol }),
    '.',
    p.destPath === '' ? '.' : p.destPath,
  ];
  const tr = start(p.target, args, p.signal);
  return withExit(
    tr,
    runClientSend({
      transport: tr,
      leftover: new Uint8Array(0),
      protocol: o.protocol,
      exchangeVersions: true,
      info,
      options: o,
      sources: p.sources,
      reporter: p.reporter,
      tokens: p.tokens,
      setup: (input, out) =>
        clientSetup(input, out, { exchangeVersions: true, protocol: o.protocol, info, options: o }),
    }),
  );
}
