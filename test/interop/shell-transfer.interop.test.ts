/**
 * Transfers over a remote shell, both ways and in both roles, against real
 * rsync: tsrsync as the client of `rsync --server` (through a stand-in for
 * ssh and through a real sshd on 127.0.0.1), and real rsync as the client of
 * `tsrsync --server` (--rsync-path).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsrsync, statFigure } from './cli-run.js';
import { makeFixtureTree } from './fixture-tree.js';
import { REPO_ROOT, compareTrees, makeTempDir, removeTempDirs, runRsync, treeSnapshot } from './harness.js';
import { startSshd, type SshServer } from './sshd.js';

const TSRSYNC = `${process.execPath} ${path.join(REPO_ROOT, 'packages/cli/bin/tsrsync.js')}`;
let work: string;
let src: string;
let fakeSsh: string;
let sshd: SshServer;
beforeAll(async () => {
  work = await makeTempDir('tsrsync-shell-');
  src = path.join(work, 'src');
  await makeFixtureTree(src, { bigSize: 2_000_000 });
  fakeSsh = path.join(work, 'fake-ssh');
  // a stand-in for ssh: skip its options and the host, run the command through a shell
  await fsp.writeFile(
    fakeSsh,
    '#!/bin/sh\nwhile [ $# -gt 0 ]; do case "$1" in -l|-p) shift 2;; -*) shift;; *) break;; esac; done\nshift\nexec sh -c "$*"\n',
    { mode: 0o755 },
  );
  sshd = await startSshd();
}, 30_000);
afterAll(async () => {
  await sshd?.stop();
  await removeTempDirs();
});

const cmp = (proto: number, hardLinks = true) => ({
  ...(hardLinks ? {} : { ignore: ['linkGroup' as const] }),
  ignoreRoot: true,
  mtimeResolutionNs: proto >= 31 ? 1000n : 1_000_000_000n,
  nonFileMtimeResolutionNs: 1_000_000_000n,
});

describe.each([32, 31, 30, 29, 28, 27])('tsrsync client, rsync --server, protocol %i', (proto) => {
  it('pull and push through -e', { timeout: 30_000 }, async () => {
    const pulled = path.join(work, `pulled-${proto}`);
    const r = await tsrsync('pull', '-aH', `--protocol=${proto}`, '-e', fakeSsh, `localhost:${src}/`, pulled);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pulled), cmp(proto))).toEqual([]);
    const pushed = path.join(work, `pushed-${proto}`);
    const p = await tsrsync(
      'push',
      '-aH',
      `--protocol=${proto}`,
      '-e',
      fakeSsh,
      `${src}/`,
      `localhost:${pushed}`,
    );
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pushed), cmp(proto))).toEqual([]);
    const again = await tsrsync(
      'push',
      '-aH',
      '--stats',
      `--protocol=${proto}`,
      '-e',
      fakeSsh,
      `${src}/`,
      `localhost:${pushed}`,
    );
    expect(again.code).toBe(0);
    expect(statFigure(again.stdout, 'Number of regular files transferred')).toBe(0);
  });
});

describe.each([32, 30, 27])('rsync client, tsrsync --server, protocol %i', (proto) => {
  it('pull and push with --rsync-path', { timeout: 30_000 }, async () => {
    const pulled = path.join(work, `rs-pulled-${proto}`);
    const r = await runRsync([
      '-aH',
      `--protocol=${proto}`,
      '-e',
      fakeSsh,
      `--rsync-path=${TSRSYNC}`,
      `localhost:${src}/`,
      pulled,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pulled), cmp(proto))).toEqual([]);
    const pushed = path.join(work, `rs-pushed-${proto}`);
    const p = await runRsync([
      '-aH',
      `--protocol=${proto}`,
      '-e',
      fakeSsh,
      `--rsync-path=${TSRSYNC}`,
      `${src}/`,
      `localhost:${pushed}`,
    ]);
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pushed), cmp(proto))).toEqual([]);
  });
});

describe.each(['zlib', 'zlibx', 'zstd', 'lz4'])(
  'rsync client pulls from tsrsync --server with --compress-choice=%s',
  (alg) => {
    it('fresh, then a delta against a changed copy', { timeout: 30_000 }, async () => {
      const pulled = path.join(work, `rs-z-${alg}`);
      const args = ['-a', '-z', `--compress-choice=${alg}`, '-e', fakeSsh, `--rsync-path=${TSRSYNC}`];
      const r = await runRsync([...args, `localhost:${src}/`, pulled]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pulled), cmp(32, false))).toEqual([]);
      // spoil the copy of big.bin in places: the pull goes as matched blocks and compressed literals
      const big = path.join(pulled, 'big.bin');
      const fh = await fsp.open(big, 'r+');
      for (let k = 0; k < 5; k++) await fh.write(Buffer.alloc(500, k + 1), 0, 500, k * 400_000 + 99);
      await fh.close();
      await fsp.utimes(big, 1_600_000_000, 1_600_000_000);
      const d = await runRsync([...args, '--stats', `localhost:${src}/`, pulled]);
      expect(d.stderr).toBe('');
      expect(d.code).toBe(0);
      expect(statFigure(d.stdout, 'Matched data')).toBeGreaterThan(1_000_000);
      expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pulled), cmp(32, false))).toEqual([]);
    });
  },
);

describe('a single-use daemon over a remote shell (-e with HOST::MODULE)', () => {
  it("push and pull; the module's post-xfer exec sees status 0", { timeout: 30_000 }, async () => {
    const mod = path.join(work, 'dmod');
    const log = path.join(work, 'dhook.log');
    await fsp.mkdir(mod);
    const conf = path.join(work, 'rsh-rsyncd.conf');
    await fsp.writeFile(
      conf,
      `use chroot = no\nuid = 0\ngid = 0\n[mod]\npath = ${mod}\nread only = no\nmunge symlinks = no\n` +
        `post-xfer exec = /bin/sh -c 'echo "$RSYNC_MODULE_NAME $RSYNC_EXIT_STATUS" >> ${log}'\n`,
    );
    const rsyncPath = `rsync --config=${conf}`;
    const p = await tsrsync(
      'push',
      '-a',
      '-e',
      fakeSsh,
      `--rsync-path=${rsyncPath}`,
      `${src}/`,
      'localhost::mod/tree',
    );
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(
      compareTrees(await treeSnapshot(src), await treeSnapshot(path.join(mod, 'tree')), cmp(32, false)),
    ).toEqual([]);
    const deadline = Date.now() + 5000;
    let hook = '';
    while (Date.now() < deadline && !hook.includes('mod 0')) {
      hook = await fsp.readFile(log, 'utf8').catch(() => '');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(hook.trim()).toBe('mod 0');
    const back = path.join(work, 'dpulled');
    const r = await tsrsync(
      'pull',
      '-a',
      '-e',
      fakeSsh,
      `--rsync-path=${rsyncPath}`,
      'localhost::mod/tree/',
      back,
    );
    expect(r.code).toBe(0);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(back), cmp(32, false))).toEqual([]);
  });
});

describe('rsync client, tsrsync as a single-use daemon over a remote shell (--server --daemon .)', () => {
  it.each([32, 30, 27])(
    'protocol %i: push and pull; post-xfer exec sees status 0',
    { timeout: 30_000 },
    async (proto) => {
      const mod = path.join(work, `tdmod-${proto}`);
      const log = path.join(work, `tdhook-${proto}.log`);
      await fsp.mkdir(mod);
      const conf = path.join(work, `tdaemon-${proto}.conf`);
      await fsp.writeFile(
        conf,
        `use chroot = no\n[mod]\npath = ${mod}\nread only = no\nmunge symlinks = no\n` +
          `post-xfer exec = /bin/sh -c 'echo "$RSYNC_MODULE_NAME $RSYNC_EXIT_STATUS" >> ${log}'\n`,
      );
      const common = [
        '-aH',
        `--protocol=${proto}`,
        '-e',
        fakeSsh,
        `--rsync-path=${TSRSYNC} --config=${conf}`,
      ];
      const p = await runRsync([...common, `${src}/`, 'localhost::mod/tree']);
      expect(p.stderr).toBe('');
      expect(p.code).toBe(0);
      expect(
        compareTrees(await treeSnapshot(src), await treeSnapshot(path.join(mod, 'tree')), cmp(proto)),
      ).toEqual([]);
      const pulled = path.join(work, `tdpulled-${proto}`);
      const r = await runRsync([...common, 'localhost::mod/tree/', pulled]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pulled), cmp(proto))).toEqual([]);
      let lines: string[] = [];
      for (let i = 0; i < 100 && lines.length < 2; i++) {
        lines = (await fsp.readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(lines).toEqual(['mod 0', 'mod 0']);
      const bad = await runRsync([...common, 'localhost::nosuch/', pulled]);
      expect(bad.code).toBe(5);
      expect(bad.stderr).toContain("@ERROR: Unknown module 'nosuch'");
    },
  );
});

describe('through a real sshd on 127.0.0.1', () => {
  it('tsrsync pulls from and pushes to rsync over ssh', { timeout: 60_000 }, async () => {
    const pulled = path.join(work, 'ssh-pulled');
    const r = await tsrsync('pull', '-a', '-e', sshd.sshCommand, `127.0.0.1:${src}/`, pulled);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pulled), cmp(32, false))).toEqual([]);
    const pushed = path.join(work, 'ssh-pushed');
    const p = await tsrsync(
      'push',
      '-a',
      '--delete',
      '-e',
      sshd.sshCommand,
      `${src}/`,
      `127.0.0.1:${pushed}`,
    );
    expect(p.code).toBe(0);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pushed), cmp(32, false))).toEqual([]);
  });

  it('real rsync uses tsrsync --server over ssh, both ways', { timeout: 60_000 }, async () => {
    const pulled = path.join(work, 'ssh-rs-pulled');
    const r = await runRsync([
      '-a',
      '-e',
      sshd.sshCommand,
      `--rsync-path=${TSRSYNC}`,
      `127.0.0.1:${src}/`,
      pulled,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pulled), cmp(32, false))).toEqual([]);
    const pushed = path.join(work, 'ssh-rs-pushed');
    const p = await runRsync([
      '-a',
      '-e',
      sshd.sshCommand,
      `--rsync-path=${TSRSYNC}`,
      `${src}/`,
      `127.0.0.1:${pushed}`,
    ]);
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pushed), cmp(32, false))).toEqual([]);
  });

  it('a wrong host key setup or refused login fails clearly', { timeout: 30_000 }, async () => {
    const r = await tsrsync(
      'pull',
      '-a',
      '-e',
      `${sshd.sshCommand} -o User=nobody-here`,
      `127.0.0.1:${src}/`,
      path.join(work, 'x'),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Permission denied|connection unexpectedly closed/);
  });
});
