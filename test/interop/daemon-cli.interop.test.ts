/**
 * `tsrsync daemon` as a process, as a service manager runs it: --config,
 * --port, --address, pid file and log file; startup warnings; and SIGTERM in
 * the middle of a push: the daemon exits, the file being replaced keeps its
 * old content, and no temp file is left in the module.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { prng } from '../golden/data.js';
import {
  REPO_ROOT,
  freePort,
  makeTempDir,
  removeTempDirs,
  rsyncBinary,
  runCommand,
  runRsync,
} from './harness.js';

const BIN = path.join(REPO_ROOT, 'packages/cli/bin/tsrsync.js');
let work: string;
let mod: string;
let conf: string;
let port: number;
let daemon: ChildProcess;
let stderr = '';

async function connectable(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: p });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  work = await makeTempDir('tsrsync-dcli-');
  mod = path.join(work, 'mod');
  await fsp.mkdir(mod);
  conf = path.join(work, 'rsyncd.conf');
  const ids = process.geteuid?.() === 0 ? 'uid = root\ngid = root\n' : '';
  await fsp.writeFile(
    conf,
    `# test daemon\npid file = ${work}/tsrsyncd.pid\nlog file = ${work}/tsrsyncd.log\nuse chroot = no\n${ids}` +
      `frobnicate = yes\n\n[mod]\n  path = ${mod}\n  read only = no\n  munge symlinks = no\n`,
  );
  port = await freePort();
  daemon = spawn(
    process.execPath,
    [BIN, 'daemon', '--no-detach', `--config=${conf}`, `--port=${port}`, '--address=127.0.0.1'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  daemon.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // listening first, then the pid file (as rsyncd): wait for both
  for (let i = 0; i < 400 && !(existsSync(path.join(work, 'tsrsyncd.pid')) && (await connectable(port))); i++)
    await new Promise((r) => setTimeout(r, 25));
}, 20_000);
afterAll(async () => {
  if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  await removeTempDirs();
});

it('serves, logs, warns about unknown parameters with their line', { timeout: 20_000 }, async () => {
  const line = process.geteuid?.() === 0 ? 7 : 5;
  expect(stderr).toContain(`warning: ${conf}:${line}: unknown parameter "frobnicate"`);
  expect(readFileSync(path.join(work, 'tsrsyncd.pid'), 'utf8').trim()).toBe(String(daemon.pid));
  const r = await runRsync([`rsync://127.0.0.1:${port}/`]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^mod\s/m);
  expect(readFileSync(path.join(work, 'tsrsyncd.log'), 'utf8')).toContain('module-list request from');
});

it('a port already in use: a clear message and exit 10', { timeout: 20_000 }, async () => {
  const r = await runCommand(process.execPath, [
    BIN,
    'daemon',
    `--config=${conf}`,
    `--port=${port}`,
    '--address=127.0.0.1',
  ]);
  expect(r.code).toBe(10);
  expect(r.stderr).toContain(`tsrsync daemon: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`);
});

it(
  'SIGTERM during a push: the old file stays whole, no temp file is left, the daemon exits',
  { timeout: 30_000 },
  async () => {
    const src = path.join(work, 'src');
    await fsp.mkdir(src);
    const old = prng(1, 1 << 20);
    await fsp.writeFile(path.join(mod, 'big.bin'), old);
    await fsp.writeFile(path.join(src, 'big.bin'), prng(2, 16 << 20));
    const client = spawn(
      rsyncBinary(),
      ['-a', '--bwlimit=1000', `${src}/`, `rsync://127.0.0.1:${port}/mod/`],
      {
        stdio: 'ignore',
      },
    );
    const clientDone = new Promise<number | null>((r) => client.once('close', (c) => r(c)));
    // wait until the daemon is writing the temp file
    const temps = async () => (await fsp.readdir(mod)).filter((n) => n.startsWith('.big.bin.'));
    for (let i = 0; i < 200 && (await temps()).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await temps()).length).toBe(1);
    const exited = new Promise<number | null>((r) => daemon.once('exit', (c) => r(c)));
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await clientDone).not.toBe(0);
    expect(await temps()).toEqual([]);
    expect(readFileSync(path.join(mod, 'big.bin')).equals(old)).toBe(true);
    expect(existsSync(path.join(work, 'tsrsyncd.pid'))).toBe(false);
  },
);
