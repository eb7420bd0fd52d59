/**
 * tsrsync pull against real rsync daemons (3.5.0 and Debian's 3.2.7), every
 * protocol from 27 to 32: the tree equals what `rsync -a` makes from the same
 * module, a re-run changes nothing, deltas cost what rsync's cost.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsrsync, statFigure } from './cli-run.js';
import { makeFixtureTree } from './fixture-tree.js';
import {
  compareTrees,
  makeTempDir,
  removeTempDirs,
  rsyncBinary,
  runRsync,
  startRsyncDaemon,
  treeSnapshot,
  type RsyncDaemon,
  type TreeSnapshot,
} from './harness.js';

/**
 * Node sets mtimes to the microsecond (libuv): regular files are compared at that
 * resolution; dirs and symlinks at rsync's own promise, the second.
 */
const US = 1000n;
const CMP = { mtimeResolutionNs: US, nonFileMtimeResolutionNs: 1_000_000_000n };

function inodeMap(s: TreeSnapshot): Map<string, string> {
  return new Map([...s].map(([k, v]) => [k, `${v.mtimeNs}`]));
}

describe.each(['3.5.0', '3.2.7'] as const)('pull from a real rsync %s daemon', (version) => {
  let daemon: RsyncDaemon;
  let src: string;
  let work: string;
  beforeAll(async () => {
    work = await makeTempDir('tsrsync-pull-');
    src = path.join(work, 'src');
    await makeFixtureTree(src, { bigSize: 8 * 1024 * 1024 });
    daemon = await startRsyncDaemon({
      binary: rsyncBinary(version),
      modules: { site: { path: src, comment: 'fixture' } },
    });
  });
  afterAll(async () => {
    await daemon?.stop();
    await removeTempDirs();
  });

  it.each([27, 28, 29, 30, 31, 32])(
    'protocol %i: tree equals rsync -aH, re-run changes nothing',
    async (proto) => {
      const ours = path.join(work, `ours-${proto}`);
      const ref = path.join(work, `ref-${proto}`);
      const r = await tsrsync('pull', '-H', `--protocol=${proto}`, daemon.url('site') + '/', ours);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const rr = await runRsync(['-aH', `--protocol=${proto}`, daemon.url('site') + '/', ref], {
        binary: rsyncBinary(version),
      });
      expect(rr.code).toBe(0);
      const a = await treeSnapshot(ref);
      const b = await treeSnapshot(ours);
      expect(compareTrees(a, b, CMP)).toEqual([]);
      expect(b.get('site/hard2')?.linkGroup).toBe('deep/hard3');
      // protocol 31+ carries nanoseconds: kept to the microsecond (the precision Node can set)
      expect(b.get('site/index.html')?.mtimeNs).toBe(
        proto >= 31 ? 1_000_000_000_123_456_000n : 1_000_000_000_000_000_000n,
      );

      // a second run transfers nothing and touches nothing
      const before = await fsp.stat(path.join(ours, 'big.bin'), { bigint: true });
      const again = await tsrsync(
        'pull',
        '-H',
        '--stats',
        `--protocol=${proto}`,
        daemon.url('site') + '/',
        ours,
      );
      expect(again.code).toBe(0);
      expect(statFigure(again.stdout, 'Number of regular files transferred')).toBe(0);
      const after = await fsp.stat(path.join(ours, 'big.bin'), { bigint: true });
      expect(after.ino).toBe(before.ino);
      expect(inodeMap(await treeSnapshot(ours))).toEqual(inodeMap(b));
    },
  );
});
