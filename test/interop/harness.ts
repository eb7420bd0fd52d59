/**
 * Interop test harness: runs real rsync daemons and clients on 127.0.0.1,
 * and snapshots/compares directory trees.
 *
 * Every operation is bounded by a timeout; daemons bind 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { rsyncBinary } from './rsync-binary.js';

export { rsyncBinary, allRsyncBinaries, RSYNC_VERSIONS, REPO_ROOT } from './rsync-binary.js';
export type { RsyncVersion, RsyncBinary } from './rsync-binary.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

// ---------------------------------------------------------------------------
// temp dirs

const tempDirs: string[] = [];

/** A fresh directory under the OS temp dir. Remove with `removeTempDirs()` (or leave it). */
export async function makeTempDir(prefix = 'tsrsync-'): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every directory made by `makeTempDir()` in this process. */
export async function removeTempDirs(): Promise<void> {
  const dirs = tempDirs.splice(0);
  await Promise.all(dirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
}

// ---------------------------------------------------------------------------
// daemon

export interface DaemonModule {
  path: string;
  comment?: string;
  readOnly?: boolean;
  writeOnly?: boolean;
  /** `auth users` (comma-separated in the config). */
  authUsers?: string[];
  /** Written to a per-module secrets file (mode 0600). */
  secrets?: Record<string, string>;
  /** `list = yes|no` (default: rsync's default, yes). */
  list?: boolean;
  /** Any other module parameters, written verbatim as `key = value`. */
  extra?: Record<string, string>;
}

export interface StartDaemonOptions {
  modules: Record<string, DaemonModule>;
  /** Contents of the MOTD file (written verbatim). */
  motd?: string;
  /** rsync binary path (default: 3.5.0). */
  binary?: string;
  /** Extra global parameters. */
  global?: Record<string, string>;
  /** Max time to wait for the daemon to accept connections (default 10 s). */
  startTimeoutMs?: number;
}

export interface RsyncDaemon {
  host: '127.0.0.1';
  port: number;
  /** `rsync://127.0.0.1:PORT/module` (path appended if given). */
  url(module: string, subpath?: string): string;
  /** `127.0.0.1::module` style needs --port; provided for convenience. */
  dir: string;
  configFile: string;
  logFile: string;
  /** Current log contents. */
  log(): string;
  stop(): Promise<void>;
}

/** Asks the kernel for a free TCP port on 127.0.0.1 (racy but retried by the caller). */
/** True when something accepts connections on 127.0.0.1:`port`. */
export async function connectable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('no port'));
        return;
      }
      const { port } = addr;
      srv.close(() => resolve(port));
    });
  });
}

function configValue(v: string): string {
  if (/[\n\r]/.test(v)) throw new Error(`config value contains a newline: ${JSON.stringify(v)}`);
  return v;
}

function renderConfig(
  opts: StartDaemonOptions,
  dir: string,
  logFile: string,
  motdFile: string | undefined,
  secretFiles: Record<string, string>,
): string {
  const lines: string[] = [];
  lines.push('use chroot = no');
  lines.push('numeric ids = yes');
  lines.push('reverse lookup = no');
  lines.push(`log file = ${logFile}`);
  lines.push(`pid file = ${path.join(dir, 'rsyncd.pid')}`);
  lines.push(`lock file = ${path.join(dir, 'rsyncd.lock')}`);
  if (isRoot) {
    lines.push('uid = root');
    lines.push('gid = root');
  }
  if (motdFile !== undefined) lines.push(`motd file = ${motdFile}`);
  for (const [k, v] of Object.entries(opts.global ?? {})) lines.push(`${k} = ${configValue(v)}`);
  for (const [name, m] of Object.entries(opts.modules)) {
    lines.push('');
    lines.push(`[${name}]`);
    lines.push(`path = ${configValue(m.path)}`);
    if (m.comment !== undefined) lines.push(`comment = ${configValue(m.comment)}`);
    lines.push(`read only = ${m.readOnly === false ? 'no' : 'yes'}`);
    if (m.writeOnly !== undefined) lines.push(`write only = ${m.writeOnly ? 'yes' : 'no'}`);
    if (m.list !== undefined) lines.push(`list = ${m.list ? 'yes' : 'no'}`);
    if (m.authUsers !== undefined) lines.push(`auth users = ${m.authUsers.join(', ')}`);
    const sf = secretFiles[name];
    if (sf !== undefined) lines.push(`secrets file = ${sf}`);
    for (const [k, v] of Object.entries(m.extra ?? {})) lines.push(`${k} = ${configValue(v)}`);
  }
  return lines.join('\n') + '\n';
}

function tryConnect(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(false);
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(false);
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts `rsync --daemon --no-detach` on 127.0.0.1 with a generated config.
 * Resolves once the port accepts TCP connections.
 */
export interface DaemonConfigFiles {
  dir: string;
  configFile: string;
  logFile: string;
}

/** Writes an rsyncd.conf (and its MOTD and secrets files) for `opts` into a new temp dir. */
export async function writeDaemonConfig(opts: StartDaemonOptions): Promise<DaemonConfigFiles> {
  const dir = await makeTempDir('tsrsync-daemon-');
  const logFile = path.join(dir, 'rsyncd.log');
  let motdFile: string | undefined;
  if (opts.motd !== undefined) {
    motdFile = path.join(dir, 'motd');
    await fsp.writeFile(motdFile, opts.motd);
  }
  const secretFiles: Record<string, string> = {};
  for (const [name, m] of Object.entries(opts.modules)) {
    if (m.secrets === undefined) continue;
    const f = path.join(dir, `secrets.${name}`);
    const body = Object.entries(m.secrets)
      .map(([u, p]) => `${u}:${p}\n`)
      .join('');
    await fsp.writeFile(f, body, { mode: 0o600 });
    await fsp.chmod(f, 0o600);
    secretFiles[name] = f;
  }
  const configFile = path.join(dir, 'rsyncd.conf');
  await fsp.writeFile(configFile, renderConfig(opts, dir, logFile, motdFile, secretFiles));
  return { dir, configFile, logFile };
}

/** A running daemon on 127.0.0.1:`port` serving the config in `files`. */
export function daemonHandle(port: number, files: DaemonConfigFiles, stop: () => Promise<void>): RsyncDaemon {
  return {
    host: '127.0.0.1',
    port,
    ...files,
    url: (module, subpath) =>
      `rsync://127.0.0.1:${port}/${module}${subpath === undefined ? '' : `/${subpath}`}`,
    log: () => {
      try {
        return readFileSync(files.logFile, 'utf8');
      } catch {
        return '';
      }
    },
    stop,
  };
}

export async function startRsyncDaemon(opts: StartDaemonOptions): Promise<RsyncDaemon> {
  const binary = opts.binary ?? rsyncBinary('3.5.0');
  const { dir, configFile, logFile } = await writeDaemonConfig(opts);

  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  let lastErr = '';
  for (let attempt = 0; attempt < 5 && Date.now() < deadline; attempt++) {
    const port = await freePort();
    const child = spawn(
      binary,
      [
        '--daemon',
        '--no-detach',
        `--config=${configFile}`,
        `--port=${port}`,
        '--address=127.0.0.1',
        `--log-file=${logFile}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', (e) => {
      exited = true;
      output += String(e);
    });
    while (!exited && Date.now() < deadline) {
      if (await tryConnect(port, 500)) {
        const daemon = daemonHandle(port, { dir, configFile, logFile }, async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          if (!(await waitExit(child, 3000))) {
            child.kill('SIGKILL');
            await waitExit(child, 3000);
          }
        });
        return daemon;
      }
      await sleep(25);
    }
    if (!exited) {
      child.kill('SIGKILL');
      await waitExit(child, 3000);
    }
    let log = '';
    try {
      log = await fsp.readFile(logFile, 'utf8');
    } catch {
      /* no log */
    }
    lastErr = `exit=${String(child.exitCode)} output=${output} log=${log}`;
  }
  throw new Error(`rsync daemon (${binary}) did not start: ${lastErr}`);
}

// ---------------------------------------------------------------------------
// running rsync / other commands

export interface RunOptions {
  /** rsync binary (default 3.5.0). Ignored by `runCommand`. */
  binary?: string;
  cwd?: string;
  /** Environment additions (merged over process.env unless `cleanEnv`). */
  env?: Record<string, string | undefined>;
  cleanEnv?: boolean;
  input?: string | Uint8Array;
  /** Default 30 s; on expiry the child is SIGKILLed and `timedOut` is set. */
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  timedOut: boolean;
}

/** Runs any command with a timeout, collecting output. Never rejects for a non-zero exit. */
export function runCommand(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const base: Record<string, string | undefined> = opts.cleanEnv
    ? { PATH: process.env['PATH'] }
    : { ...process.env };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base, ...opts.env })) if (v !== undefined) env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code,
        signal,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
        timedOut,
      });
    });
    child.stdin.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Runs real rsync (default 3.5.0) with `args`. */
export function runRsync(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runCommand(opts.binary ?? rsyncBinary('3.5.0'), args, opts);
}

// ---------------------------------------------------------------------------
// tree snapshots

export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev';

export interface TreeEntry {
  type: EntryType;
  /** Permission bits incl. setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  size: bigint;
  mtimeNs: bigint;
  uid: number;
  gid: number;
  /** Symlink target. */
  target?: string;
  /** sha256 hex of regular file content. */
  sha256?: string;
  /** Device number for device nodes. */
  rdev?: bigint;
  /** For entries whose inode is shared within the tree: the first (sorted) path of the group. */
  linkGroup?: string;
}

/** Relative path ('' is the root itself) → entry, sorted by path. */
export type TreeSnapshot = Map<string, TreeEntry>;

function typeOf(st: import('node:fs').BigIntStats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'chardev';
  return 'blockdev';
}

async function sha256File(p: string): Promise<string> {
  const h = createHash('sha256');
  const fh = await fsp.open(p, 'r');
  try {
    for await (const chunk of fh.createReadStream()) h.update(chunk as Buffer);
  } finally {
    await fh.close().catch(() => undefined);
  }
  return h.digest('hex');
}

/** Walks `root` with lstat (never follows symlinks). */
export async function treeSnapshot(root: string): Promise<TreeSnapshot> {
  const raw: [string, TreeEntry, string | undefined][] = [];
  const walk = async (rel: string): Promise<void> => {
    const abs = rel === '' ? root : path.join(root, rel);
    const st = await fsp.lstat(abs, { bigint: true });
    const type = typeOf(st);
    const e: TreeEntry = {
      type,
      mode: Number(st.mode & 0o7777n),
      size: type === 'dir' ? 0n : st.size,
      mtimeNs: st.mtimeNs,
      uid: Number(st.uid),
      gid: Number(st.gid),
    };
    if (type === 'symlink') e.target = await fsp.readlink(abs);
    if (type === 'file') e.sha256 = await sha256File(abs);
    if (type === 'chardev' || type === 'blockdev') e.rdev = st.rdev;
    const inodeKey = type !== 'dir' && st.nlink > 1n ? `${st.dev}:${st.ino}` : undefined;
    raw.push([rel, e, inodeKey]);
    if (type === 'dir') {
      const names = (await fsp.readdir(abs)).sort();
      for (const n of names) await walk(rel === '' ? n : `${rel}/${n}`);
    }
  };
  await walk('');
  raw.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const groups = new Map<string, string[]>();
  for (const [rel, , key] of raw) {
    if (key === undefined) continue;
    const g = groups.get(key);
    if (g) g.push(rel);
    else groups.set(key, [rel]);
  }
  const snap: TreeSnapshot = new Map();
  for (const [rel, e, key] of raw) {
    if (key !== undefined) {
      const g = groups.get(key);
      if (g && g.length > 1 && g[0] !== undefined) e.linkGroup = g[0];
    }
    snap.set(rel, e);
  }
  return snap;
}

export interface CompareOptions {
  /** Fields to ignore everywhere. */
  ignore?: readonly (keyof TreeEntry)[];
  /** Ignore mtime of directories (often touched by the transfer). */
  ignoreDirMtime?: boolean;
  /** Ignore the root entry ('') entirely. */
  ignoreRoot?: boolean;
  /** Compare mtimes at this granularity in ns (default 1 = exact). */
  mtimeResolutionNs?: bigint;
  /**
   * Granularity for directories and symlinks (default: mtimeResolutionNs). rsync only
   * promises the second for them: one created within the second of its source's
   * mtime keeps its creation nanoseconds (same_time() compares seconds).
   */
  nonFileMtimeResolutionNs?: bigint;
  /** Paths (relative) to skip, with their subtrees. */
  skip?: readonly string[];
}

function fmt(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number')
    return v.toString(8).length > 0 && v < 0o10000 ? `0o${v.toString(8)}` : String(v);
  return JSON.stringify(v);
}

/** Readable differences between two snapshots; empty when they match. */
export function compareTrees(a: TreeSnapshot, b: TreeSnapshot, opts: CompareOptions = {}): string[] {
  const ignore = new Set<string>(opts.ignore ?? []);
  const res = opts.mtimeResolutionNs ?? 1n;
  const skipped = (p: string) =>
    (opts.ignoreRoot === true && p === '') || (opts.skip ?? []).some((s) => p === s || p.startsWith(`${s}/`));
  const diffs: string[] = [];
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const p of paths) {
    if (skipped(p)) continue;
    const name = p === '' ? '.' : p;
    const ea = a.get(p);
    const eb = b.get(p);
    if (!ea) {
      diffs.push(`${name}: only in second (${eb?.type})`);
      continue;
    }
    if (!eb) {
      diffs.push(`${name}: only in first (${ea.type})`);
      continue;
    }
    if (ea.type !== eb.type) {
      diffs.push(`${name}: type ${ea.type} != ${eb.type}`);
      continue;
    }
    const keys: (keyof TreeEntry)[] = [
      'mode',
      'size',
      'mtimeNs',
      'uid',
      'gid',
      'target',
      'sha256',
      'rdev',
      'linkGroup',
    ];
    for (const k of keys) {
      if (ignore.has(k)) continue;
      if (k === 'mtimeNs') {
        if (ea.type === 'dir' && opts.ignoreDirMtime === true) continue;
        const r = ea.type === 'file' ? res : (opts.nonFileMtimeResolutionNs ?? res);
        if (ea.mtimeNs / r !== eb.mtimeNs / r) diffs.push(`${name}: mtimeNs ${ea.mtimeNs} != ${eb.mtimeNs}`);
        continue;
      }
      if (k === 'mode' && ea.type === 'symlink') continue;
      if (ea[k] !== eb[k]) diffs.push(`${name}: ${k} ${fmt(ea[k])} != ${fmt(eb[k])}`);
    }
  }
  return diffs;
}
