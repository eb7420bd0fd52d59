/**
 * Local copies (`tsrsync pull SRC DEST` with two local paths) give what
 * `rsync -a` gives on the fixture tree, and a second run changes nothing.
 */
import { existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ARCHIVE, RsyncError, localCopy, makeOptions } from '@tsrsync/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { prng } from '../golden/data.js';
import { statFigure, tsrsync } from './cli-run.js';
import { makeFixtureTree, setMtimeNs } from './fixture-tree.js';
import { compareTrees, makeTempDir, removeTempDirs, runRsync, treeSnapshot } from './harness.js';

const CMP = { mtimeResolutionNs: 1000n, nonFileMtimeResolutionNs: 1_000_000_000n };
let work: string;
let src: string;
beforeAll(async () => {
  work = await makeTempDir('tsrsync-local-');
  src = path.join(work, 'src');
  await makeFixtureTree(src, { bigSize: 3_000_000 });
});
afterAll(removeTempDirs);

it.each([
  ['-a', ['-a']],
  ['-aH', ['-aH']],
  ['-a --delete into an existing tree', ['-a', '--delete']],
  ['-rlt', ['-rlt']],
])('%s equals rsync', async (_name, args) => {
  const tag = args.join('').replace(/[^a-zA-Z]/g, '');
  const ours = path.join(work, `ours-${tag}`);
  const ref = path.join(work, `ref-${tag}`);
  for (const d of [ours, ref]) {
    await fsp.mkdir(d, { recursive: true });
    await fsp.writeFile(path.join(d, 'stale.txt'), 'only in the destination');
    setMtimeNs(path.join(d, 'stale.txt'), 1_500_000_000, 0);
  }
  const r = await tsrsync('pull', ...args, `${src}/`, ours);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const rr = await runRsync([...args, `${src}/`, ref]);
  expect(rr.code).toBe(0);
  expect(compareTrees(await treeSnapshot(ref), await treeSnapshot(ours), CMP)).toEqual([]);
  const again = await tsrsync('pull', ...args, '--stats', `${src}/`, ours);
  expect(again.code).toBe(0);
  expect(statFigure(again.stdout, 'Number of regular files transferred')).toBe(0);
});

it('a single file, a directory without slash, --no-whole-file deltas, --link-dest', async () => {
  const d = path.join(work, 'misc');
  // like rsync: the destination file's directory must exist (code 3)
  const missing = await tsrsync('pull', path.join(src, 'run.sh'), path.join(d, 'copy.sh'));
  expect(missing.code).toBe(3);
  expect(missing.stderr).toContain('change_dir#3');
  await fsp.mkdir(d);
  expect((await tsrsync('pull', path.join(src, 'run.sh'), path.join(d, 'copy.sh'))).code).toBe(0);
  expect(statSync(path.join(d, 'copy.sh')).mode & 0o777).toBe(0o755);
  expect((await tsrsync('pull', '-a', path.join(src, 'site'), d)).code).toBe(0);
  expect(readFileSync(path.join(d, 'site/index.html'), 'utf8')).toContain('hello');
  // a delta against the previous copy
  const prev = path.join(work, 'prev');
  const next = path.join(work, 'next');
  expect((await tsrsync('pull', '-a', `${src}/`, prev)).code).toBe(0);
  const big = readFileSync(path.join(src, 'big.bin'));
  big.set(prng(8, 2000), 1_000_000);
  await fsp.writeFile(path.join(src, 'big.bin'), big);
  setMtimeNs(path.join(src, 'big.bin'), 1_700_000_000, 0);
  const r = await tsrsync('pull', '-a', '--stats', '--no-whole-file', `--link-dest=${prev}`, `${src}/`, next);
  expect(r.code).toBe(0);
  expect(statFigure(r.stdout, 'Literal data')).toBeLessThan(20_000);
  expect(readFileSync(path.join(next, 'big.bin')).equals(big)).toBe(true);
  expect(statSync(path.join(next, 'site/img/logo.png')).ino).toBe(
    statSync(path.join(prev, 'site/img/logo.png')).ino,
  );
});

// the sending half runs in a worker thread: its errors and an abort end the copy as before
it('a missing source gives code 23 as rsync does; an abort mid-copy ends it with its reason', async () => {
  const d = path.join(work, 'errors');
  const missing = path.join(work, 'no-such-source');
  await fsp.mkdir(d);
  const r = await tsrsync('pull', '-a', `${src}/`, missing, `${d}/ours/`);
  const rr = await runRsync(['-a', `${src}/`, missing, `${d}/ref/`]);
  expect(rr.code).toBe(23);
  expect(r.code).toBe(23);
  expect(r.stderr).toContain('no-such-source');
  expect(readFileSync(path.join(d, 'ours/site/index.html'), 'utf8')).toContain('hello');

  const many = path.join(work, 'many');
  for (let i = 0; i < 40; i++) {
    await fsp.mkdir(path.join(many, `d${i}`), { recursive: true });
    await Promise.all(
      Array.from({ length: 50 }, (_, j) =>
        fsp.writeFile(path.join(many, `d${i}`, `f${j}`), `file ${i}/${j}\n`),
      ),
    );
  }
  const ac = new AbortController();
  const reason = new RsyncError('received SIGINT, exiting', 'ERR_RSYNC_SIGNAL', 20);
  const t0 = Date.now();
  const copy = localCopy({
    sources: [`${many}/`],
    dest: path.join(work, 'aborted'),
    options: makeOptions({ ...ARCHIVE }),
    reporter: { fileList: () => ac.abort(reason) },
    signal: ac.signal,
  });
  await expect(copy).rejects.toBe(reason);
  expect(Date.now() - t0).toBeLessThan(10_000);
  // an abort before the start: nothing runs
  await expect(
    localCopy({
      sources: [`${many}/`],
      dest: path.join(work, 'never'),
      options: makeOptions({ ...ARCHIVE }),
      reporter: {},
      signal: ac.signal,
    }),
  ).rejects.toBe(reason);
  expect(existsSync(path.join(work, 'never'))).toBe(false);
});
