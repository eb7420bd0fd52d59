/** Running tsrsync and rsync as separate processes, with wall time, peak RSS and --stats figures. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TSRSYNC = path.join(REPO, 'packages/cli/bin/tsrsync.js');
const TIME = '/usr/bin/time';

export interface RunFigures {
  wall: number;
  /** Peak RSS in MiB of the command (the largest process for rsync), NaN without /usr/bin/time. */
  rssMiB: number;
  /** User + system CPU seconds of the command (and the children it waited for), NaN without /usr/bin/time. */
  cpu: number;
  stdout: string;
  code: number;
}

export function runMeasured(cmd: string, args: string[]): Promise<RunFigures> {
  const useTime = existsSync(TIME);
  const argv = useTime ? ['-f', '%e %M %U %S', cmd, ...args] : args;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(useTime ? TIME : cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const last = err.trim().split('\n').pop() ?? '';
      const m = /^([0-9.]+) ([0-9]+) ([0-9.]+) ([0-9.]+)$/.exec(last);
      if (code !== 0) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
        return;
      }
      resolve({
        wall,
        rssMiB: m ? Number(m[2]) / 1024 : NaN,
        cpu: m ? Number(m[3]) + Number(m[4]) : NaN,
        stdout: out,
        code: code ?? -1,
      });
    });
  });
}

export function statFigure(out: string, label: string): number {
  const m = new RegExp(`^${label}: ([0-9,]+)`, 'm').exec(out);
  return m ? Number(m[1]!.replace(/,/g, '')) : NaN;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface BenchDaemon {
  url(module: string): string;
  stop(): void;
}

/** `rsync --daemon --no-detach` on 127.0.0.1 serving `modules` (name -> path). */
export async function startDaemon(dir: string, modules: Record<string, string>): Promise<BenchDaemon> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = [
    'use chroot = no',
    'numeric ids = yes',
    `pid file = ${dir}/rsyncd.pid`,
    `log file = ${dir}/rsyncd.log`,
    ...(process.getuid?.() === 0 ? ['uid = root', 'gid = root'] : []),
    ...Object.entries(modules).flatMap(([m, p]) => [`[${m}]`, `path = ${p}`, 'read only = no']),
  ].join('\n');
  writeFileSync(`${dir}/rsyncd.conf`, `${conf}\n`);
  const child: ChildProcess = spawn(
    'rsync',
    ['--daemon', '--no-detach', `--config=${dir}/rsyncd.conf`, `--port=${port}`, '--address=127.0.0.1'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: (m) => `rsync://127.0.0.1:${port}/${m}/`, stop: () => child.kill() };
}
