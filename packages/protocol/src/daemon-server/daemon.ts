/**
 * `tsrsync daemon`: serves rsyncd.conf modules to rsync clients on a TCP
 * port (clientserver.c:daemon_main()). Each connection is independent: a bad
 * client ends only its own session; `max connections` is counted per
 * module; the handshake has a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { duplexTransport } from '../transport/transport.js';
import { readAccounts, type AccountDb } from './accounts.js';
import type { DaemonConfig, ModuleConfig } from './config.js';
import { runSessionProcess } from './session-process.js';
import { handleConnection, type DaemonHooks } from './session.js';

export interface DaemonServerOptions {
  config: DaemonConfig;
  port?: number | undefined;
  address?: string | undefined;
  /** Log lines (without timestamp); default: the config's log file, else nowhere. */
  log?: ((line: string) => void) | undefined;
  handshakeTimeoutMs?: number | undefined;
  snapshotPush?: DaemonHooks['snapshotPush'];
  /**
   * argv of a process that calls serveSessionProcess(): with it a root daemon serves a
   * module whose uid or gid is not root's in a process of that user, as rsyncd does.
   */
  sessionCommand?: readonly string[] | undefined;
}

export interface DaemonServer {
  port: number;
  address: string;
  /** Stops listening and ends every session (transfers abort; temp files are removed). */
  close(): Promise<void>;
  /** Sessions in progress. */
  readonly active: number;
}

export function logLine(file: string): (line: string) => void {
  return (line) => {
    const d = new Date();
    const p = (n: number) => String(n).padStart(2, '0');
    const ts = `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    try {
      fs.appendFileSync(file, `${ts} [${process.pid}] ${line}\n`);
    } catch {
      /* logging must never end a session */
    }
  };
}

/** The daemon's side effects for sessions: log, MOTD, connection slots, groups, hook commands. */
export function daemonHooks(
  cfg: DaemonConfig,
  log: (line: string) => void,
  snapshotPush?: DaemonHooks['snapshotPush'],
  sessions?: { command: readonly string[]; track: (c: ChildProcess) => void },
): DaemonHooks {
  const slots = new Map<string, number>();
  let accounts: AccountDb | undefined;
  return {
    log,
    motd: () => {
      if (!cfg.motdFile) return undefined;
      try {
        return fs.readFileSync(cfg.motdFile, 'utf8');
      } catch {
        return undefined;
      }
    },
    claimSlot: (m: ModuleConfig) => {
      const n = slots.get(m.name) ?? 0;
      if (m.maxConnections > 0 && n >= m.maxConnections) return false;
      slots.set(m.name, n + 1);
      return true;
    },
    releaseSlot: (m: ModuleConfig) => slots.set(m.name, Math.max(0, (slots.get(m.name) ?? 1) - 1)),
    accounts: () => (accounts ??= readAccounts()),
    runAs: sessions
      ? (job, socket, leftover) =>
          runSessionProcess(sessions.command, job, socket, leftover, log, sessions.track)
      : undefined,
    exec: (cmd, env) =>
      new Promise((resolve) => {
        const c = spawn('/bin/sh', ['-c', cmd], { env: { ...process.env, ...env }, stdio: 'ignore' });
        c.on('error', () => resolve(127));
        c.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
      }),
    snapshotPush,
  };
}

export function startDaemonServer(o: DaemonServerOptions): Promise<DaemonServer> {
  const cfg = o.config;
  const log = o.log ?? (cfg.logFile ? logLine(cfg.logFile) : () => undefined);
  const sockets = new Set<net.Socket>();
  const children = new Set<ChildProcess>();
  let handedOff = false;
  const track = (c: ChildProcess) => {
    handedOff = true;
    children.add(c);
    c.once('exit', () => children.delete(c));
  };
  const hooks = daemonHooks(
    cfg,
    log,
    o.snapshotPush,
    o.sessionCommand ? { command: o.sessionCommand, track } : undefined,
  );
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const addr = (socket.remoteAddress ?? '0.0.0.0').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    void handleConnection(
      duplexTransport(socket),
      cfg,
      { addr, host: undefined, socket: o.sessionCommand ? socket : undefined },
      hooks,
      o.handshakeTimeoutMs,
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? cfg.port ?? 873, o.address ?? cfg.address ?? '0.0.0.0', () => {
      const a = server.address() as net.AddressInfo;
      log(`rsyncd version tsrsync starting, listening on port ${a.port}`);
      resolve({
        port: a.port,
        address: a.address,
        get active() {
          return sockets.size + children.size;
        },
        close: async () => {
          const ended = [...children].map((c) => new Promise((r) => c.once('exit', r)));
          // a session process aborts its transfer on SIGTERM as a session here does on destroy
          for (const c of children) c.kill('SIGTERM');
          await new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
            // after a socket went to a session process, Node's server.close() polls those
            // processes for their sockets and never calls back once they are gone; the
            // listener is closed at this point, and the processes are awaited below
            if (handedOff) r();
          });
          // one that does not end (stuck in the kernel, say) is not waited for forever
          const kill = setTimeout(() => {
            for (const c of children) c.kill('SIGKILL');
          }, 10_000);
          await Promise.all(ended);
          clearTimeout(kill);
        },
      });
    });
  });
}
