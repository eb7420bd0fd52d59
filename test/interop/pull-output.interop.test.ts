/**
 * What tsrsync prints equals what rsync prints: -i / -v item lines (fresh and
 * incremental), --list-only, the module listing, and the summary lines
 * (except the timing-dependent rate).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsrsync } from './cli-run.js';
import { makeFixtureTree } from './fixture-tree.js';
import { makeTempDir, removeTempDirs, runRsync, startRsyncDaemon, type RsyncDaemon } from './harness.js';

let daemon: RsyncDaemon;
let work: string;
let src: string;
beforeAll(async () => {
  work = await makeTempDir('tsrsync-out-');
  src = path.join(work, 'src');
  await makeFixtureTree(src, { bigSize: 200_000 });
  daemon = await startRsyncDaemon({
    motd: 'Welcome to the test daemon\nsecond line\n',
    modules: {
      site: { path: src, comment: 'the fixture' },
      other: { path: src, comment: 'another one' },
      hidden: { path: src, list: false },
    },
  });
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDirs();
});

/**
 * Output with the destination name normalised, and the byte counts of the
 * summary line: they depend on how each client frames its stream (rsync
 * also sends an 's' capability we do not), within a few bytes.
 */
const norm = (s: string, dest: string) =>
  s
    .split(dest)
    .join('DEST')
    .replace(
      /^sent [0-9,]+ bytes {2}received [0-9,]+ bytes {2}[0-9,.]+ bytes\/sec$/m,
      'sent N bytes  received N bytes  N bytes/sec',
    )
    .replace(/ {2}speedup is [0-9,.]+$/m, '  speedup is N')
    .replace(/ \[(Receiver|generator|receiver)=[^\]]*\]| at [a-z]+\.c\(\d+\)/g, '');

it('without -l each symlink is a "skipping non-regular file" line, as rsync prints it; -q keeps quiet', async () => {
  for (const extra of [[], ['-q'], ['-v']]) {
    const tag = `nol${extra.join('')}`;
    const ours = path.join(work, `o${tag}`);
    const ref = path.join(work, `r${tag}`);
    const a = await tsrsync('pull', '--no-l', ...extra, daemon.url('site') + '/', ours);
    const b = await runRsync(['-a', '--no-l', ...extra, daemon.url('site') + '/', ref]);
    expect(b.stdout.includes('skipping non-regular file'), extra.join(' ')).toBe(extra[0] !== '-q');
    // with -v the receiver's name lines and the generator's skips interleave by timing (rsync's
    // are two processes): the same lines, in any order; without -v, the same text
    const lines = (x: string, d: string) => (extra[0] === '-v' ? norm(x, d).split('\n').sort() : norm(x, d));
    expect(lines(a.stdout, ours)).toEqual(lines(b.stdout, ref));
    expect(a.code).toBe(b.code);
  }
});

describe.each([['-i'], ['-v'], ['-vi'], ['-iH', '--delete']])('flags %s', (...flags) => {
  it('fresh and incremental pulls print what rsync prints', async () => {
    const tag = flags.join('');
    const ours = path.join(work, `o${tag}`);
    const ref = path.join(work, `r${tag}`);
    const a = await tsrsync('pull', ...flags, daemon.url('site') + '/', ours);
    const b = await runRsync(['-a', ...flags, daemon.url('site') + '/', ref]);
    expect(norm(a.stdout, ours)).toBe(norm(b.stdout, ref));
    expect(a.code).toBe(b.code);
    // change a few things and pull again
    for (const d of [ours, ref]) {
      await fsp.writeFile(path.join(d, 'site/index.html'), 'stale');
      await fsp.chmod(path.join(d, 'run.sh'), 0o644);
      await fsp.rm(path.join(d, 'empty-file'));
      await fsp.writeFile(path.join(d, 'extra.txt'), 'not at the source');
    }
    const a2 = await tsrsync('pull', ...flags, daemon.url('site') + '/', ours);
    const b2 = await runRsync(['-a', ...flags, daemon.url('site') + '/', ref]);
    expect(norm(a2.stdout, ours)).toBe(norm(b2.stdout, ref));
  });
});

it('ls HOST:: prints the MOTD and the listable modules like rsync', async () => {
  const url = `rsync://127.0.0.1:${daemon.port}/`;
  const a = await tsrsync('ls', url);
  const b = await runRsync([url]);
  expect(a.code).toBe(0);
  expect(a.stdout).toBe(b.stdout);
  expect(a.stdout).toContain('site           \tthe fixture');
  expect(a.stdout).not.toContain('hidden');
});

it.each([[''], ['-r']])('ls HOST::MODULE %s prints rsync --list-only lines', async (flag) => {
  const url = daemon.url('site') + '/';
  const a = await tsrsync('ls', ...(flag ? [flag] : []), url);
  const b = await runRsync([...(flag ? [flag] : []), url]);
  expect(b.code).toBe(0);
  expect(a.code).toBe(0);
  expect(a.stdout).toBe(b.stdout);
});
