/**
 * tsrsync snapshot against a real rsync daemon: link-dest sharing, history
 * never rewritten, rename-friendly bases, empty-source refusal, locking,
 * retention, resume.
 */
import { promises as fsp, readFileSync, readdirSync, statSync, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tsrsync } from './cli-run.js';
import { makeFixtureTree, setMtimeNs } from './fixture-tree.js';
import {
  compareTrees,
  makeTempDir,
  removeTempDirs,
  runRsync,
  startRsyncDaemon,
  treeSnapshot,
  type RsyncDaemon,
} from './harness.js';
import { prng } from '../golden/data.js';

let daemon: RsyncDaemon;
let work: string;
let src: string;
let empty: string;
beforeAll(async () => {
  work = await makeTempDir('tsrsync-snap-');
  src = path.join(work, 'src');
  empty = path.join(work, 'empty');
  await makeFixtureTree(src, { bigSize: 2_000_000 });
  await fsp.mkdir(empty);
  daemon = await startRsyncDaemon({
    modules: {
      site: { path: src, extra: { uid: '0', gid: '0' } },
      empty: { path: empty, extra: { uid: '0', gid: '0' } },
    },
  });
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDirs();
});

const ino = (p: string) => statSync(p).ino;
const snaps = (root: string) =>
  readdirSync(root)
    .filter((n) => /^\d{4}-\d\d-\d\dT\d{6}Z$/.test(n))
    .sort();

async function snap(root: string, now: string, ...extra: string[]) {
  return tsrsync('snapshot', `--now=${now}`, ...extra, `${daemon.url('site')}/`, root);
}

describe('tsrsync snapshot of a real rsync daemon', () => {
  it('links unchanged files, gives changed ones new inodes, never rewrites history', async () => {
    const root = path.join(work, 'r1');
    const r1 = await snap(root, '2026-01-01T03:00:00Z');
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    const [a] = snaps(root);
    expect(a).toBe('2026-01-01T030000Z');
    expect(readlinkSync(path.join(root, 'latest'))).toBe(a);
    // the snapshot holds exactly what rsync -a gives
    const ref = path.join(work, 'ref1');
    const rr = await runRsync(['-a', `${daemon.url('site')}/`, `${ref}/`]);
    expect(rr.code).toBe(0);
    expect(
      compareTrees(await treeSnapshot(ref), await treeSnapshot(path.join(root, a!)), {
        ignoreRoot: true,
        mtimeResolutionNs: 1000n,
        nonFileMtimeResolutionNs: 1_000_000_000n,
      }),
    ).toEqual([]);
    const m1 = JSON.parse(readFileSync(path.join(root, '.tsrsync/manifests', `${a}.json`), 'utf8'));
    expect(m1).toMatchObject({ name: a, exitCode: 0, resumed: false, linkedFiles: 0 });
    expect(m1.transferredFiles).toBeGreaterThan(10);

    // change one file's content, another's mode only
    await fsp.writeFile(path.join(src, 'site/index.html'), '<html>v2</html>\n');
    setMtimeNs(path.join(src, 'site/index.html'), 1_500_000_000, 0);
    await fsp.chmod(path.join(src, 'run.sh'), 0o700);
    const oldRun = lstatSync(path.join(root, a!, 'run.sh'));
    const r2 = await snap(root, '2026-01-02T03:00:00Z', '-i');
    expect(r2.code).toBe(0);
    const b = snaps(root)[1]!;
    expect(readlinkSync(path.join(root, 'latest'))).toBe(b);
    const A = (p: string) => path.join(root, a!, p);
    const B = (p: string) => path.join(root, b, p);
    expect(ino(B('big.bin'))).toBe(ino(A('big.bin')));
    expect(ino(B('site/img/logo.png'))).toBe(ino(A('site/img/logo.png')));
    expect(ino(B('site/index.html'))).not.toBe(ino(A('site/index.html')));
    expect(readFileSync(A('site/index.html'), 'utf8')).toContain('hello');
    // chmod-only: a new inode in the new snapshot, the old one keeps its mode
    expect(ino(B('run.sh'))).not.toBe(ino(A('run.sh')));
    expect(lstatSync(B('run.sh')).mode & 0o777).toBe(0o700);
    const nowRun = lstatSync(A('run.sh'));
    expect(nowRun.mode & 0o777).toBe(0o755);
    expect(nowRun.ino).toBe(oldRun.ino);
    expect(nowRun.mtimeMs).toBe(oldRun.mtimeMs);
    const m2 = JSON.parse(readFileSync(path.join(root, '.tsrsync/manifests', `${b}.json`), 'utf8'));
    expect(m2.linkedFiles).toBeGreaterThan(5);
    expect(m2.transferredFiles).toBe(1);
    expect(m2.copiedFiles).toBe(1);
    expect(m2.linkDests).toEqual([a]);
    expect(r2.stdout).toMatch(/^>f\.st\.+ site\/index\.html$/m);
    expect(r2.stdout).toMatch(/^cf\.\.\.p\.+ run\.sh$/m);
    // the second snapshot equals rsync -a of the changed module
    const ref2 = path.join(work, 'ref2');
    expect((await runRsync(['-a', `${daemon.url('site')}/`, `${ref2}/`])).code).toBe(0);
    expect(
      compareTrees(await treeSnapshot(ref2), await treeSnapshot(path.join(root, b)), {
        ignoreRoot: true,
        mtimeResolutionNs: 1000n,
        nonFileMtimeResolutionNs: 1_000_000_000n,
        ignore: ['linkGroup'],
      }),
    ).toEqual([]);
  });

  it('renamed directories cost almost nothing: files are linked to the previous snapshot', async () => {
    const root = path.join(work, 'r-rename');
    await fsp.mkdir(path.join(src, 'media'), { recursive: true });
    await fsp.writeFile(path.join(src, 'media/video.bin'), prng(77, 3_000_000));
    expect((await snap(root, '2026-02-01T00:00:00Z')).code).toBe(0);
    await fsp.rename(path.join(src, 'media'), path.join(src, 'media-2026'));
    const r = await snap(root, '2026-02-02T00:00:00Z', '--stats');
    expect(r.code).toBe(0);
    const [a, b] = snaps(root);
    expect(ino(path.join(root, b!, 'media-2026/video.bin'))).toBe(
      ino(path.join(root, a!, 'media/video.bin')),
    );
    const m = JSON.parse(readFileSync(path.join(root, '.tsrsync/manifests', `${b}.json`), 'utf8'));
    expect(m.bytesReceived).toBeLessThan(100_000);
    // the same rename with different mtime: the old file is the delta basis
    await fsp.rename(path.join(src, 'media-2026'), path.join(src, 'media-x'));
    setMtimeNs(path.join(src, 'media-x/video.bin'), 1_600_000_000, 0);
    expect((await snap(root, '2026-02-03T00:00:00Z')).code).toBe(0);
    const c = snaps(root)[2]!;
    const mc = JSON.parse(readFileSync(path.join(root, '.tsrsync/manifests', `${c}.json`), 'utf8'));
    expect(mc.transferredFiles).toBe(1);
    expect(mc.literalBytes).toBeLessThan(10_000);
    expect(readFileSync(path.join(root, c, 'media-x/video.bin')).equals(prng(77, 3_000_000))).toBe(true);
    await fsp.rm(path.join(src, 'media-x'), { recursive: true });
  });

  it('refuses an empty source unless --allow-empty', async () => {
    const root = path.join(work, 'r-empty');
    const r = await tsrsync('snapshot', '--now=2026-03-01T00:00:00Z', `${daemon.url('empty')}/`, root);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('sent no files');
    expect(snaps(root)).toEqual([]);
    const ok = await tsrsync(
      'snapshot',
      '--allow-empty',
      '--now=2026-03-01T00:00:00Z',
      `${daemon.url('empty')}/`,
      root,
    );
    expect(ok.code).toBe(0);
    expect(snaps(root)).toEqual(['2026-03-01T000000Z']);
  });

  it('one run per ROOT: a second one fails clearly, or waits with --wait', async () => {
    const root = path.join(work, 'r-lock');
    const [x, y] = await Promise.all([
      snap(root, '2026-04-01T00:00:00Z'),
      (async () => {
        await new Promise((r) => setTimeout(r, 30));
        return snap(root, '2026-04-01T00:00:01Z');
      })(),
    ]);
    expect([x.code, y.code].sort()).toEqual([0, 1]);
    const loser = x.code === 1 ? x : y;
    expect(loser.stderr).toMatch(/is locked by another tsrsync run \(pid \d+/);
    expect(snaps(root)).toHaveLength(1);
    const [p, q] = await Promise.all([
      snap(root, '2026-04-02T00:00:00Z'),
      (async () => {
        await new Promise((r) => setTimeout(r, 30));
        return snap(root, '2026-04-02T00:00:01Z', '--wait=60');
      })(),
    ]);
    expect([p.code, q.code]).toEqual([0, 0]);
    expect(snaps(root)).toHaveLength(3);
  });

  it('--keep prunes after the commit, keeping the newest; manifests follow', async () => {
    const root = path.join(work, 'r-keep');
    for (const d of ['01', '02', '03', '04'])
      expect((await snap(root, `2026-05-${d}T00:00:00Z`, '--keep=last=2')).code).toBe(0);
    expect(snaps(root)).toEqual(['2026-05-03T000000Z', '2026-05-04T000000Z']);
    expect(readdirSync(path.join(root, '.tsrsync/manifests')).sort()).toEqual([
      '2026-05-03T000000Z.json',
      '2026-05-04T000000Z.json',
    ]);
    expect(readdirSync(path.join(root, '.tsrsync/trash'))).toEqual([]);
    // a clock that went back is refused, nothing changes
    const back = await snap(root, '2026-05-02T00:00:00Z');
    expect(back.code).toBe(1);
    expect(back.stderr).toContain('clock moved back');
  });

  it('a failed transfer commits nothing; the next run resumes with delete semantics', async () => {
    const root = path.join(work, 'r-resume');
    expect((await snap(root, '2026-06-01T00:00:00Z')).code).toBe(0);
    await fsp.writeFile(path.join(src, 'doomed.txt'), 'soon gone\n');
    // a source path that does not exist: rsync's code 23, nothing committed
    const r = await tsrsync(
      'snapshot',
      '--now=2026-06-03T00:00:00Z',
      `${daemon.url('site')}/nonexistent-path`,
      root,
    );
    expect(r.code).toBe(23);
    expect(r.stderr).toContain('snapshot not committed');
    expect(snaps(root)).toHaveLength(1);
    // what an interrupted run leaves: a staging tree holding files the source no longer has
    await fsp.mkdir(path.join(root, '.tsrsync/staging/leftover'), { recursive: true });
    await fsp.writeFile(path.join(root, '.tsrsync/staging/leftover/old.txt'), 'stale\n');
    await fsp.rm(path.join(src, 'doomed.txt'));
    const r2 = await snap(root, '2026-06-04T00:00:00Z');
    expect(r2.code).toBe(0);
    expect(r2.stderr).toContain('resuming the snapshot interrupted');
    const last = snaps(root).at(-1)!;
    const names = readdirSync(path.join(root, last));
    expect(names).not.toContain('leftover');
    expect(names).not.toContain('doomed.txt');
    const m = JSON.parse(readFileSync(path.join(root, '.tsrsync/manifests', `${last}.json`), 'utf8'));
    expect(m.resumed).toBe(true);
  });

  it('a file at the link limit is copied and starts a new chain', async () => {
    const root = path.join(work, 'r-emlink');
    expect((await snap(root, '2026-07-01T00:00:00Z')).code).toBe(0);
    const real = fs.linkSync;
    const spy = vi.spyOn(fs, 'linkSync').mockImplementation((from, to) => {
      if (String(from).endsWith('/big.bin'))
        throw Object.assign(new Error('EMLINK: too many links'), { code: 'EMLINK', errno: -31 });
      return real(from, to);
    });
    let r;
    try {
      r = await snap(root, '2026-07-02T00:00:00Z');
    } finally {
      spy.mockRestore();
    }
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('big.bin: link limit reached, copied (a new link chain starts)');
    const [a, b] = snaps(root);
    expect(ino(path.join(root, b!, 'big.bin'))).not.toBe(ino(path.join(root, a!, 'big.bin')));
    expect(
      readFileSync(path.join(root, b!, 'big.bin')).equals(readFileSync(path.join(root, a!, 'big.bin'))),
    ).toBe(true);
    expect(ino(path.join(root, b!, 'run.sh'))).toBe(ino(path.join(root, a!, 'run.sh')));
    // the next snapshot links to the new copy: the chain continues from there
    expect((await snap(root, '2026-07-03T00:00:00Z')).code).toBe(0);
    const c = snaps(root)[2]!;
    expect(ino(path.join(root, c, 'big.bin'))).toBe(ino(path.join(root, b!, 'big.bin')));
  });

  it('--job: several points into one snapshot, each linked to its own earlier copy', async () => {
    const root = path.join(work, 'r-job');
    const job = path.join(work, 'web.yaml');
    await fsp.writeFile(
      job,
      [
        `root: ${root}`,
        'keep: last=2',
        'points:',
        `  - source: ${daemon.url('site')}/site/`,
        '    dest: web',
        `  - source: ${daemon.url('site')}/deep/`,
        '    dest: other/deep',
        "    exclude: ['leaf.txt']",
        '',
      ].join('\n'),
    );
    for (const now of ['2026-08-01T00:00:00Z', '2026-08-02T00:00:00Z', '2026-08-03T00:00:00Z']) {
      const r = await tsrsync('snapshot', '-q', `--now=${now}`, '--job', job);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const [a, b] = snaps(root);
    expect(snaps(root)).toHaveLength(2);
    expect(readdirSync(path.join(root, b!)).sort()).toEqual(['other', 'web']);
    expect(ino(path.join(root, b!, 'web/img/logo.png'))).toBe(ino(path.join(root, a!, 'web/img/logo.png')));
    expect(readdirSync(path.join(root, b!, 'other/deep/a/b/c/d/e'))).toEqual([]);
  });
});
