/**
 * A real OpenSSH server for interop tests: runs as the current user on
 * 127.0.0.1 and a free port, with host key, client key, authorized_keys and
 * sshd_config in a temp dir. `stop()` kills it and removes the dir.
 *
 * Like the rsync binaries, a missing sshd/ssh-keygen makes the tests FAIL
 * with a message saying what to install (Debian: openssh-server, openssh-client).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const SSHD = process.env['TSRSYNC_SSHD'] ?? '/usr/sbin/sshd';
/** sshd's privilege-separation directory (Debian's build). */
const PRIVSEP_DIR = '/run/sshd';

export interface SshServer {
  host: '127.0.0.1';
  port: number;
  /** The `-e` value that logs in to this server without prompts. */
  sshCommand: string;
  /** Everything sshd wrote so far (it runs with -e: logs to stderr). */
  log(): string;
  stop(): Promise<void>;
}

export interface StartSshdOptions {
  /** Give up if sshd does not greet within this many ms (default 10 s). */
  startTimeoutMs?: number;
}

function requireExecutable(p: string, what: string): void {
  try {
    accessSync(p, constants.X_OK);
  } catch (err) {
    throw new Error(`${what} not found or not executable at ${p} (install Debian's openssh-server)`, {
      cause: err,
    });
  }
}

/** Quotes a word for rsync's -e splitting (a doubled quote inside quotes is one quote). */
function rshWord(s: string): string {
  return /[ '"]/.test(s) ? `'${s.replace(/'/g, "''")}'` : s;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something on the port sends an SSH banner. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let got = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\n')) done(got.startsWith('SSH-2.0-'));
    });
    s.on('error', () => done(false));
    s.on('close', () => done(false));
  });
}

async function keygen(file: string): Promise<void> {
  await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tsrsync-test', '-f', file], {
    timeout: 10_000,
  });
}

function sshdConfig(dir: string, port: number): string {
  const user = os.userInfo().username;
  return [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${path.join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AllowUsers ${user}`,
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin yes', // CI runs the tests as root
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'PrintMotd no',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

/** Starts sshd; retries with another port if the one picked was taken meanwhile. */
export async function startSshd(opts: StartSshdOptions = {}): Promise<SshServer> {
  requireExecutable(SSHD, 'sshd');
  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsrsync-sshd-'));
  try {
    if (process.getuid?.() === 0) await fsp.mkdir(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
    const key = path.join(dir, 'client_key');
    await Promise.all([keygen(path.join(dir, 'host_key')), keygen(key)]);
    await fsp.copyFile(`${key}.pub`, path.join(dir, 'authorized_keys'));
    const sshOptions =
      `-i ${rshWord(key)} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ` +
      `-o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR`;
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const configFile = path.join(dir, 'sshd_config');
      await fsp.writeFile(configFile, sshdConfig(dir, port));
      let log = '';
      const child = spawn(SSHD, ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.on('data', (d: Buffer) => {
        log = (log + d.toString()).slice(-64 * 1024);
      });
      child.on('error', (e) => {
        log += `\nspawn failed: ${e.message}`;
      });
      let exited = false;
      child.once('exit', () => {
        exited = true;
      });
      let up = false;
      while (!exited && !up && Date.now() < deadline) {
        up = await greets(port);
        if (!up) await new Promise((r) => setTimeout(r, 50));
      }
      if (up) {
        return {
          host: '127.0.0.1',
          port,
          sshCommand: `ssh -p ${port} ${sshOptions}`,
          log: () => log,
          async stop() {
            await stopChild(child);
            await fsp.rm(dir, { recursive: true, force: true });
          },
        };
      }
      await stopChild(child);
      if (!(exited && /Address already in use/.test(log) && attempt < 3 && Date.now() < deadline)) {
        throw new Error(`sshd did not start on 127.0.0.1:${port}:\n${log}`);
      }
    }
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }
}
