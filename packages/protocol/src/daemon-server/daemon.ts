/**
 * `tsrsync daemon`: serves rsyncd.conf modules to rsync clients on a TCP
 * port (clientserver.c:daemon_main()). Each connection is independent: a bad
 * client ends only its own session; `max connections` is counted per
 * module; the handshake has a deadline.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { duplexTransport } from '../transport/transport.js';
import type { DaemonConfig, ModuleConfig } from './config.js';
import { handleConnection, type DaemonHooks } from './session.js';

export interface DaemonServerOptions {
  config: DaemonConfig;
  port?: number | undefined;
  address?: string | undefined;
  /** Log lines (without timestamp); default: the config's log file, else nowhere. */
  log?: ((line: string) => void) | undefined;
  handshakeTimeoutMs?: number | undefined;
  snapshotPush?: DaemonHooks['snapshotPush'];
}

export interface DaemonServer {
  port: number;
  address: string;
  /** Stops listening and ends every session (transfers abort; temp files are removed). */
  close(): Promise<void>;
  /** Sessions in progress. */
  readonly active: number;
}

/** Each user's groups, primary first, as getgrouplist(3) gives them (from /etc/passwd and /etc/group). */
function groupDb(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, 'utf8').split('\n');
    } catch {
      return [];
    }
  };
  const byGid = new Map<string, string>();
  const members: [string, string[]][] = [];
  for (const line of read('/etc/group')) {
    const f = line.split(':');
    if (f.length < 4 || !f[0]) continue;
    byGid.set(f[2]!, f[0]);
    members.push([f[0], f[3]!.split(',').filter((x) => x !== '')]);
  }
  for (const line of read('/etc/passwd')) {
    const f = line.split(':');
    const g = f.length >= 4 && f[0] ? byGid.get(f[3]!) : undefined;
    if (g !== undefined) m.set(f[0]!, [g]);
  }
  for (const [g, users] of members)
    for (const u of users) if (!(m.get(u) ?? []).includes(g)) m.set(u, [...(m.get(u) ?? []), g]);
  return m;
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
): DaemonHooks {
  const slots = new Map<string, number>();
  let groups: Map<string, string[]> | undefined;
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
    groupsOf: (user) => (groups ??= groupDb()).get(user) ?? [],
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
  const hooks = daemonHooks(cfg, log, o.snapshotPush);
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const addr = (socket.remoteAddress ?? '0.0.0.0').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    void handleConnection(
      duplexTransport(socket),
      cfg,
      { addr, host: undefined },
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
          return sockets.size;
        },
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
