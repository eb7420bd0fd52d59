/**
 * tsrsync pull options against a real rsync 3.5.0 daemon: deltas, every
 * compression and checksum choice, --delete, excludes, authentication.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../golden/data.js';
import { tsrsync, statFigure } from './cli-run.js';
import { addTinyFiles, makeFixtureTree } from './fixture-tree.js';
import {
  compareTrees,
  makeTempDir,
  removeTempDirs,
  runRsync,
  startRsyncDaemon,
  treeSnapshot,
  type RsyncDaemon,
} from './harness.js';

const CMP = { mtimeResolutionNs: 1000n, nonFileMtimeResolutionNs: 1_000_000_000n };
const BIG = 50 * 1024 * 1024;

let daemon: RsyncDaemon;
let work: string;
let src: string;
beforeAll(async () => {
  work = await makeTempDir('tsrsync-pullopt-');
  src = path.join(work, 'src');
  await makeFixtureTree(src, { bigSize: BIG });
  await addTinyFiles(src);
  const secrets = path.join(work, 'secrets');
  daemon = await startRsyncDaemon({
    modules: {
      site: { path: src },
      locked: { path: src, authUsers: ['alice'], secrets: { alice: 'sekrit' } },
    },
  });
  void secrets;
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDirs();
});

async function pullBoth(
  name: string,
  args: string[],
  module = 'site',
  subpath = '',
): Promise<{ ours: string; ref: string }> {
  const ours = path.join(work, `${name}-ours`);
  const ref = path.join(work, `${name}-ref`);
  const url = `${daemon.url(module)}/${subpath}`;
  const r = await tsrsync('pull', ...args, url, ours);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const rr = await runRsync(['-a', ...args, url, ref]);
  expect(rr.stderr).toBe('');
  expect(rr.code).toBe(0);
  expect(compareTrees(await treeSnapshot(ref), await treeSnapshot(ours), CMP)).toEqual([]);
  return { ours, ref };
}

describe('deltas', () => {
  it('a small edit of the 50 MiB file: bytes received within 10% of rsync, file right', async () => {
    const { ours, ref } = await pullBoth('delta', []);
    // scattered edits and an append at the source
    const big = path.join(src, 'big.bin');
    const data = readFileSync(big);
    for (let k = 0; k < 20; k++) data.set(prng(100 + k, 1024), Math.floor((k * BIG) / 20) + 777);
    await fsp.writeFile(big, Buffer.concat([data, prng(999, 5000)]));
    const r = await tsrsync('pull', '--stats', daemon.url('site') + '/', ours);
    expect(r.code).toBe(0);
    const rr = await runRsync(['-a', '--stats', daemon.url('site') + '/', ref]);
    expect(rr.code).toBe(0);
    const oursRecv = statFigure(r.stdout, 'Total bytes received');
    const refRecv = statFigure(rr.stdout, 'Total bytes received');
    expect(oursRecv).toBeLessThanOrEqual(refRecv * 1.1);
    expect(oursRecv).toBeLessThan(BIG / 20);
    expect(statFigure(r.stdout, 'Matched data')).toBeGreaterThan(BIG * 0.9);
    expect(readFileSync(path.join(ours, 'big.bin')).equals(readFileSync(big))).toBe(true);
    expect(compareTrees(await treeSnapshot(ref), await treeSnapshot(ours), CMP)).toEqual([]);
  });
});

describe.each(['zlib', 'zlibx', 'zstd', 'lz4'])('--compress-choice=%s', (alg) => {
  it('fresh pull and a delta over an older copy', async () => {
    const { ours } = await pullBoth(`z-${alg}`, ['-z', `--compress-choice=${alg}`], 'site', 'site/');
    // a delta with matched blocks (zlib feeds them into the inflater's history)
    const old = path.join(ours, 'css/style.css');
    const text = readFileSync(old, 'utf8');
    await fsp.writeFile(old, text.replace('#333', '#334').slice(0, 3000) + 'tail\n');
    await fsp.utimes(old, 1, 1);
    const r = await tsrsync(
      'pull',
      '-z',
      `--compress-choice=${alg}`,
      '--stats',
      daemon.url('site') + '/site/',
      ours,
    );
    expect(r.code).toBe(0);
    expect(statFigure(r.stdout, 'Matched data')).toBeGreaterThan(0);
    expect(readFileSync(old).equals(readFileSync(path.join(src, 'site/css/style.css')))).toBe(true);
  });

  it('files of one or two bytes', async () => {
    await pullBoth(`zt-${alg}`, ['-z', `--compress-choice=${alg}`], 'site', 'tiny/');
  });
});

it('-z negotiates (zstd between current peers)', async () => {
  await pullBoth('z-auto', ['-z'], 'site', 'site/');
});

describe.each(['md4', 'md5', 'xxh64', 'xxh3', 'xxh128', 'sha1'])('--checksum-choice=%s', (alg) => {
  it('delta of an edited file', async () => {
    const { ours } = await pullBoth(`cc-${alg}`, [`--checksum-choice=${alg}`], 'site', 'site/');
    const f = path.join(ours, 'img/logo.png');
    const b = readFileSync(f);
    b.writeUInt8(b.readUInt8(15_000) ^ 0xff, 15_000);
    await fsp.writeFile(f, b);
    const r = await tsrsync(
      'pull',
      `--checksum-choice=${alg}`,
      '-I',
      '--stats',
      daemon.url('site') + '/site/',
      ours,
    );
    expect(r.code).toBe(0);
    expect(statFigure(r.stdout, 'Matched data')).toBeGreaterThan(20_000);
    expect(readFileSync(f).equals(readFileSync(path.join(src, 'site/img/logo.png')))).toBe(true);
  });
});

describe('--delete and excludes', () => {
  it('--delete removes what the source lacks, as rsync does', async () => {
    const ours = path.join(work, 'del-ours');
    const ref = path.join(work, 'del-ref');
    for (const d of [ours, ref]) {
      await fsp.mkdir(path.join(d, 'site/old/deeper'), { recursive: true });
      await fsp.writeFile(path.join(d, 'site/old/deeper/x'), 'x');
      await fsp.writeFile(path.join(d, 'stale.txt'), 'stale');
      await fsp.writeFile(path.join(d, 'keep.tmp'), 'excluded, so protected');
      await fsp.utimes(path.join(d, 'keep.tmp'), 1000, 1000);
    }
    const args = ['--delete', '--exclude=*.tmp'];
    const r = await tsrsync('pull', '-v', ...args, daemon.url('site') + '/', ours);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deleting stale.txt');
    const rr = await runRsync(['-a', ...args, daemon.url('site') + '/', ref]);
    expect(rr.code).toBe(0);
    expect(compareTrees(await treeSnapshot(ref), await treeSnapshot(ours), CMP)).toEqual([]);
    expect(readFileSync(path.join(ours, 'keep.tmp'), 'utf8')).toBe('excluded, so protected');
  });

  it("--exclude / --include / --filter give rsync's tree", async () => {
    await pullBoth('excl', ['--exclude=*.jpg', '--exclude=deep/', '--include=*.css', '--filter=- *.html']);
  });

  it('--delete-excluded removes excluded files at the destination', async () => {
    const ours = path.join(work, 'delx-ours');
    await fsp.mkdir(ours);
    await fsp.writeFile(path.join(ours, 'gone.tmp'), 'x');
    const r = await tsrsync('pull', '--delete-excluded', '--exclude=*.tmp', daemon.url('site') + '/', ours);
    expect(r.code).toBe(0);
    await expect(fsp.stat(path.join(ours, 'gone.tmp'))).rejects.toThrow();
  });
});

describe('daemon authentication and errors', () => {
  it('right password from RSYNC_PASSWORD', async () => {
    const ours = path.join(work, 'auth-env');
    process.env['RSYNC_PASSWORD'] = 'sekrit';
    try {
      const r = await tsrsync('pull', daemon.url('locked').replace('//', '//alice@') + '/site/', ours);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      delete process.env['RSYNC_PASSWORD'];
    }
    expect(readFileSync(path.join(ours, 'index.html'), 'utf8')).toContain('hello');
  });

  it('right password from --password-file; a readable-by-others file is refused', async () => {
    const pw = path.join(work, 'pw');
    await fsp.writeFile(pw, 'sekrit\n', { mode: 0o600 });
    const r = await tsrsync(
      'pull',
      `--password-file=${pw}`,
      daemon.url('locked').replace('//', '//alice@') + '/site/',
      path.join(work, 'auth-file'),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await fsp.chmod(pw, 0o644);
    const bad = await tsrsync(
      'pull',
      `--password-file=${pw}`,
      daemon.url('locked').replace('//', '//alice@') + '/site/',
      path.join(work, 'auth-file2'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('password file must not be other-accessible');
  });

  it("a wrong password exits 5 with the daemon's message", async () => {
    process.env['RSYNC_PASSWORD'] = 'wrong';
    try {
      const r = await tsrsync(
        'pull',
        daemon.url('locked').replace('//', '//alice@') + '/',
        path.join(work, 'auth-bad'),
      );
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('@ERROR: auth failed on module locked');
    } finally {
      delete process.env['RSYNC_PASSWORD'];
    }
  });

  it("a missing module exits 5 with the daemon's message", async () => {
    const r = await tsrsync('pull', daemon.url('nosuch') + '/', path.join(work, 'nomod'));
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("@ERROR: Unknown module 'nosuch'");
  });

  it('a missing path in the module exits 23 like rsync', async () => {
    const r = await tsrsync('pull', daemon.url('site') + '/no/such/file', path.join(work, 'nopath'));
    const rr = await runRsync(['-a', daemon.url('site') + '/no/such/file', path.join(work, 'nopath-ref')]);
    expect(rr.code).toBe(23);
    expect(r.code).toBe(23);
    expect(r.stderr).toContain('No such file or directory');
  });
});
