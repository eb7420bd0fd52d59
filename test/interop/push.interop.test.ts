/**
 * tsrsync push to a real rsync 3.5.0 daemon at every protocol 27-32: the
 * module's tree equals the source, the post-xfer exec hook sees the status,
 * a re-push moves nothing, deltas are small, --delete, authentication.
 */
import { mkdirSync, promises as fsp, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../golden/data.js';
import { statFigure, tsrsync } from './cli-run.js';
import { addTinyFiles, makeFixtureTree, setMtimeNs } from './fixture-tree.js';
import {
  compareTrees,
  makeTempDir,
  removeTempDirs,
  runRsync,
  startRsyncDaemon,
  treeSnapshot,
  type RsyncDaemon,
} from './harness.js';

const CMP = { ignoreRoot: true, mtimeResolutionNs: 1000n, nonFileMtimeResolutionNs: 1_000_000_000n };
const BIG = 8 * 1024 * 1024;

let daemon: RsyncDaemon;
let work: string;
let src: string;
let up: string;
let hookLog: string;
beforeAll(async () => {
  work = await makeTempDir('tsrsync-push-');
  src = path.join(work, 'src');
  up = path.join(work, 'up');
  hookLog = path.join(work, 'hook.log');
  await makeFixtureTree(src, { bigSize: BIG });
  await fsp.mkdir(up);
  const hook = path.join(work, 'hook.sh');
  await fsp.writeFile(hook, `#!/bin/sh\necho "$RSYNC_MODULE_NAME $RSYNC_EXIT_STATUS" >> ${hookLog}\n`, {
    mode: 0o755,
  });
  const common = { uid: '0', gid: '0', 'read only': 'no', 'munge symlinks': 'no', 'use chroot': 'no' };
  daemon = await startRsyncDaemon({
    modules: {
      up: { path: up, extra: common },
      // one module per protocol, so each push's post-xfer exec line is its own
      ...Object.fromEntries(
        [27, 28, 29, 30, 31, 32].map((p) => [
          `up${p}`,
          { path: up, extra: { ...common, 'post-xfer exec': hook } },
        ]),
      ),
      locked: { path: up, authUsers: ['bob'], secrets: { bob: 'pw1' }, extra: common },
    },
  });
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDirs();
});

const hookLines = async (): Promise<string[]> =>
  (await fsp.readFile(hookLog, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');

/** The daemon runs post-xfer exec after the client has gone: wait for the line of `module`. */
async function waitHook(module: string): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const l = (await hookLines()).filter((x) => x.startsWith(`${module} `));
    if (l.length > 0 || Date.now() > deadline) return l;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each([32, 31, 30, 29, 28, 27])('push at protocol %i', (proto) => {
  it('the module holds the source tree; the hook saw status 0; a re-push moves nothing', async () => {
    const dest = `p${proto}`;
    const r = await tsrsync(
      'push',
      '-aH',
      `--protocol=${proto}`,
      `${src}/`,
      `${daemon.url(`up${proto}`)}/${dest}`,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // protocols before 31 carry whole seconds only
    const cmp = { ...CMP, mtimeResolutionNs: proto >= 31 ? 1000n : 1_000_000_000n };
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(path.join(up, dest)), cmp)).toEqual([]);
    expect(await waitHook(`up${proto}`)).toEqual([`up${proto} 0`]);
    const again = await tsrsync(
      'push',
      '-aH',
      '--stats',
      `--protocol=${proto}`,
      `${src}/`,
      `${daemon.url('up')}/${dest}`,
    );
    expect(again.code).toBe(0);
    expect(statFigure(again.stdout, 'Number of regular files transferred')).toBe(0);
    expect(statFigure(again.stdout, 'Literal data')).toBe(0);
  });
});

describe('push options', () => {
  it('a delta push sends within 10% of the bytes real rsync sends', async () => {
    const a = path.join(up, 'delta-ours');
    const b = path.join(up, 'delta-ref');
    expect((await tsrsync('push', `${src}/`, `${daemon.url('up')}/delta-ours`)).code).toBe(0);
    expect((await runRsync(['-a', `${src}/`, `${daemon.url('up')}/delta-ref`])).code).toBe(0);
    const big = path.join(src, 'big.bin');
    const data = readFileSync(big);
    for (let k = 0; k < 20; k++) data.set(prng(300 + k, 1024), Math.floor((k * BIG) / 20) + 333);
    await fsp.writeFile(big, data);
    setMtimeNs(big, 1_650_000_000, 0);
    const r = await tsrsync('push', '--stats', `${src}/`, `${daemon.url('up')}/delta-ours`);
    expect(r.code).toBe(0);
    const rr = await runRsync(['-a', '--stats', `${src}/`, `${daemon.url('up')}/delta-ref`]);
    expect(rr.code).toBe(0);
    const ours = statFigure(r.stdout, 'Total bytes sent');
    const ref = statFigure(rr.stdout, 'Total bytes sent');
    expect(ours).toBeLessThanOrEqual(ref * 1.1);
    expect(ours).toBeLessThan(BIG / 10);
    expect(readFileSync(path.join(a, 'big.bin')).equals(data)).toBe(true);
    expect(compareTrees(await treeSnapshot(b), await treeSnapshot(a), CMP)).toEqual([]);
  });

  it('--delete removes what the source does not have', async () => {
    const d = path.join(up, 'del');
    expect((await tsrsync('push', `${src}/site/`, `${daemon.url('up')}/del`)).code).toBe(0);
    await fsp.writeFile(path.join(d, 'extra.txt'), 'x');
    await fsp.mkdir(path.join(d, 'extra-dir/sub'), { recursive: true });
    const r = await tsrsync('push', '-v', '--delete', `${src}/site/`, `${daemon.url('up')}/del`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deleting extra.txt');
    expect(compareTrees(await treeSnapshot(path.join(src, 'site')), await treeSnapshot(d), CMP)).toEqual([]);
  });

  it('excludes keep files from being sent', async () => {
    const r = await tsrsync(
      'push',
      '--exclude=*.bin',
      '--exclude=deep/',
      `${src}/`,
      `${daemon.url('up')}/excl`,
    );
    expect(r.code).toBe(0);
    const names = await fsp.readdir(path.join(up, 'excl'));
    expect(names).not.toContain('big.bin');
    expect(names).not.toContain('deep');
    expect(names).toContain('site');
  });

  it('names that are not UTF-8 arrive byte for byte, as real rsync sends them', async () => {
    const names = [
      Buffer.from([0xff, 0xfe, 0x41]),
      Buffer.from('caf\u00e9'),
      Buffer.from([0x80, 0x5c, 0x6e]),
      Buffer.from([0xe9, 0x2e, 0x74, 0x78, 0x74]),
    ];
    const odd = path.join(work, 'odd');
    await fsp.mkdir(path.join(odd, 'sub'), { recursive: true });
    for (const [i, n] of names.entries()) {
      writeFileSync(Buffer.concat([Buffer.from(`${odd}/`), n]), `file ${i}\n`);
      mkdirSync(Buffer.concat([Buffer.from(`${odd}/sub/`), n]));
    }
    const listing = (dir: string) =>
      readdirSync(Buffer.from(dir), { encoding: 'buffer' })
        .map((b) => b.toString('hex'))
        .sort();
    for (const who of ['tsrsync', 'rsync'] as const) {
      const r =
        who === 'tsrsync'
          ? await tsrsync('push', '-a', `${odd}/`, `${daemon.url('up')}/odd-${who}`)
          : await runRsync(['-a', `${odd}/`, `${daemon.url('up')}/odd-${who}`]);
      expect(r.code, r.stderr).toBe(0);
    }
    for (const sub of ['', 'sub']) {
      expect(listing(path.join(up, 'odd-tsrsync', sub))).toEqual(listing(path.join(odd, sub)));
      expect(listing(path.join(up, 'odd-tsrsync', sub))).toEqual(listing(path.join(up, 'odd-rsync', sub)));
    }
    expect(readFileSync(Buffer.concat([Buffer.from(`${up}/odd-tsrsync/`), names[0]!]), 'utf8')).toBe(
      'file 0\n',
    );
  });

  it('authentication: the right password works, a wrong one exits 5', async () => {
    process.env['RSYNC_PASSWORD'] = 'pw1';
    try {
      const good = await tsrsync(
        'push',
        `${src}/site/`,
        `${daemon.url('locked').replace('rsync://', 'rsync://bob@')}/auth`,
      );
      expect(good.stderr).toBe('');
      expect(good.code).toBe(0);
      process.env['RSYNC_PASSWORD'] = 'nope';
      const bad = await tsrsync(
        'push',
        `${src}/site/`,
        `${daemon.url('locked').replace('rsync://', 'rsync://bob@')}/auth`,
      );
      expect(bad.code).toBe(5);
      expect(bad.stderr).toContain('auth failed on module locked');
    } finally {
      delete process.env['RSYNC_PASSWORD'];
    }
  });
});

/** Each compression a real rsync 3.5.0 receiver decodes: fresh files, tiny files, then a delta with matched blocks. */
describe.each([
  ['zlib', 32],
  ['zlibx', 32],
  ['zstd', 32],
  ['lz4', 32],
  ['zlib', 29],
  ['zlib', 27],
])('push --compress-choice=%s at protocol %i', (alg, proto) => {
  it('real rsync decodes fresh, tiny and delta-matched data', async () => {
    const name = `z-${alg}-${proto}`;
    const local = path.join(work, name);
    await fsp.cp(src, local, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    await addTinyFiles(local);
    const zopts = ['-z', ...(proto >= 30 ? [`--compress-choice=${alg}`] : []), `--protocol=${proto}`];
    const r = await tsrsync('push', ...zopts, `${local}/`, `${daemon.url('up')}/${name}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cmp = { ...CMP, mtimeResolutionNs: proto >= 31 ? 1000n : 1_000_000_000n };
    expect(compareTrees(await treeSnapshot(local), await treeSnapshot(path.join(up, name)), cmp)).toEqual([]);
    // scattered edits: the rest of the file goes as matched blocks (zlib feeds them to the deflater)
    const big = path.join(local, 'big.bin');
    const data = readFileSync(big);
    for (let k = 0; k < 8; k++) data.set(prng(900 + k, 700), Math.floor((k * BIG) / 8) + 77);
    await fsp.writeFile(big, data);
    setMtimeNs(big, 1_660_000_000, 0);
    const d = await tsrsync('push', '--stats', ...zopts, `${local}/`, `${daemon.url('up')}/${name}`);
    expect(d.stderr).toBe('');
    expect(d.code).toBe(0);
    expect(statFigure(d.stdout, 'Matched data')).toBeGreaterThan(BIG / 2);
    expect(statFigure(d.stdout, 'Total bytes sent')).toBeLessThan(BIG / 10);
    expect(readFileSync(path.join(up, name, 'big.bin')).equals(data)).toBe(true);
  });
});
