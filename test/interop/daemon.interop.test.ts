/**
 * Real rsync 3.5.0 as the client of `tsrsync daemon`: pulls and pushes at
 * every protocol 27-32, deltas, compression and checksum choices, -H,
 * --delete, excludes; and the module rules (auth, read only, write only,
 * hosts deny, refuse options, post-xfer exec) with the same exit codes and
 * messages as a real rsync daemon serving the same rsyncd.conf.
 */
import { existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../golden/data.js';
import { statFigure, tsrsync } from './cli-run.js';
import { makeFixtureTree, setMtimeNs } from './fixture-tree.js';
import {
  REPO_ROOT,
  compareTrees,
  makeTempDir,
  removeTempDirs,
  rsyncBinary,
  runRsync,
  startRsyncDaemon,
  treeSnapshot,
  type RsyncDaemon,
  type StartDaemonOptions,
} from './harness.js';
import { startTsrsyncDaemon, type TsrsyncDaemon } from './tsrsync-daemon.js';

const BIG = 4 * 1024 * 1024;
const cmp = (proto: number, hardLinks = true) => ({
  ...(hardLinks ? {} : { ignore: ['linkGroup' as const] }),
  ignoreRoot: true,
  mtimeResolutionNs: proto >= 31 ? 1000n : 1_000_000_000n,
  nonFileMtimeResolutionNs: 1_000_000_000n,
});

let work: string;
let src: string;
let ours: TsrsyncDaemon;
let ref: RsyncDaemon;
/** Per daemon: its writable dirs and hook output. */
const dirs = { ours: '', ref: '' };

function config(base: string, hook: string): StartDaemonOptions {
  const rw = { 'munge symlinks': 'no', 'read only': 'no' };
  return {
    modules: {
      pub: { path: src, comment: 'the website', extra: { 'munge symlinks': 'no' } },
      up: { path: path.join(base, 'up'), extra: rw },
      hk: { path: path.join(base, 'hk'), extra: { ...rw, 'post-xfer exec': hook } },
      pre: { path: src, extra: { 'munge symlinks': 'no', 'pre-xfer exec': path.join(base, 'pre.sh') } },
      wo: { path: path.join(base, 'wo'), writeOnly: true, extra: rw },
      locked: {
        path: path.join(base, 'locked'),
        authUsers: ['bob:rw', 'carol:ro'],
        secrets: { bob: 'pw-bob', carol: 'pw-carol' },
        extra: rw,
      },
      denied: { path: src, extra: { 'hosts deny': '127.0.0.0/8' } },
      allowed: { path: src, extra: { 'hosts allow': '10.0.0.0/8 127.0.0.1', 'hosts deny': '*' } },
      nodel: { path: path.join(base, 'nodel'), extra: { ...rw, 'refuse options': 'delete*' } },
      hidden: { path: src, list: false },
      // no `munge symlinks`: rsync's default without chroot is to munge
      munged: { path: path.join(base, 'munged'), readOnly: false },
      nobody: { path: path.join(base, 'nobody'), readOnly: false, extra: { uid: 'nobody', gid: 'nogroup' } },
      baduid: { path: src, extra: { uid: 'no-such-user' } },
      badgid: { path: src, extra: { uid: 'nobody', gid: 'nogroup no-such-group' } },
      nobin: { path: src, extra: { 'munge symlinks': 'no', exclude: '*.bin deep/' } },
      filtered: {
        path: src,
        extra: {
          'munge symlinks': 'no',
          filter: '- *.css + /site/ - /deep/a/',
          'include from': path.join(work, 'incl.txt'),
          'exclude from': path.join(work, 'excl.txt'),
        },
      },
    },
  };
}

beforeAll(async () => {
  work = await makeTempDir('tsrsync-dmn-');
  src = path.join(work, 'src');
  await makeFixtureTree(src, { bigSize: BIG });
  await fsp.writeFile(path.join(work, 'incl.txt'), '# kept\nbig.bin\n');
  await fsp.writeFile(path.join(work, 'excl.txt'), '; not these\n*.bin\n*.html\n');
  for (const who of ['ours', 'ref'] as const) {
    const base = path.join(work, who);
    dirs[who] = base;
    for (const d of ['up', 'hk', 'wo', 'locked', 'nodel', 'munged', 'nobody'])
      await fsp.mkdir(path.join(base, d), { recursive: true });
    const hook = path.join(base, 'hook.sh');
    await fsp.writeFile(
      hook,
      '#!/bin/sh\nenv | grep ^RSYNC_ | grep -v -e RSYNC_PID -e RSYNC_HOST_NAME | sort > "$RSYNC_MODULE_PATH/../hook.tmp" && mv "$RSYNC_MODULE_PATH/../hook.tmp" "$RSYNC_MODULE_PATH/../hook.env"\n',
      { mode: 0o755 },
    );
    await fsp.writeFile(
      path.join(base, 'pre.sh'),
      '#!/bin/sh\nenv | grep ^RSYNC_ | grep -v -e RSYNC_PID -e RSYNC_HOST_NAME | sort > "$RSYNC_MODULE_PATH/../' +
        who +
        '-pre.env"\ncase "$RSYNC_REQUEST" in *deny*) exit 3;; esac\nexit 0\n',
      { mode: 0o755 },
    );
    if (who === 'ours') ours = await startTsrsyncDaemon(config(base, hook));
    else ref = await startRsyncDaemon(config(base, hook));
  }
});
afterAll(async () => {
  await ours?.stop();
  await ref?.stop();
  await removeTempDirs();
});

describe.each([32, 31, 30, 29, 28, 27])('rsync 3.5.0 --protocol=%i with tsrsync daemon', (proto) => {
  it('pull: the tree arrives; a re-pull moves nothing', { timeout: 30_000 }, async () => {
    const dest = path.join(work, `pull-${proto}`);
    const r = await runRsync(['-aH', `--protocol=${proto}`, `${ours.url('pub')}/`, dest]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(dest), cmp(proto))).toEqual([]);
    const again = await runRsync(['-aH', '--stats', `--protocol=${proto}`, `${ours.url('pub')}/`, dest]);
    expect(again.code).toBe(0);
    expect(statFigure(again.stdout, 'Number of regular files transferred')).toBe(0);
  });

  it('push: the module holds the tree; a re-push moves nothing', { timeout: 30_000 }, async () => {
    const r = await runRsync(['-aH', `--protocol=${proto}`, `${src}/`, ours.url('up', `p${proto}`)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dest = path.join(dirs.ours, 'up', `p${proto}`);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(dest), cmp(proto))).toEqual([]);
    const again = await runRsync([
      '-aH',
      '--stats',
      `--protocol=${proto}`,
      `${src}/`,
      ours.url('up', `p${proto}`),
    ]);
    expect(again.code).toBe(0);
    expect(statFigure(again.stdout, 'Number of regular files transferred')).toBe(0);
    expect(statFigure(again.stdout, 'Literal data')).toBe(0);
  });
});

describe('rsync 3.2.7 (Debian 12) with tsrsync daemon', () => {
  it('pull and push, -z, then nothing to do', { timeout: 30_000 }, async () => {
    const binary = rsyncBinary('3.2.7');
    const dest = path.join(work, 'pull-327');
    const r = await runRsync(['-aHz', `${ours.url('pub')}/`, dest], { binary });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(compareTrees(await treeSnapshot(src), await treeSnapshot(dest), cmp(32))).toEqual([]);
    const p = await runRsync(['-aHz', `${src}/`, ours.url('up', 'p327')], { binary });
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(
      compareTrees(await treeSnapshot(src), await treeSnapshot(path.join(dirs.ours, 'up', 'p327')), cmp(32)),
    ).toEqual([]);
    const again = await runRsync(['-aH', '--stats', `${src}/`, ours.url('up', 'p327')], { binary });
    expect(statFigure(again.stdout, 'Number of regular files transferred')).toBe(0);
  });
});

describe('transfers', () => {
  it('delta pull and delta push send a small part of the big file', { timeout: 30_000 }, async () => {
    const dest = path.join(work, 'delta-pull');
    expect((await runRsync(['-a', `${ours.url('pub')}/`, dest])).code).toBe(0);
    const big = path.join(dest, 'big.bin');
    const data = readFileSync(big);
    for (let k = 0; k < 10; k++) data.set(prng(40 + k, 600), Math.floor((k * BIG) / 10) + 5);
    await fsp.writeFile(big, data);
    setMtimeNs(big, 1_600_000_000, 0);
    const r = await runRsync(['-a', '--stats', `${ours.url('pub')}/`, dest]);
    expect(r.code).toBe(0);
    expect(statFigure(r.stdout, 'Literal data')).toBeLessThan(BIG / 20);
    expect(readFileSync(big).equals(readFileSync(path.join(src, 'big.bin')))).toBe(true);
    // push the spoilt copy back over the module's good one: again a delta
    expect((await runRsync(['-a', `${src}/`, ours.url('up', 'delta')])).code).toBe(0);
    await fsp.writeFile(big, data);
    setMtimeNs(big, 1_600_000_000, 0);
    const p = await runRsync(['-a', '--stats', `${dest}/`, ours.url('up', 'delta')]);
    expect(p.code).toBe(0);
    expect(statFigure(p.stdout, 'Literal data')).toBeLessThan(BIG / 20);
    expect(readFileSync(path.join(dirs.ours, 'up', 'delta', 'big.bin')).equals(data)).toBe(true);
  });

  it.each(['zlib', 'zlibx', 'zstd', 'lz4'])(
    '--compress-choice=%s both ways',
    { timeout: 30_000 },
    async (alg) => {
      const dest = path.join(work, `z-${alg}`);
      const r = await runRsync(['-a', '-z', `--compress-choice=${alg}`, `${ours.url('pub')}/`, dest]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(compareTrees(await treeSnapshot(src), await treeSnapshot(dest), cmp(32, false))).toEqual([]);
      const p = await runRsync([
        '-a',
        '-z',
        `--compress-choice=${alg}`,
        `${src}/`,
        ours.url('up', `z-${alg}`),
      ]);
      expect(p.stderr).toBe('');
      expect(p.code).toBe(0);
      const pushed = path.join(dirs.ours, 'up', `z-${alg}`);
      expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pushed), cmp(32, false))).toEqual([]);
    },
  );

  it.each(['md4', 'md5', 'sha1', 'xxh64', 'xxh3', 'xxh128'])(
    '--checksum-choice=%s with -c both ways',
    { timeout: 30_000 },
    async (sum) => {
      const dest = path.join(work, `c-${sum}`);
      const r = await runRsync(['-ac', `--checksum-choice=${sum}`, `${ours.url('pub')}/`, dest]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(compareTrees(await treeSnapshot(src), await treeSnapshot(dest), cmp(32, false))).toEqual([]);
      const p = await runRsync(['-ac', `--checksum-choice=${sum}`, `${src}/`, ours.url('up', `c-${sum}`)]);
      expect(p.stderr).toBe('');
      expect(p.code).toBe(0);
      const again = await runRsync([
        '-ac',
        '--stats',
        `--checksum-choice=${sum}`,
        `${src}/`,
        ours.url('up', `c-${sum}`),
      ]);
      expect(statFigure(again.stdout, 'Number of regular files transferred')).toBe(0);
    },
  );

  it('--delete on push removes what the source lacks', { timeout: 30_000 }, async () => {
    expect((await runRsync(['-a', `${src}/site/`, ours.url('up', 'del')])).code).toBe(0);
    const d = path.join(dirs.ours, 'up', 'del');
    await fsp.writeFile(path.join(d, 'extra.txt'), 'x');
    await fsp.mkdir(path.join(d, 'extra-dir/sub'), { recursive: true });
    const r = await runRsync(['-av', '--delete', `${src}/site/`, ours.url('up', 'del')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deleting extra.txt');
    expect(compareTrees(await treeSnapshot(path.join(src, 'site')), await treeSnapshot(d), cmp(32))).toEqual(
      [],
    );
  });

  it('client excludes and the module exclude list keep files out', { timeout: 30_000 }, async () => {
    const a = path.join(work, 'excl-client');
    expect((await runRsync(['-a', '--exclude=*.css', `${ours.url('pub')}/`, a])).code).toBe(0);
    const b = path.join(work, 'excl-module');
    expect((await runRsync(['-a', `${ours.url('nobin')}/`, b])).code).toBe(0);
    const refB = path.join(work, 'excl-module-ref');
    expect((await runRsync(['-a', `${ref.url('nobin')}/`, refB])).code).toBe(0);
    expect(compareTrees(await treeSnapshot(refB), await treeSnapshot(b), cmp(32))).toEqual([]);
    expect(await fsp.readdir(b)).not.toContain('big.bin');
    const refA = path.join(work, 'excl-client-ref');
    expect((await runRsync(['-a', '--exclude=*.css', `${ref.url('pub')}/`, refA])).code).toBe(0);
    expect(compareTrees(await treeSnapshot(refA), await treeSnapshot(a), cmp(32))).toEqual([]);
  });

  it(
    'module filter, include from, exclude from: the same files as rsync serves',
    { timeout: 30_000 },
    async () => {
      const r = await both(['-a', '%D/filtered/', '%W-filtered']);
      expect(r.ref.code).toBe(0);
      expect(r.ours.stderr).toBe('');
      expect(r.ours.code).toBe(0);
      const a = await treeSnapshot(path.join(work, 'ours-out-filtered'));
      expect(
        compareTrees(await treeSnapshot(path.join(work, 'ref-out-filtered')), a, cmp(32, false)),
      ).toEqual([]);
      expect(a.size).toBeGreaterThan(2);
    },
  );

  it('module listing: listed modules with comments, as rsync lists them', async () => {
    const a = await runRsync([`rsync://127.0.0.1:${ours.port}/`]);
    const b = await runRsync([`rsync://127.0.0.1:${ref.port}/`]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toContain('hidden');
  });
});

/** Runs the same client command against both daemons (`%D` = the daemon's URL prefix). */
async function both(args: string[], env: Record<string, string> = {}) {
  const run = (d: RsyncDaemon, who: 'ours' | 'ref') =>
    runRsync(
      args.map((a) =>
        a.replace('%D', `rsync://127.0.0.1:${d.port}`).replace('%W', path.join(work, `${who}-out`)),
      ),
      { env },
    );
  return { ours: await run(ours, 'ours'), ref: await run(ref, 'ref') };
}

/** rsync's message lines without the trailer that names the C source line. */
const lines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l !== '')
    .map((l) =>
      l
        .replace(/ at \S+\.c\(\d+\) \[.*\]$/, '')
        .replace(/\[(sender|receiver|Receiver|generator)=[^\]]*\]/, ''),
    );

describe('module rules, compared with rsync --daemon on the same rsyncd.conf', () => {
  it('auth users: right password, wrong password, read-only user pushing', { timeout: 30_000 }, async () => {
    const good = await both(['-a', `${src}/site/`, '%D/locked/x'], { RSYNC_PASSWORD: 'pw-bob', USER: 'bob' });
    expect(good.ours.stderr).toBe('');
    expect(good.ours.code).toBe(0);
    const bad = await both(['-a', `${src}/site/`, '%D/locked/x'], { RSYNC_PASSWORD: 'nope', USER: 'bob' });
    expect(bad.ref.code).toBe(5);
    expect(bad.ours.code).toBe(bad.ref.code);
    expect(lines(bad.ours.stderr)).toEqual(lines(bad.ref.stderr));
    const ro = await both(['-a', `${src}/site/`, '%D/locked/y'], {
      RSYNC_PASSWORD: 'pw-carol',
      USER: 'carol',
    });
    expect(ro.ours.code).toBe(ro.ref.code);
    expect(ro.ref.code).not.toBe(0);
    expect(ro.ours.stderr).toContain('module is read only');
    const pull = await both(['-a', '%D/locked/', '%W-carol'], { RSYNC_PASSWORD: 'pw-carol', USER: 'carol' });
    expect(pull.ours.code).toBe(0);
    expect(pull.ref.code).toBe(0);
  });

  it.each([27, 29, 30, 31])(
    'auth at protocol %i (the digest each protocol uses)',
    { timeout: 30_000 },
    async (proto) => {
      const env = { RSYNC_PASSWORD: 'pw-bob', USER: 'bob' };
      const good = await runRsync(
        ['-a', `--protocol=${proto}`, `${src}/site/`, ours.url('locked', `p${proto}`)],
        { env },
      );
      expect(good.stderr).toBe('');
      expect(good.code).toBe(0);
      const bad = await runRsync(
        ['-a', `--protocol=${proto}`, `${src}/site/`, ours.url('locked', `p${proto}`)],
        {
          env: { ...env, RSYNC_PASSWORD: 'pw-carol' },
        },
      );
      expect(bad.code).toBe(5);
      expect(bad.stderr).toContain('@ERROR: auth failed on module locked');
    },
  );

  it('read only and write only modules refuse the other direction', { timeout: 30_000 }, async () => {
    const push = await both(['-a', `${src}/site/`, '%D/pub/x']);
    expect(push.ref.code).not.toBe(0);
    expect(push.ours.code).toBe(push.ref.code);
    expect(lines(push.ours.stderr)[0]).toBe(lines(push.ref.stderr)[0]);
    const pull = await both(['-a', '%D/wo/', '%W-wo']);
    expect(pull.ref.code).not.toBe(0);
    expect(pull.ours.code).toBe(pull.ref.code);
    expect(lines(pull.ours.stderr)[0]).toBe(lines(pull.ref.stderr)[0]);
    const ok = await both(['-a', `${src}/site/`, '%D/wo/']);
    expect(ok.ours.code).toBe(0);
  });

  it('hosts deny and hosts allow', { timeout: 30_000 }, async () => {
    const denied = await both(['-a', '%D/denied/', '%W-denied']);
    expect(denied.ref.code).toBe(5);
    expect(denied.ours.code).toBe(5);
    expect(denied.ours.stderr).toContain('@ERROR: access denied to denied from');
    const allowed = await both(['-a', '%D/allowed/', '%W-allowed']);
    expect(allowed.ref.code).toBe(0);
    expect(allowed.ours.code).toBe(0);
  });

  it('refuse options: --delete is refused with rsync message and code', { timeout: 30_000 }, async () => {
    const r = await both(['-a', '--delete', `${src}/site/`, '%D/nodel/']);
    expect(r.ref.code).not.toBe(0);
    expect(r.ours.code).toBe(r.ref.code);
    expect(r.ours.stderr).toContain('refuse');
    const ok = await both(['-a', `${src}/site/`, '%D/nodel/']);
    expect(ok.ours.code).toBe(0);
  });

  it('unknown module and a path outside the module', { timeout: 30_000 }, async () => {
    const r = await both(['-a', '%D/nosuch/', '%W-x']);
    expect(r.ours.code).toBe(r.ref.code);
    expect(lines(r.ours.stderr)[0]).toBe(lines(r.ref.stderr)[0]);
    const up = await both(['-a', '%D/pub/../../', '%W-up']);
    expect(up.ours.code).toBe(up.ref.code);
  });

  it('--link-dest and --compare-dest never reach outside the module', { timeout: 30_000 }, async () => {
    const lsrc = path.join(work, 'ld-src');
    await fsp.mkdir(lsrc, { recursive: true });
    await fsp.writeFile(path.join(lsrc, 'f.txt'), 'same bytes\n');
    await fsp.utimes(path.join(lsrc, 'f.txt'), 1_500_000_000, 1_500_000_000);
    // an identical file just outside the module, where ../.. from the destination leads
    await fsp.copyFile(path.join(lsrc, 'f.txt'), path.join(dirs.ours, 'f.txt'));
    await fsp.utimes(path.join(dirs.ours, 'f.txt'), 1_500_000_000, 1_500_000_000);
    const outside = statSync(path.join(dirs.ours, 'f.txt')).ino;
    for (const [i, opt] of [
      '--link-dest=../..',
      `--link-dest=${dirs.ours}`,
      '--compare-dest=../../',
    ].entries()) {
      const r = await runRsync(['-a', opt, `${lsrc}/`, ours.url('up', `ld${i}`)]);
      expect(r.code).toBe(0);
      const got = path.join(dirs.ours, 'up', `ld${i}`, 'f.txt');
      expect(readFileSync(got, 'utf8')).toBe('same bytes\n');
      expect(statSync(got).ino).not.toBe(outside);
    }
    // inside the module it links as asked
    const r = await runRsync(['-a', '--link-dest=../ld0', `${lsrc}/`, ours.url('up', 'ld9')]);
    expect(r.code).toBe(0);
    expect(statSync(path.join(dirs.ours, 'up/ld9/f.txt')).ino).toBe(
      statSync(path.join(dirs.ours, 'up/ld0/f.txt')).ino,
    );
  });

  it(
    'option values with spaces and wildcards arrive as the client meant them (rsync escapes them)',
    { timeout: 30_000 },
    async () => {
      const lsrc = path.join(work, 'sp-src');
      await fsp.mkdir(lsrc, { recursive: true });
      await fsp.writeFile(path.join(lsrc, 'f.txt'), 'same\n');
      await fsp.utimes(path.join(lsrc, 'f.txt'), 1_500_000_000, 1_500_000_000);
      await fsp.mkdir(path.join(dirs.ours, 'up/sp'), { recursive: true });
      for (const [tool, url] of [
        ['rsync', ours.url('up', 'sp/prev dir*')],
        ['tsrsync', ours.url('up', 'sp/prev dir*')],
      ] as const) {
        const r =
          tool === 'rsync' ? await runRsync(['-a', `${lsrc}/`, url]) : await tsrsync('push', `${lsrc}/`, url);
        expect(r.code).toBe(0);
      }
      for (const [tool, sub] of [
        ['rsync', 'sp/next-rsync'],
        ['tsrsync', 'sp/next-tsrsync'],
      ] as const) {
        const args = ['--link-dest=../prev dir*', `${lsrc}/`, ours.url('up', sub)];
        const r = tool === 'rsync' ? await runRsync(['-a', ...args]) : await tsrsync('push', ...args);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(statSync(path.join(dirs.ours, 'up', sub, 'f.txt')).ino).toBe(
          statSync(path.join(dirs.ours, 'up/sp/prev dir*/f.txt')).ino,
        );
      }
    },
  );

  it('munge symlinks: stored as rsync stores them, sent back unmunged', { timeout: 30_000 }, async () => {
    const links = path.join(work, 'links');
    await fsp.mkdir(links, { recursive: true });
    await fsp.symlink('/etc', path.join(links, 'abs'));
    await fsp.symlink('../../x', path.join(links, 'up'));
    await fsp.symlink('plain', path.join(links, 'rel'));
    const r = await both(['-a', `${links}/`, '%D/munged/l']);
    expect(r.ours.code).toBe(0);
    expect(r.ref.code).toBe(0);
    for (const n of ['abs', 'up', 'rel']) {
      const ref = await fsp.readlink(path.join(dirs.ref, 'munged/l', n));
      expect(ref.startsWith('/rsyncd-munged/')).toBe(true);
      expect(await fsp.readlink(path.join(dirs.ours, 'munged/l', n))).toBe(ref);
    }
    const back = await both(['-a', '%D/munged/l/', '%W-links']);
    expect(back.ours.code).toBe(0);
    expect(
      compareTrees(await treeSnapshot(links), await treeSnapshot(path.join(work, 'ours-out-links')), cmp(32)),
    ).toEqual([]);
  });

  it(
    'a module run as nobody: files are written as nobody, as rsync --daemon writes them',
    { timeout: 30_000 },
    async () => {
      // the test runs as root (CI does); a daemon of another user cannot switch ids at all
      expect(process.geteuid?.()).toBe(0);
      // nobody cannot pass the directories above the module (the test's work directory is
      // 0700): both daemons enter the module as root before they become nobody
      expect(statSync(work).mode & 0o077).toBe(0);
      for (const who of ['ours', 'ref'] as const) await fsp.chmod(path.join(dirs[who], 'nobody'), 0o777);
      const evil = path.join(work, 'evil');
      await fsp.mkdir(evil, { recursive: true });
      await fsp.writeFile(path.join(evil, 'suid'), '#!/bin/sh\n', { mode: 0o755 });
      await fsp.chmod(path.join(evil, 'suid'), 0o6755);
      await fsp.chown(path.join(evil, 'suid'), 0, 0);
      await fsp.writeFile(path.join(evil, 'plain'), 'x');
      await fsp.chown(path.join(evil, 'plain'), 1, 1);
      const r = await both(['-a', `${evil}/`, '%D/nobody/e']);
      expect(r.ref.code).toBe(0);
      expect(r.ours.code).toBe(0);
      expect(r.ours.stderr).toBe(r.ref.stderr);
      for (const f of ['suid', 'plain', '.']) {
        const ref = statSync(path.join(dirs.ref, 'nobody/e', f));
        const ours = statSync(path.join(dirs.ours, 'nobody/e', f));
        expect(ref.uid).not.toBe(0);
        expect([ours.uid, ours.gid, ours.mode], f).toEqual([ref.uid, ref.gid, ref.mode]);
      }
      // --link-dest inside the module: hard links to what is there, as nobody
      const linked = await both(['-a', '--link-dest=../e', `${evil}/`, '%D/nobody/e2']);
      expect(linked.ref.code).toBe(0);
      expect(linked.ours.code).toBe(0);
      for (const who of ['ours', 'ref'] as const)
        expect(statSync(path.join(dirs[who], 'nobody/e2/plain')).ino, who).toBe(
          statSync(path.join(dirs[who], 'nobody/e/plain')).ino,
        );
      // nobody cannot read our node_modules here: what loads lazily (zstd, every strong hash)
      // was loaded before the session process dropped to nobody
      const nm = path.join(REPO_ROOT, 'node_modules');
      const mode = statSync(nm).mode & 0o7777;
      await fsp.chmod(nm, 0o700);
      try {
        for (const cc of ['md5', 'xxh128', 'xxh3', 'xxh64', 'md4']) {
          const r = await both([
            '-a',
            '-c',
            `--checksum-choice=${cc}`,
            '-zz',
            '--compress-choice=zstd',
            `${evil}/`,
            `%D/nobody/z-${cc}`,
          ]);
          expect(r.ref.code, cc).toBe(0);
          expect(r.ours.stderr, cc).toBe('');
          expect(r.ours.code, cc).toBe(0);
        }
      } finally {
        await fsp.chmod(nm, mode);
      }
      // a file only root may read is not served by a module run as nobody
      const secret = path.join(dirs.ours, 'nobody/secret');
      await fsp.writeFile(secret, 'root only', { mode: 0o600 });
      await fsp.copyFile(secret, path.join(dirs.ref, 'nobody/secret'));
      const pull = await both(['-a', '%D/nobody/secret', '%W-secret/']);
      expect(pull.ref.code).toBe(23);
      expect(pull.ours.code).toBe(23);
      expect(existsSync(path.join(work, 'ours-out-secret/secret'))).toBe(false);
    },
  );

  it('a uid or gid that does not resolve refuses the module as rsync does', { timeout: 30_000 }, async () => {
    for (const m of ['baduid', 'badgid']) {
      const r = await both([`%D/${m}/`]);
      expect(r.ref.code, m).toBe(5);
      expect(r.ours.code, m).toBe(r.ref.code);
      expect(lines(r.ours.stderr), m).toEqual(lines(r.ref.stderr));
    }
  });

  it(
    'a pushed symlink to outside, then a push through it: nothing is written outside',
    { timeout: 30_000 },
    async () => {
      const outside = path.join(work, 'outside');
      await fsp.mkdir(outside, { recursive: true });
      const a = path.join(work, 'evil-a');
      const b = path.join(work, 'evil-b/evil');
      await fsp.mkdir(a, { recursive: true });
      await fsp.mkdir(b, { recursive: true });
      await fsp.symlink(outside, path.join(a, 'evil'));
      await fsp.writeFile(path.join(b, 'x'), 'pwned');
      // `up` keeps symlinks verbatim (munge symlinks = no): the worst case
      expect((await runRsync(['-a', `${a}/`, ours.url('up', 'ev')])).code).toBe(0);
      expect(await fsp.readlink(path.join(dirs.ours, 'up/ev/evil'))).toBe(outside);
      const r = await runRsync(['-a', `${path.dirname(b)}/`, ours.url('up', 'ev')]);
      expect(r.code).toBe(0);
      expect(await fsp.readdir(outside)).toEqual([]);
      expect(readFileSync(path.join(dirs.ours, 'up/ev/evil/x'), 'utf8')).toBe('pwned');
    },
  );

  it('munging with a /rsyncd-munged/ directory on the host is refused', { timeout: 30_000 }, async () => {
    if (process.geteuid?.() !== 0) {
      // only root can create it at the filesystem root; nothing to check as another user
      expect(process.geteuid?.()).not.toBe(0);
      return;
    }
    await fsp.mkdir('/rsyncd-munged');
    try {
      const r = await runRsync(['-a', `${src}/site/`, ours.url('munged', 'x')]);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('@ERROR: daemon security issue -- contact admin');
      const ok = await runRsync(['-a', `${src}/site/`, ours.url('up', 'notmunged')]);
      expect(ok.code).toBe(0);
    } finally {
      await fsp.rmdir('/rsyncd-munged');
    }
  });

  it(
    'pre-xfer exec: the environment and arguments rsync gives it; a failure refuses the transfer',
    { timeout: 30_000 },
    async () => {
      const r = await both(['-a', '--exclude=*.bin', '%D/pre/site/', '%W-pre']);
      expect(r.ref.code).toBe(0);
      expect(r.ours.code).toBe(0);
      const env = async (who: 'ours' | 'ref') =>
        (await fsp.readFile(path.join(work, `${who}-pre.env`), 'utf8')).replaceAll(dirs[who], 'BASE');
      const a = await env('ours');
      expect(a).toContain('RSYNC_REQUEST=pre/site/');
      expect(a).toBe(await env('ref'));
      const denied = await both(['-a', '%D/pre/site/deny/', '%W-pre-deny']);
      expect(denied.ref.code).not.toBe(0);
      expect(denied.ours.code).toBe(denied.ref.code);
      expect(lines(denied.ours.stderr)[0]).toBe(lines(denied.ref.stderr)[0]);
    },
  );

  it('post-xfer exec sees the environment rsync gives it', { timeout: 30_000 }, async () => {
    const r = await both(['-a', `${src}/site/`, '%D/hk/hooked']);
    expect(r.ours.code).toBe(0);
    expect(r.ref.code).toBe(0);
    // the daemon runs the hook after the client has gone
    const read = async (who: 'ours' | 'ref') => {
      for (let i = 0; i < 100; i++) {
        const t = await fsp.readFile(path.join(dirs[who], 'hook.env'), 'utf8').catch(() => '');
        if (t) return t.replaceAll(dirs[who], 'BASE');
        await new Promise((res) => setTimeout(res, 50));
      }
      return '';
    };
    const a = await read('ours');
    expect(a).toContain('RSYNC_EXIT_STATUS=0');
    expect(a).toBe(await read('ref'));
    // and after a pull
    for (const who of ['ours', 'ref'] as const) await fsp.rm(path.join(dirs[who], 'hook.env'));
    const p = await both(['-a', '%D/hk/hooked/', '%W-hooked']);
    expect(p.ours.code).toBe(0);
    expect(p.ref.code).toBe(0);
    const b = await read('ours');
    expect(b).toContain('RSYNC_MODULE_NAME=hk');
    expect(b).toBe(await read('ref'));
  });
});
