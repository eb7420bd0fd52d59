/**
 * `tsrsync daemon --config FILE [--port N] [--address ADDR] [--no-detach]
 * [--log-file F]`: serve rsyncd.conf modules to rsync clients. Runs in the
 * foreground (a service manager supervises it); SIGTERM/SIGINT stop it,
 * aborting transfers in progress (temp files are removed, nothing
 * half-written is left in place).
 */
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import {
  RsyncdConfError,
  daemonHooks,
  handleConnection,
  moduleIdentity,
  pipeTransport,
  readAccounts,
  serveSessionProcess,
  logLine,
  parseRsyncdConf,
  startDaemonServer,
  type DaemonConfig,
  type DaemonServer,
  type DaemonServerOptions,
  type ModuleConfig,
  type ReceiveRun,
  type ServerInvocation,
} from '@tsrsync/protocol';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Layout, parseKeep, snapshot, SnapshotError } from '@tsrsync/snapshot';
import { UsageError, parseArgs, parseIntArg } from '../args.js';
import type { ConsoleOutput } from '../output.js';
import { VERSION } from '../version.js';

export async function runDaemon(argv: readonly string[], io: ConsoleOutput): Promise<number> {
  let config: string | undefined;
  let port: number | undefined;
  let address: string | undefined;
  let logFile: string | undefined;
  const rest = parseArgs(argv, [
    { long: 'config', arg: true, set: (v) => (config = v) },
    { long: 'port', arg: true, set: (v) => (port = parseIntArg(v!, 'port', 0, 65535)) },
    { long: 'address', arg: true, set: (v) => (address = v) },
    { long: 'log-file', arg: true, set: (v) => (logFile = v) },
    { long: 'no-detach', set: () => undefined },
    { long: 'daemon', set: () => undefined },
    {
      long: 'detach',
      set: () => {
        throw new UsageError('tsrsync daemon always runs in the foreground (use a service manager)');
      },
    },
  ]);
  if (rest.length > 0) throw new UsageError(`unexpected argument: ${rest[0]}`);
  const file = config ?? '/etc/rsyncd.conf';
  let cfg: DaemonConfig;
  try {
    cfg = parseRsyncdConf(readFileSync(file, 'utf8'), file);
  } catch (e) {
    if (e instanceof RsyncdConfError) {
      io.err(`tsrsync daemon: ${e.message}\n`);
      return 1;
    }
    io.err(`tsrsync daemon: cannot read ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  for (const w of cfg.warnings) io.err(`tsrsync daemon: warning: ${file}:${w.line}: ${w.message}\n`);
  for (const w of moduleWarnings(cfg)) io.err(`tsrsync daemon: warning: ${w}\n`);
  const logTo = logFile ?? cfg.logFile;
  const log = logTo ? logLine(logTo) : (line: string) => io.err(`${line}\n`);
  // one session's stray error must not end the others (rsyncd has a process per client)
  const stray = (e: unknown) => log(`internal error in a session: ${(e as Error)?.stack ?? String(e)}`);
  process.on('unhandledRejection', stray);
  process.on('uncaughtException', stray);
  let server: DaemonServer;
  try {
    server = await startDaemon(cfg, { port, address, log });
  } catch (e) {
    // socket.c: open_socket_in() failing is RERR_SOCKETIO
    io.err(
      `tsrsync daemon: cannot listen on ${address ?? cfg.address ?? '0.0.0.0'}:${port ?? cfg.port ?? 873}: ${(e as Error).message}\n`,
    );
    return 10;
  }
  if (cfg.pidFile) writeFileSync(cfg.pidFile, `${process.pid}\n`);
  log(`tsrsync ${VERSION} daemon listening on ${server.address}:${server.port}`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log(`received ${sig}, stopping`);
      void server.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  if (cfg.pidFile) rmSync(cfg.pidFile, { force: true });
  return 0;
}

/** What rsyncd.conf asks that tsrsync cannot do as rsync does (chroot, ids without root), and bad ids. */
export function moduleWarnings(cfg: DaemonConfig): string[] {
  const out: string[] = [];
  const root = process.geteuid?.() === 0;
  const accounts = readAccounts();
  const chroot = cfg.modules.filter((m) => m.useChroot).map((m) => m.name);
  if (chroot.length > 0)
    out.push(
      `use chroot is not available (modules ${chroot.join(', ')}): paths are confined by checks, and symlinks are munged unless "munge symlinks = no"`,
    );
  for (const m of cfg.modules) {
    const ids = moduleIdentity(m, root, accounts);
    if ('error' in ids) out.push(`module ${m.name}: ${ids.error}: clients of this module are refused`);
    else if (!root && (m.uid !== undefined || m.gid !== undefined))
      out.push(`module ${m.name}: uid/gid need a daemon run as root; files are written as this user`);
  }
  return out;
}

/**
 * `tsrsync --server --daemon .`: a single-use daemon on stdin/stdout, what a
 * client's `-e ssh HOST::MODULE` starts (clientserver.c:daemon_main() with
 * am_daemon < 0). The config is --config, else /etc/rsyncd.conf for root and
 * ./rsyncd.conf (the login directory) for others; the client's address comes
 * from SSH_CONNECTION.
 */
export async function serveDaemonOverShell(inv: ServerInvocation, io: ConsoleOutput): Promise<number> {
  const root = process.geteuid?.() === 0;
  const file = inv.daemonConfig ?? (root || !existsSync('rsyncd.conf') ? '/etc/rsyncd.conf' : 'rsyncd.conf');
  let cfg: DaemonConfig;
  try {
    cfg = parseRsyncdConf(readFileSync(file, 'utf8'), file);
  } catch (e) {
    const why = e instanceof RsyncdConfError ? e.message : `cannot read ${file}: ${(e as Error).message}`;
    io.err(`rsync: on remote machine: ${why}\n`);
    process.stdout.write(`@ERROR: ${why}\n`);
    return 1;
  }
  const logTo = inv.daemonLogFile ?? cfg.logFile;
  const log = logTo ? logLine(logTo) : () => undefined;
  const addr =
    (process.env['SSH_CONNECTION'] ?? process.env['SSH_CLIENT'] ?? '0.0.0.0').split(' ')[0] || '0.0.0.0';
  const pipe = pipeTransport(process.stdin, process.stdout);
  // the session's teardown ends our stdout (destroying it would throw from the stream)
  const transport = { ...pipe, destroy: () => void pipe.end().catch(() => undefined) };
  await handleConnection(
    transport,
    cfg,
    { addr, host: undefined },
    daemonHooks(cfg, log, snapshotPush),
    60_000,
  );
  process.stdin.destroy();
  return 0;
}

/** Starts serving `config` (the library form of `tsrsync daemon`, with snapshots on push). */
export function startDaemon(
  config: DaemonConfig,
  o: Omit<DaemonServerOptions, 'config' | 'snapshotPush' | 'sessionCommand'> = {},
): Promise<DaemonServer> {
  return startDaemonServer({ ...o, config, snapshotPush, sessionCommand: [process.execPath, BIN, SESSION_ARG] });
}

/** The command a root daemon starts for a session of a module's user (see runSessionChild()). */
const BIN = fileURLToPath(new URL('../../bin/tsrsync.js', import.meta.url));
export const SESSION_ARG = '--daemon-session-process';

/** `tsrsync --daemon-session-process`: serves one session handed over by `tsrsync daemon`. */
export function runSessionChild(): Promise<number> {
  return serveSessionProcess(snapshotPush);
}

/**
 * A module with `snapshot = yes`: the push lands in a staging tree linked to
 * the last snapshot and becomes a snapshot before the client is let go.
 * Pushes to one module wait for each other (the snapshot lock).
 */
async function snapshotPush(
  m: ModuleConfig,
  run: ReceiveRun,
  inv: ServerInvocation,
  who: string,
  tell: (text: string) => void,
): Promise<number> {
  const root = m.snapshotRoot ?? m.path;
  try {
    const res = await snapshot({
      root,
      transfer: inv.options,
      keep: m.snapshotKeep ? parseKeep(m.snapshotKeep) : undefined,
      waitSec: 3600,
      allowEmpty: true,
      tool: `tsrsync ${VERSION} daemon`,
      source: {
        description: `push to ${m.name} from ${who}`,
        run: async (r) => {
          const out = await run(r.dest, r.options, {
            basisFinder: r.hooks.basisFinder,
            breakSharedInodes: r.hooks.breakSharedInodes,
            // commit, then tell the client (rsync prints it as any daemon message) before the goodbye
            beforeGoodbye: r.finish
              ? async (x) => {
                  const before = new Layout(root).latest();
                  await r.finish!({ ...x, settings: undefined });
                  const now = new Layout(root).latest();
                  if (now !== undefined && now !== before) tell(`snapshot ${now} committed in ${m.name}\n`);
                }
              : undefined,
          });
          return { exitCode: out.exitCode, stats: out.stats, settings: undefined };
        },
      },
    });
    return res.exitCode;
  } catch (e) {
    if (e instanceof SnapshotError) return e.exitCode;
    throw e;
  }
}
