/**
 * `tsrsync daemon` under load, with real rsync 3.5.0 clients: 32 concurrent
 * pulls and pushes all succeed with the right trees; a client that says
 * nothing (or trickles bytes, or stalls after OK) is dropped at the
 * handshake deadline while others are served; `max connections = 2` turns
 * 100 further clients away with rsync's message (real rsync exits 5) and
 * frees its slots when the holders leave.
 *
 * Everything runs on 127.0.0.1; every wait is bounded.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixtureTree } from './fixture-tree.js';
import {
  compareTrees,
  makeTempDir,
  removeTempDirs,
  runRsync,
  treeSnapshot,
  type RunResult,
  type TreeSnapshot,
} from './harness.js';
import { startTsrsyncDaemon, type TsrsyncDaemon } from './tsrsync-daemon.js';
import { RawClient } from './raw-client.js';

/** Protocol 32 client: hard links ignored (no -H), directories and symlinks to the second. */
const CMP = {
  ignore: ['linkGroup' as const],
  ignoreRoot: true,
  mtimeResolutionNs: 1000n,
  nonFileMtimeResolutionNs: 1_000_000_000n,
};
const GREETING = '@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n';
const MAXCONN_ERROR = '@ERROR: max connections (2) reached -- try again later';
const RW = { 'read only': 'no', 'munge symlinks': 'no' };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitIdle(d: TsrsyncDaemon, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (d.active > 0 && Date.now() < deadline) await sleep(20);
  return d.active;
}

function describeRun(r: RunResult): string {
  return `code=${String(r.code)} timedOut=${r.timedOut} stderr=${r.stderr.slice(0, 2000)}`;
}

let work: string;
let src: string;
let srcSnap: TreeSnapshot;

beforeAll(async () => {
  work = await makeTempDir('tsrsync-dload-');
  src = path.join(work, 'src');
  await makeFixtureTree(src, { bigSize: 300_000 });
  srcSnap = await treeSnapshot(src);
});
afterAll(async () => {
  await removeTempDirs();
});

describe('32 concurrent real rsync clients', () => {
  let daemon: TsrsyncDaemon;
  const PUSH_MODULES = 8;
  beforeAll(async () => {
    const modules: Parameters<typeof startTsrsyncDaemon>[0]['modules'] = {
      pub: { path: src, extra: { 'munge symlinks': 'no' } },
      up: { path: path.join(work, 'up'), extra: RW },
    };
    await fsp.mkdir(path.join(work, 'up'));
    for (let i = 0; i < PUSH_MODULES; i++) {
      const p = path.join(work, `m${i}`);
      await fsp.mkdir(p);
      modules[`m${i}`] = { path: p, extra: RW };
    }
    daemon = await startTsrsyncDaemon({ modules });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it(
    '16 pulls from one module and 16 pushes (8 modules, 8 subdirectories) all exit 0 with the right trees',
    { timeout: 60_000 },
    async () => {
      const jobs: { kind: string; dest: string; run: Promise<RunResult> }[] = [];
      await fsp.mkdir(path.join(work, 'pulls'));
      for (let i = 0; i < 16; i++) {
        const dest = path.join(work, 'pulls', `p${i}`);
        jobs.push({
          kind: `pull ${i}`,
          dest,
          run: runRsync(['-a', `${daemon.url('pub')}/`, dest], { timeoutMs: 45_000 }),
        });
      }
      for (let i = 0; i < 16; i++) {
        const inModule = i < PUSH_MODULES;
        const dest = inModule ? path.join(work, `m${i}`) : path.join(work, 'up', `s${i}`);
        const url = inModule ? `${daemon.url(`m${i}`)}/` : daemon.url('up', `s${i}/`);
        jobs.push({
          kind: `push ${i}`,
          dest,
          run: runRsync(['-a', `${src}/`, url], { timeoutMs: 45_000 }),
        });
      }
      // they really overlap: several sessions are open at once
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, daemon.active)), 5);
      const results = await Promise.all(jobs.map((j) => j.run));
      clearInterval(sampler);
      const failures: string[] = [];
      for (const [k, j] of jobs.entries()) {
        const r = results[k]!;
        if (r.code !== 0 || r.stderr !== '') {
          failures.push(`${j.kind}: ${describeRun(r)}`);
          continue;
        }
        const diffs = compareTrees(srcSnap, await treeSnapshot(j.dest), CMP);
        if (diffs.length > 0) failures.push(`${j.kind}: ${diffs.slice(0, 5).join('; ')}`);
      }
      expect(failures).toEqual([]);
      expect(peak).toBeGreaterThan(1);
      expect(await waitIdle(daemon)).toBe(0);
      const log = daemon.log();
      expect(log.match(/finished pub for .* with code 0/g)?.length).toBe(16);
      expect(log.match(/finished (up|m\d) for .* with code 0/g)?.length).toBe(16);
    },
  );
});

describe('the handshake deadline', () => {
  let daemon: TsrsyncDaemon;
  const DEADLINE = 1000;
  beforeAll(async () => {
    daemon = await startTsrsyncDaemon({
      modules: { pub: { path: src, extra: { 'munge symlinks': 'no' } } },
      handshakeTimeoutMs: DEADLINE,
    });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it(
    'a client that sends nothing is dropped at the deadline while a real rsync pull succeeds',
    { timeout: 20_000 },
    async () => {
      const t0 = Date.now();
      const silent = await RawClient.connect(daemon.port);
      const dest = path.join(work, 'deadline-pull');
      const pull = runRsync(['-a', `${daemon.url('pub')}/`, dest], { timeoutMs: 15_000 });
      expect(await silent.waitClosed(3000)).toBe(true);
      const took = silent.closedAt! - t0;
      // not before the deadline, and not long after it
      expect(took).toBeGreaterThanOrEqual(DEADLINE - 100);
      expect(took).toBeLessThan(3000);
      // the daemon greeted it, nothing more
      expect(silent.text).toBe(GREETING);
      const r = await pull;
      expect(describeRun(r)).toBe(describeRun({ ...r, code: 0, stderr: '', timedOut: false }));
      expect(compareTrees(srcSnap, await treeSnapshot(dest), CMP)).toEqual([]);
      expect(await waitIdle(daemon)).toBe(0);
    },
  );

  it(
    'the deadline is absolute: a trickled greeting, a stall before the module and a stall after OK are all dropped',
    { timeout: 20_000 },
    async () => {
      const t0 = Date.now();
      const trickle = await RawClient.connect(daemon.port);
      const beforeModule = await RawClient.connect(daemon.port);
      const afterOk = await RawClient.connect(daemon.port);
      beforeModule.write(GREETING);
      afterOk.write(`${GREETING}pub\n`);
      expect(await afterOk.until(() => afterOk.text.includes('@RSYNCD: OK\n'), 2000)).toBe(true);
      // one byte every 100 ms, never a newline: activity must not extend the deadline
      const bytes = '@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4 md4 md4 md4 md4';
      let i = 0;
      const ticker = setInterval(() => trickle.write(bytes[i++ % bytes.length]!), 100);
      const dest = path.join(work, 'deadline-pull-2');
      const pull = runRsync(['-a', `${daemon.url('pub')}/`, dest], { timeoutMs: 15_000 });
      try {
        for (const c of [trickle, beforeModule, afterOk]) expect(await c.waitClosed(3500)).toBe(true);
      } finally {
        clearInterval(ticker);
      }
      for (const c of [trickle, beforeModule, afterOk]) {
        expect(c.closedAt! - t0).toBeGreaterThanOrEqual(DEADLINE - 100);
        expect(c.closedAt! - t0).toBeLessThan(3500);
      }
      const r = await pull;
      expect(describeRun(r)).toBe(describeRun({ ...r, code: 0, stderr: '', timedOut: false }));
      expect(compareTrees(srcSnap, await treeSnapshot(dest), CMP)).toEqual([]);
      expect(await waitIdle(daemon)).toBe(0);
    },
  );
});

describe('max connections = 2', () => {
  let daemon: TsrsyncDaemon;
  beforeAll(async () => {
    daemon = await startTsrsyncDaemon({
      modules: { lim: { path: src, extra: { 'munge symlinks': 'no', 'max connections': '2' } } },
    });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  /** A client that takes a slot: greeting and module name, then it stalls after OK. */
  async function holder(): Promise<RawClient> {
    const c = await RawClient.connect(daemon.port);
    c.write(`${GREETING}lim\n`);
    expect(await c.until(() => c.text.includes('@RSYNCD: OK\n'), 3000)).toBe(true);
    return c;
  }

  it(
    'two held sessions: 100 more clients are refused (real rsync exits 5); afterwards a client succeeds',
    { timeout: 60_000 },
    async () => {
      const holders = [await holder(), await holder()];
      expect(daemon.active).toBe(2);
      const REAL = 20;
      const RAW = 80;
      const reals = Array.from({ length: REAL }, (_, i) =>
        runRsync(['-a', `${daemon.url('lim')}/`, path.join(work, 'refused', `r${i}`)], {
          timeoutMs: 30_000,
        }),
      );
      const raws = Array.from({ length: RAW }, async () => {
        const c = await RawClient.connect(daemon.port);
        c.write(`${GREETING}lim\n`);
        const closed = await c.waitClosed(10_000);
        c.destroy();
        return { closed, text: c.text };
      });
      const [realResults, rawResults] = await Promise.all([Promise.all(reals), Promise.all(raws)]);
      const realBad = realResults.filter((r) => r.code !== 5 || !r.stderr.includes(MAXCONN_ERROR));
      expect(realBad.map(describeRun)).toEqual([]);
      const rawBad = rawResults.filter((r) => !r.closed || r.text !== `${GREETING}${MAXCONN_ERROR}\n`);
      expect(rawBad).toEqual([]);
      // the holders still hold their sessions
      expect(holders.every((h) => !h.closed)).toBe(true);
      expect(daemon.log().match(/max connections \(2\) reached/g)?.length).toBe(REAL + RAW);

      // one holder leaves: its slot is free again (the other one is still held)
      holders[0]!.destroy();
      for (let k = 0; k < 100 && daemon.active > 1; k++) await sleep(20);
      expect(daemon.active).toBe(1);
      const one = path.join(work, 'after-one');
      const r1 = await runRsync(['-a', `${daemon.url('lim')}/`, one], { timeoutMs: 20_000 });
      expect(describeRun(r1)).toBe(describeRun({ ...r1, code: 0, stderr: '', timedOut: false }));
      expect(compareTrees(srcSnap, await treeSnapshot(one), CMP)).toEqual([]);

      holders[1]!.destroy();
      expect(await waitIdle(daemon)).toBe(0);
      // both slots free: two concurrent pulls succeed
      const dests = [path.join(work, 'after-a'), path.join(work, 'after-b')];
      const rs = await Promise.all(
        dests.map((d) => runRsync(['-a', `${daemon.url('lim')}/`, d], { timeoutMs: 20_000 })),
      );
      for (const r of rs)
        expect(describeRun(r)).toBe(describeRun({ ...r, code: 0, stderr: '', timedOut: false }));
      for (const d of dests) expect(compareTrees(srcSnap, await treeSnapshot(d), CMP)).toEqual([]);
      expect(await waitIdle(daemon)).toBe(0);
    },
  );
});
