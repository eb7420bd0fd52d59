/**
 * --chmod and a daemon module's `incoming chmod` / `outgoing chmod`, against
 * real rsync 3.5.0: local copies, pulls and pushes with the rules applied by
 * the side rsync applies them on (the sender's file list, or the list the
 * receiver reads), giving the same modes.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsrsync } from './cli-run.js';
import { setMtimeNs } from './fixture-tree.js';
import {
  compareTrees,
  makeTempDir,
  removeTempDirs,
  runRsync,
  startRsyncDaemon,
  treeSnapshot,
  type RsyncDaemon,
  type StartDaemonOptions,
} from './harness.js';
import { startTsrsyncDaemon, type TsrsyncDaemon } from './tsrsync-daemon.js';

/** Modes and contents; mtimes only where the transfer keeps them (-a). */
const NO_TIMES = { ignore: ['mtimeNs' as const] };
const WITH_TIMES = { mtimeResolutionNs: 1000n, nonFileMtimeResolutionNs: 1_000_000_000n };

const SPECS = [
  'D2775,F664',
  'ug+rwX,o-rwx',
  'Fa-x',
  'u=rwX,go=rX',
  'a+X',
  // not idempotent: a receiver that re-reads a mode (XMIT_SAME_MODE) tweaks it again
  'g=u,u=rw',
  'Dg+s,o+t,Fu-w',
  '600',
];

let work: string;
let src: string;

/** Files of modes 600/644/755/700 (several alike in a row) in dirs of modes 700/755/2755. */
async function makeTree(root: string): Promise<void> {
  const entries: [string, number, string | undefined][] = [
    ['d700', 0o700, undefined],
    ['d755', 0o755, undefined],
    ['d755/sub700', 0o700, undefined],
    ['setgid', 0o2755, undefined],
    ['f600', 0o600, 'six hundred\n'],
    ['f644', 0o644, 'six forty-four\n'],
    ['f644b', 0o644, 'another 644\n'],
    ['f755', 0o755, '#!/bin/sh\n'],
    ['f700', 0o700, '#!/bin/sh\nexit 0\n'],
    ['d700/a644', 0o644, 'a\n'],
    ['d700/b755', 0o755, 'b\n'],
    ['d700/c755', 0o755, 'c\n'],
    ['d755/x600', 0o600, 'x\n'],
    ['d755/sub700/y700', 0o700, 'y\n'],
    ['setgid/z644', 0o644, 'z\n'],
  ];
  await fsp.mkdir(root, { recursive: true });
  for (const [rel, , body] of entries) {
    const p = path.join(root, rel);
    if (body === undefined) await fsp.mkdir(p);
    else await fsp.writeFile(p, body);
  }
  await fsp.symlink('f644', path.join(root, 'link'));
  // deepest first, so a 0700 directory is set after its contents
  for (const [rel, mode] of [...entries].reverse()) {
    await fsp.chmod(path.join(root, rel), mode);
    setMtimeNs(path.join(root, rel), 1_600_000_000, 123_456_789);
  }
  await fsp.chmod(root, 0o755);
  setMtimeNs(root, 1_600_000_000, 0);
}

beforeAll(async () => {
  work = await makeTempDir('tsrsync-chmod-');
  src = path.join(work, 'src');
  await makeTree(src);
});
afterAll(removeTempDirs);

const tag = (spec: string) => spec.replace(/[^a-zA-Z0-9]/g, '_');

async function expectSameTree(ref: string, ours: string, cmp: object): Promise<void> {
  expect(compareTrees(await treeSnapshot(ref), await treeSnapshot(ours), cmp)).toEqual([]);
}

describe('local copy: rsync SRC/ DST/ --chmod=SPEC', () => {
  it.each(SPECS)('-r --perms --chmod=%s', async (spec) => {
    const ref = path.join(work, `rp-ref-${tag(spec)}`);
    const ours = path.join(work, `rp-ours-${tag(spec)}`);
    const rr = await runRsync(['-r', '--perms', `--chmod=${spec}`, `${src}/`, `${ref}/`]);
    expect(rr.code).toBe(0);
    const r = await tsrsync(
      'pull',
      '--no-l',
      '--no-t',
      '--no-g',
      '--no-o',
      '--no-D',
      `--chmod=${spec}`,
      `${src}/`,
      `${ours}/`,
    );
    expect(r.code).toBe(0);
    await expectSameTree(ref, ours, NO_TIMES);
  });

  it.each(SPECS)('-a --chmod=%s', async (spec) => {
    const ref = path.join(work, `a-ref-${tag(spec)}`);
    const ours = path.join(work, `a-ours-${tag(spec)}`);
    expect((await runRsync(['-a', `--chmod=${spec}`, `${src}/`, `${ref}/`])).code).toBe(0);
    const r = await tsrsync('pull', `--chmod=${spec}`, `${src}/`, `${ours}/`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await expectSameTree(ref, ours, WITH_TIMES);
  });

  it.each(SPECS)(
    '-r (no --perms) --chmod=%s: new files get the tweaked mode less the umask',
    async (spec) => {
      const ref = path.join(work, `r-ref-${tag(spec)}`);
      const ours = path.join(work, `r-ours-${tag(spec)}`);
      const rr = await runRsync(['-r', `--chmod=${spec}`, `${src}/`, `${ref}/`]);
      expect(rr.code).toBe(0);
      const r = await tsrsync(
        'pull',
        '--no-p',
        '--no-l',
        '--no-t',
        '--no-g',
        '--no-o',
        '--no-D',
        `--chmod=${spec}`,
        `${src}/`,
        `${ours}/`,
      );
      expect(r.code).toBe(0);
      await expectSameTree(ref, ours, NO_TIMES);
    },
  );

  it('one spec after another into the same tree: existing files change mode', async () => {
    const ref = path.join(work, 'chain-ref');
    const ours = path.join(work, 'chain-ours');
    for (const spec of SPECS) {
      expect((await runRsync(['-a', `--chmod=${spec}`, `${src}/`, `${ref}/`])).code).toBe(0);
      const r = await tsrsync('pull', `--chmod=${spec}`, `${src}/`, `${ours}/`);
      expect(r.code).toBe(0);
      await expectSameTree(ref, ours, WITH_TIMES);
    }
  });

  it('several --chmod options accumulate, in order', async () => {
    const args = ['--chmod=Fa-x', '--chmod=u+x,g=u', '--chmod=D750'];
    const ref = path.join(work, 'multi-ref');
    const ours = path.join(work, 'multi-ours');
    expect((await runRsync(['-a', ...args, `${src}/`, `${ref}/`])).code).toBe(0);
    expect((await tsrsync('pull', ...args, `${src}/`, `${ours}/`)).code).toBe(0);
    await expectSameTree(ref, ours, WITH_TIMES);
  });

  it('an invalid spec is a usage error (code 1) with rsync message', async () => {
    for (const spec of ['u+q', 'a+x,', 'DF644', '8']) {
      const rr = await runRsync(['-a', `--chmod=${spec}`, `${src}/`, path.join(work, 'never')]);
      const r = await tsrsync('pull', `--chmod=${spec}`, `${src}/`, path.join(work, 'never'));
      expect(rr.code).toBe(1);
      expect(r.code).toBe(1);
      const msg = `Invalid argument passed to --chmod (${spec})`;
      expect(rr.stderr).toContain(msg);
      expect(r.stderr).toContain(msg);
    }
    await expect(fsp.stat(path.join(work, 'never'))).rejects.toThrow();
  });
});

describe('daemons: incoming chmod, outgoing chmod, and a client --chmod', () => {
  let ours: TsrsyncDaemon;
  let ref: RsyncDaemon;
  const base = { ours: '', ref: '' };
  const RULES = 'Fo-rwx,Dg+s';

  function config(dir: string): StartDaemonOptions {
    const rw = { 'read only': 'no', 'munge symlinks': 'no' };
    return {
      modules: {
        in: {
          path: path.join(dir, 'in'),
          extra: { ...rw, 'incoming chmod': RULES, 'outgoing chmod': 'a-r' },
        },
        out: {
          path: src,
          extra: { 'munge symlinks': 'no', 'outgoing chmod': RULES, 'incoming chmod': 'a-r' },
        },
        up: { path: path.join(dir, 'up'), extra: rw },
        bad: { path: path.join(dir, 'bad'), extra: { ...rw, 'incoming chmod': 'u+q' } },
      },
    };
  }

  beforeAll(async () => {
    for (const who of ['ours', 'ref'] as const) {
      const dir = path.join(work, `daemon-${who}`);
      base[who] = dir;
      for (const m of ['in', 'up', 'bad']) await fsp.mkdir(path.join(dir, m), { recursive: true });
      if (who === 'ours') ours = await startTsrsyncDaemon(config(dir));
      else ref = await startRsyncDaemon(config(dir));
    }
  });
  afterAll(async () => {
    await ours?.stop();
    await ref?.stop();
  });

  // without --perms only rsync.c:set_file_attrs()'s second application of the module's
  // rules gives a new directory its `g+s`
  it.each([
    ['-r --perms', ['-r', '--perms']],
    ['-r', ['-r']],
    ['-a', ['-a']],
    ['-a --protocol=29', ['-a', '--protocol=29']],
  ])('rsync %s pushing into a module with `incoming chmod`', async (name, args) => {
    const sub = tag(name);
    const rr = await runRsync([...args, `${src}/`, ref.url('in', sub) + '/']);
    expect(rr.code).toBe(0);
    const r = await runRsync([...args, `${src}/`, ours.url('in', sub) + '/']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cmp = args.includes('-a') ? WITH_TIMES : NO_TIMES;
    await expectSameTree(path.join(base.ref, 'in', sub), path.join(base.ours, 'in', sub), cmp);
    // and the rules did something
    const snap = await treeSnapshot(path.join(base.ours, 'in', sub));
    expect(snap.get('f644')?.mode).toBe(0o640);
    expect(snap.get('d700')?.mode).toBe(0o2700);
  });

  it.each([
    ['-r --perms', ['-r', '--perms']],
    ['-a', ['-a']],
    ['-a --protocol=29', ['-a', '--protocol=29']],
  ])('rsync %s pulling from a module with `outgoing chmod`', async (name, args) => {
    const refDst = path.join(work, `out-ref-${tag(name)}`);
    const oursDst = path.join(work, `out-ours-${tag(name)}`);
    expect((await runRsync([...args, ref.url('out') + '/', refDst])).code).toBe(0);
    const r = await runRsync([...args, ours.url('out') + '/', oursDst]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await expectSameTree(refDst, oursDst, args.includes('-a') ? WITH_TIMES : NO_TIMES);
    expect((await treeSnapshot(oursDst)).get('f755')?.mode).toBe(0o750);
  });

  it('the other direction of a module is left alone', async () => {
    // `in` sends with `outgoing chmod = a-r`, `out` would receive with `incoming chmod = a-r`
    const refDst = path.join(work, 'in-pull-ref');
    const oursDst = path.join(work, 'in-pull-ours');
    expect((await runRsync(['-a', ref.url('in', tag('-a')) + '/', refDst])).code).toBe(0);
    expect((await runRsync(['-a', ours.url('in', tag('-a')) + '/', oursDst])).code).toBe(0);
    await expectSameTree(refDst, oursDst, WITH_TIMES);
    expect((await treeSnapshot(oursDst)).get('f644')?.mode).toBe(0o200);
  });

  it.each(SPECS)('tsrsync pull --chmod=%s from rsync --daemon (the receiver applies it)', async (spec) => {
    const refDst = path.join(work, `cpull-ref-${tag(spec)}`);
    const oursDst = path.join(work, `cpull-ours-${tag(spec)}`);
    // `out` has outgoing rules of its own: both apply, the daemon's first
    expect((await runRsync(['-a', `--chmod=${spec}`, ref.url('out') + '/', refDst])).code).toBe(0);
    const r = await tsrsync('pull', `--chmod=${spec}`, ref.url('out') + '/', oursDst);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await expectSameTree(refDst, oursDst, WITH_TIMES);
  });

  it.each(SPECS)('tsrsync push --chmod=%s to rsync --daemon (the sender applies it)', async (spec) => {
    const rr = await runRsync(['-a', `--chmod=${spec}`, `${src}/`, ref.url('up', `r-${tag(spec)}`) + '/']);
    expect(rr.code).toBe(0);
    const r = await tsrsync('push', `--chmod=${spec}`, `${src}/`, ref.url('up', `t-${tag(spec)}`) + '/');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await expectSameTree(
      path.join(base.ref, 'up', `r-${tag(spec)}`),
      path.join(base.ref, 'up', `t-${tag(spec)}`),
      WITH_TIMES,
    );
  });

  it('an invalid `incoming chmod` refuses the push', async () => {
    const r = await runRsync(['-a', `${src}/`, ours.url('bad') + '/']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Invalid "incoming chmod" directive: u+q');
    expect(await fsp.readdir(path.join(base.ours, 'bad'))).toEqual([]);
    expect(ours.log()).toContain('Invalid "incoming chmod" directive: u+q');
  });
});
