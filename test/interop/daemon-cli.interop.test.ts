/**
 * `tsrsync daemon` as a process, as a service manager runs it: --config,
 * --port, --address, pid file and log file; startup warnings; and SIGTERM in
 * the middle of pushes (one served in the daemon, one in a session process
 * of the module's user `nobody`): the daemon exits, the files being replaced
 * keep their old content, and no temp file is left in either module.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { prng } from '../golden/data.js';
import {
  REPO_ROOT,
  connectable,
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
/** A module whose uid is nobody: a root daemon serves it in a process of that user. */
let nob: string;
let conf: string;
let port: number;
let daemon: ChildProcess;
let stderr = '';

beforeAll(async () => {
  work = await makeTempDir('tsrsync-dcli-');
  mod = path.join(work, 'mod');
  await fsp.mkdir(mod);
  nob = path.join(work, 'nob');
  await fsp.mkdir(nob);
  // nobody cannot pass the work directory (0700): the session process enters the module as root
  await fsp.chmod(nob, 0o777);
  conf = path.join(work, 'rsyncd.conf');
  const ids = process.geteuid?.() === 0 ? 'uid = root\ngid = root\n' : '';
  await fsp.writeFile(
    conf,
    `# test daemon\npid file = ${work}/tsrsyncd.pid\nlog file = ${work}/tsrsyncd.log\nuse chroot = no\n${ids}` +
      `frobnicate = yes\n\n[mod]\n  path = ${mod}\n  read only = no\n  munge symlinks = no\n` +
      `\n[nob]\n  path = ${nob}\n  read only = no\n  munge symlinks = no\n  uid = nobody\n  gid = nogroup\n`,
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
  'SIGTERM during pushes: the old files stay whole, no temp file is left, the daemon exits',
  { timeout: 30_000 },
  async () => {
    const src = path.join(work, 'src');
    await fsp.mkdir(src);
    const old = prng(1, 1 << 20);
    await fsp.writeFile(path.join(src, 'big.bin'), prng(2, 16 << 20));
    // the session process runs as nobody when the daemon is root (CI is)
    const modules = process.geteuid?.() === 0 ? ([mod, nob] as const) : ([mod] as const);
    const clients = modules.map((m) => {
      writeFileSync(path.join(m, 'big.bin'), old);
      const client = spawn(
        rsyncBinary(),
        ['-a', '--bwlimit=1000', `${src}/`, `rsync://127.0.0.1:${port}/${path.basename(m)}/`],
        { stdio: 'ignore' },
      );
      return new Promise<number | null>((r) => client.once('close', (c) => r(c)));
    });
    // wait until the daemon is writing the temp files
    const temps = async (m: string) => (await fsp.readdir(m)).filter((n) => n.startsWith('.big.bin.'));
    for (const m of modules) {
      for (let i = 0; i < 200 && (await temps(m)).length === 0; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect((await temps(m)).length, m).toBe(1);
    }
    if (modules.length > 1) expect(statSync(path.join(nob, (await temps(nob))[0]!)).uid).not.toBe(0);
    const exited = new Promise<number | null>((r) => daemon.once('exit', (c) => r(c)));
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const c of clients) expect(await c).not.toBe(0);
    for (const m of modules) {
      expect(await temps(m)).toEqual([]);
      expect(readFileSync(path.join(m, 'big.bin')).equals(old), m).toBe(true);
    }
    expect(existsSync(path.join(work, 'tsrsyncd.pid'))).toBe(false);
  },
);
