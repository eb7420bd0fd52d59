/**
 * Opening a daemon session as a client (clientserver.c:start_socket_client(),
 * start_inband_exchange()): TCP connect, text handshake, the argument vector.
 */
import { daemonHandshake, type DaemonHandshakeResult } from '../daemon/handshake.js';
import { DaemonStartError } from '../daemon/errors.js';
import { ByteReader } from '../transport/byte-reader.js';
import { connectTcp } from '../transport/tcp.js';
import { spawnRemoteShell } from '../transport/remote-shell.js';
import type { Transport } from '../transport/transport.js';

export interface DaemonTarget {
  host: string;
  port: number;
  module: string;
  user?: string | undefined;
  password?: (() => Promise<string>) | undefined;
  /**
   * Reach the daemon through a remote shell instead of TCP: `-e ssh
   * host::module` runs a single-use `rsync --server --daemon .` there
   * (main.c:start_inband_exchange() over do_cmd()).
   */
  shell?: { rsh?: string | undefined; rsyncPath?: string | undefined } | undefined;
}

export interface DaemonSession {
  transport: Transport;
  /** Bytes the handshake read past the text phase. */
  leftover: Uint8Array;
  handshake: DaemonHandshakeResult;
}

export interface ConnectOptions {
  protocol: number;
  contimeoutMs?: number | undefined;
  /** Bound on the text phase (ms). */
  handshakeTimeoutMs?: number | undefined;
  onMotd?: ((line: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export async function openDaemonSession(t: DaemonTarget, o: ConnectOptions): Promise<DaemonSession> {
  const transport: Transport = t.shell
    ? spawnRemoteShell({
        rsh: t.shell.rsh,
        rsyncPath: t.shell.rsyncPath,
        host: t.host,
        user: t.user,
        serverArgs: ['--server', '--daemon', '.'],
        signal: o.signal,
      })
    : await connectTcp(t.host, t.port, {
        ...(o.contimeoutMs !== undefined ? { timeoutMs: o.contimeoutMs } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
  try {
    const reader = new ByteReader(transport);
    const handshake = await daemonHandshake(reader, transport, {
      module: t.module,
      protocol: o.protocol,
      ...(t.user !== undefined ? { user: t.user } : {}),
      ...(t.password !== undefined ? { password: t.password } : {}),
      ...(o.onMotd ? { onMotd: o.onMotd } : {}),
      timeoutMs: o.handshakeTimeoutMs ?? 60_000,
    });
    if (handshake.status !== 'ok')
      throw new DaemonStartError(`rsync: the daemon did not accept module ${t.module}`);
    return { transport, leftover: reader.takeBuffered(), handshake };
  } catch (e) {
    transport.destroy();
    throw e;
  }
}

/**
 * An option's value as rsync 3.5.0 sends it to a daemon (options.c:safe_arg()):
 * shell and wildcard characters behind a backslash; the daemon removes them.
 */
export function escapeOptionValue(v: string): string {
  return v.replace(/[*?[\]!#$&;|<>(){}"'`\\ \t]/g, (c) => `\\${c}`);
}

/**
 * The argument vector: NUL-separated for protocol >= 30, newline-separated below; an empty arg
 * ends it. Option values (the words before "." that are not options) are escaped as rsync does.
 */
export function encodeDaemonArgs(rawArgs: readonly string[], protocol: number): Uint8Array {
  const sep = protocol >= 30 ? '\0' : '\n';
  const dot = rawArgs.indexOf('.');
  const args = rawArgs.map((a, i) => (i < dot && i > 0 && !a.startsWith('-') ? escapeOptionValue(a) : a));
  for (const a of args) {
    if (a.includes(sep) || (protocol < 30 && a.includes('\0')))
      throw new DaemonStartError(`argument contains a separator byte: ${JSON.stringify(a)}`);
  }
  return Buffer.from(args.map((a) => a + sep).join('') + sep, 'utf8');
}

/** `mod/path` for each path (a bare module is sent as "mod/"); a leading '-' gets "./". */
export function daemonPathArgs(module: string, paths: readonly string[]): string[] {
  const list = paths.length === 0 ? [''] : paths;
  return list.map((p) => {
    const rest = p.replace(/^\/+/, '');
    return rest.length === 0 ? `${module}/` : `${module}/${rest}`;
  });
}
