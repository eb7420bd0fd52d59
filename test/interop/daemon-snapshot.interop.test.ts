/**
 * `snapshot = yes` on a `tsrsync daemon` module, with real rsync 3.5.0 as the
 * client: each push commits a link-dest snapshot before the client's command
 * returns; pulls never snapshot; a push killed midway commits nothing and
 * leaves the last snapshot as it was.
 */
import { spawn } from 'node:child_process';
import { promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import { listSnapshots } from '@tsrsync/snapshot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../golden/data.js';
import { makeFixtureTree } from './fixture-tree.js';
import { compareTrees, makeTempDir, removeTempDirs, rsyncBinary, runRsync, treeSnapshot } from './harness.js';
import { startTsrsyncDaemon, type TsrsyncDaemon } from './tsrsync-daemon.js';
import { tsrsync } from './cli-run.js';

const CMP = { ignoreRoot: true, mtimeResolutionNs: 1000n, nonFileMtimeResolutionNs: 1_000_000_000n };
let work: string;
let src: string;
let root: string;
/** A snapshot module run as nobody (the test runs as root, as CI does). */
let nobRoot: string;
let daemon: TsrsyncDaemon;

beforeAll(async () => {
  work = await makeTempDir('tsrsync-dsnap-');
  src = path.join(work, 'src');
  root = path.join(work, 'snaps');
  nobRoot = path.join(work, 'nob/snaps');
  await fsp.chmod(work, 0o711);
  await fsp.mkdir(path.dirname(nobRoot), { mode: 0o777 });
  await fsp.chmod(path.dirname(nobRoot), 0o777);
  await makeFixtureTree(src, { bigSize: 1_000_000 });
  daemon = await startTsrsyncDaemon({
    modules: {
      snap: {
        path: root,
        extra: { 'read only': 'no', 'munge symlinks': 'no', snapshot: 'yes', 'snapshot keep': 'last=10' },
      },
      nob: {
        path: nobRoot,
        extra: {
          'read only': 'no',
          'munge symlinks': 'no',
          snapshot: 'yes',
          'snapshot keep': 'last=1',
          uid: 'nobody',
          gid: 'nogroup',
        },
      },
    },
  });
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDirs();
});

const ino = (snap: string, rel: string) => statSync(path.join(root, snap, rel)).ino;

async function idle(): Promise<void> {
  for (let i = 0; i < 200 && daemon.active > 0; i++) await new Promise((r) => setTimeout(r, 25));
}

describe('snapshot = yes', () => {
  it(
    'three pushes give three snapshots sharing unchanged inodes; a pull gives none',
    { timeout: 60_000 },
    async () => {
      const edits = ['site/index.html', 'site/css/style.css'];
      for (let k = 0; k < 3; k++) {
        if (k > 0) await fsp.appendFile(path.join(src, edits[k - 1]!), `\n<!-- edit ${k} -->\n`);
        const r = await runRsync(['-aH', `${src}/`, daemon.url('snap')]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        // committed before the client's command returned
        const snaps = listSnapshots(root);
        expect(snaps.length).toBe(k + 1);
        // and the client was told which one
        expect(r.stdout).toContain(`snapshot ${snaps.at(-1)!.name} committed in snap`);
        expect(snaps.at(-1)!.isLatest).toBe(true);
        expect(
          compareTrees(await treeSnapshot(src), await treeSnapshot(path.join(root, snaps.at(-1)!.name)), CMP),
        ).toEqual([]);
      }
      const [a, b, c] = listSnapshots(root).map((s) => s.name) as [string, string, string];
      expect(ino(a, 'big.bin')).toBe(ino(c, 'big.bin'));
      expect(ino(a, 'site/index.html')).not.toBe(ino(b, 'site/index.html'));
      expect(ino(b, 'site/index.html')).toBe(ino(c, 'site/index.html'));
      expect(ino(b, 'site/css/style.css')).not.toBe(ino(c, 'site/css/style.css'));
      const pulled = path.join(work, 'pulled');
      const p = await runRsync(['-aH', `${daemon.url('snap')}/${c}/`, pulled]);
      expect(p.code).toBe(0);
      expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pulled), CMP)).toEqual([]);
      const l = await runRsync([`${daemon.url('snap')}/`]);
      expect(l.code).toBe(0);
      // the snapshots and latest are listed; the metadata directory is not served
      expect(l.stdout).toContain(c);
      expect(l.stdout).not.toContain('.tsrsync');
      const whole = path.join(work, 'whole');
      expect((await runRsync(['-a', `${daemon.url('snap')}/`, whole])).code).toBe(0);
      expect(await fsp.readdir(whole)).not.toContain('.tsrsync');
      await idle();
      expect(listSnapshots(root).length).toBe(3);
    },
  );

  it(
    'a push killed midway commits nothing and leaves the last snapshot intact',
    { timeout: 60_000 },
    async () => {
      const before = listSnapshots(root).map((s) => s.name);
      const last = before.at(-1)!;
      const lastTree = await treeSnapshot(path.join(root, last));
      await fsp.writeFile(path.join(src, 'huge.bin'), prng(7, 16 << 20));
      const child = spawn(rsyncBinary(), ['-a', '--bwlimit=2000', `${src}/`, daemon.url('snap')], {
        stdio: 'ignore',
      });
      // wait until the daemon has the session, and some data has gone
      for (let i = 0; i < 200 && daemon.active === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(daemon.active).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      await idle();
      expect(daemon.active).toBe(0);
      expect(listSnapshots(root).map((s) => s.name)).toEqual(before);
      expect(
        compareTrees(lastTree, await treeSnapshot(path.join(root, last)), { ...CMP, ignoreRoot: false }),
      ).toEqual([]);
      // the next push (by tsrsync) succeeds, is a complete snapshot, and tsrsync reports it
      const r = await tsrsync('push', `${src}/`, daemon.url('snap'));
      expect(r.code).toBe(0);
      const after = listSnapshots(root);
      expect(r.stdout).toContain(`snapshot ${after.at(-1)!.name} committed in snap`);
      expect(after.length).toBe(before.length + 1);
      expect(
        compareTrees(await treeSnapshot(src), await treeSnapshot(path.join(root, after.at(-1)!.name)), CMP),
      ).toEqual([]);
    },
  );

  it(
    'a module run as nobody: its snapshots are made, linked and pruned by nobody',
    { timeout: 60_000 },
    async () => {
      expect(process.geteuid?.()).toBe(0);
      const nobody = statSync(path.dirname(nobRoot)).uid; // not yet: the daemon makes the root
      for (let k = 0; k < 3; k++) {
        await fsp.appendFile(path.join(src, 'site/index.html'), `\n<!-- nobody ${k} -->\n`);
        const r = await runRsync(['-aH', `${src}/`, daemon.url('nob')]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      }
      const snaps = listSnapshots(nobRoot);
      // last=1 keeps one; what it kept is the source, written by nobody
      expect(snaps.length).toBe(1);
      const owner = statSync(nobRoot).uid;
      expect(owner).not.toBe(0);
      expect(owner).not.toBe(nobody);
      const tree = await treeSnapshot(path.join(nobRoot, snaps[0]!.name));
      for (const [rel, e] of tree) expect(e.uid, rel).toBe(owner);
      expect(compareTrees(await treeSnapshot(src), tree, { ...CMP, ignore: ['uid', 'gid'] })).toEqual([]);
    },
  );
});
