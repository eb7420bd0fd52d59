/**
 * Crash safety of tsrsync snapshot: a real `tsrsync snapshot` process pulling
 * from a real rsync daemon is killed with SIGKILL at 50 points (random times
 * during the transfer, and each step of the commit and of retention). After
 * each kill every complete snapshot is as it was (content, mode, times,
 * owner, inode), `latest` names a complete snapshot, a snapshot that appeared
 * is complete, and the next run succeeds.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync, readdirSync, readlinkSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tsrsync } from './cli-run.js';
import { makeFixtureTree, setMtimeNs } from './fixture-tree.js';
import {
  REPO_ROOT,
  compareTrees,
  makeTempDir,
  removeTempDirs,
  startRsyncDaemon,
  treeSnapshot,
  type RsyncDaemon,
} from './harness.js';
import { prng } from '../golden/data.js';

const BIN = path.join(REPO_ROOT, 'packages/cli/bin/tsrsync.js');
const KILLS = 50;
const STEP_KILLS = ['transfer', 'commit:manifest', 'commit:rename', 'commit:latest', 'prune:0', 'prune:1'];

let daemon: RsyncDaemon;
let work: string;
let src: string;
beforeAll(async () => {
  work = await makeTempDir('tsrsync-crash-');
  src = path.join(work, 'src');
  await makeFixtureTree(src, { bigSize: 2_000_000 });
  await fsp.mkdir(path.join(src, 'many'));
  for (let i = 0; i < 300; i++) await fsp.writeFile(path.join(src, 'many', `f${i}.txt`), `file ${i}\n`);
  daemon = await startRsyncDaemon({ modules: { site: { path: src, extra: { uid: '0', gid: '0' } } } });
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDirs();
});

const isSnap = (n: string) => /^\d{4}-\d\d-\d\dT\d{6}Z$/.test(n);

/** Everything a later run must not change, inode included. */
function fingerprint(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    const abs = rel ? path.join(dir, rel) : dir;
    const st = lstatSync(abs, { bigint: true });
    h.update(`${rel}|${st.mode}|${st.uid}|${st.gid}|${st.ino}|${st.size}|`);
    if (!st.isDirectory()) h.update(`${st.mtimeNs}|`);
    if (st.isSymbolicLink()) h.update(readlinkSync(abs));
    else if (st.isFile()) h.update(readFileSync(abs));
    else if (st.isDirectory()) for (const n of readdirSync(abs).sort()) walk(rel ? `${rel}/${n}` : n);
  };
  walk('');
  return h.digest('hex');
}

function runKilled(
  root: string,
  now: string,
  kill: { afterMs?: number; step?: string },
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    if (kill.step) env['TSRSYNC_TEST_KILL_AT'] = kill.step;
    const child = spawn(
      process.execPath,
      [BIN, 'snapshot', '-q', `--now=${now}`, '--keep=last=3', `${daemon.url('site')}/`, root],
      { env, stdio: 'ignore' },
    );
    const timer =
      kill.afterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), kill.afterMs) : undefined;
    child.once('error', reject);
    child.once('exit', (code) => {
      if (timer) clearTimeout(timer);
      resolve(code);
    });
  });
}

async function sameAsSource(snapDir: string): Promise<string[]> {
  return compareTrees(await treeSnapshot(src), await treeSnapshot(snapDir), {
    ignoreRoot: true,
    mtimeResolutionNs: 1000n,
    nonFileMtimeResolutionNs: 1_000_000_000n,
    ignore: ['linkGroup'],
  });
}

it(
  `kill -9 at ${KILLS} points never damages a snapshot and the next run succeeds`,
  { timeout: 300_000 },
  async () => {
    const root = path.join(work, 'root');
    const known = new Map<string, string>();
    let clock = Date.UTC(2026, 0, 1, 3, 0, 0);
    const nextNow = () => new Date((clock += 3_600_000)).toISOString().replace('.000Z', 'Z');
    const rng = prng(99, KILLS * 4);
    let killedMidway = 0;
    let appeared = 0;
    // the time kills spread over a run as long as one takes here: a full run, then an
    // incremental one timed (fixed times fell after the end once the CLI started faster)
    const timedRun = async () => {
      const t0 = performance.now();
      expect(await runKilled(root, nextNow(), {})).toBe(0);
      return performance.now() - t0;
    };
    await timedRun();
    const runMs = await timedRun();
    for (const n of readdirSync(root).filter(isSnap)) known.set(n, fingerprint(path.join(root, n)));
    for (let i = 0; i < KILLS; i++) {
      // change the source a little: one small file, and every 5th time the big one
      await fsp.writeFile(
        path.join(src, 'many', `f${i % 300}.txt`),
        `file ${i % 300} changed in round ${i}\n`,
      );
      setMtimeNs(path.join(src, 'many', `f${i % 300}.txt`), 1_700_000_000 + i, 0);
      if (i % 5 === 0) {
        const big = readFileSync(path.join(src, 'big.bin'));
        big.writeUInt32LE(i, (i * 4099) % (big.length - 4));
        await fsp.writeFile(path.join(src, 'big.bin'), big);
        setMtimeNs(path.join(src, 'big.bin'), 1_710_000_000 + i, 0);
      }
      const kill =
        i % 3 === 2
          ? { step: STEP_KILLS[Math.floor(i / 3) % STEP_KILLS.length]! }
          : // 5-95 % of a run's time after the start
            {
              afterMs: Math.round(
                runMs * (0.05 + (0.9 * (((rng[i * 2]! << 8) | rng[i * 2 + 1]!) % 1000)) / 1000),
              ),
            };
      const code = await runKilled(root, nextNow(), kill);
      if (code === null) killedMidway++;

      // invariants after the kill
      // a kill before the first run created the root leaves nothing at all
      const names = existsSync(root) ? readdirSync(root).filter(isSnap).sort() : [];
      for (const [name, fp] of known)
        if (names.includes(name)) expect(fingerprint(path.join(root, name)), name).toBe(fp);
      for (const n of names) {
        if (known.has(n)) continue;
        appeared++;
        expect(await sameAsSource(path.join(root, n)), `new snapshot ${n}`).toEqual([]);
        known.set(n, fingerprint(path.join(root, n)));
      }
      if (names.length > 0) {
        const latest = readlinkSync(path.join(root, 'latest'), { encoding: 'utf8' });
        expect(names).toContain(latest);
      }
      // the next run completes, and its snapshot is the source
      const r = await tsrsync(
        'snapshot',
        '-q',
        `--now=${nextNow()}`,
        '--keep=last=3',
        `${daemon.url('site')}/`,
        root,
      );
      expect(r.code, r.stderr).toBe(0);
      const after = readdirSync(root).filter(isSnap).sort();
      const newest = after.at(-1)!;
      expect(readlinkSync(path.join(root, 'latest'), { encoding: 'utf8' })).toBe(newest);
      expect(await sameAsSource(path.join(root, newest))).toEqual([]);
      known.set(newest, fingerprint(path.join(root, newest)));
      expect(after.length).toBeLessThanOrEqual(3);
      expect(readdirSync(path.join(root, '.tsrsync/trash'))).toEqual([]);
    }
    console.log(
      `snapshot-crash: a run took ${Math.round(runMs)} ms; ${killedMidway} of ${KILLS} kills midway`,
    );
    // the kills did land in the middle of runs, and some runs committed before dying
    expect(killedMidway).toBeGreaterThan(KILLS / 2);
    expect(appeared).toBeGreaterThan(0);
  },
);
