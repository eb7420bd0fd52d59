import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { RsyncError, TransferStats, makeOptions, type TransferResult } from '@tsrsync/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SnapshotError } from './errors.js';
import { combineResults, multiPointSource, worstExitCode, type SnapshotPoint } from './multi-source.js';
import { snapshot, type SnapshotSource, type SourceRun } from './snapshot.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrsync-multi-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

interface Call {
  name: string;
  dest: string;
  alt: string[];
}

/**
 * A fake rsync -a --delete of a flat tree: deletes whatever else is in r.dest,
 * hard-links a file from the first link-dest dir holding the same content.
 */
function fake(name: string, files: Record<string, string>, calls: Call[], exitCode = 0): SnapshotSource {
  return {
    description: `fake:${name}`,
    run(r: SourceRun): Promise<TransferResult> {
      const alt = r.options.altDest?.dirs ?? [];
      calls.push({ name, dest: r.dest, alt });
      fs.mkdirSync(r.dest, { recursive: true });
      for (const e of fs.readdirSync(r.dest))
        if (!(e in files)) fs.rmSync(path.join(r.dest, e), { recursive: true, force: true });
      const stats = new TransferStats();
      stats.numFiles = Object.keys(files).length + 1;
      for (const [f, content] of Object.entries(files)) {
        const target = path.join(r.dest, f);
        fs.rmSync(target, { force: true });
        const base = alt
          .map((d) => path.join(d, f))
          .find((p) => fs.existsSync(p) && fs.readFileSync(p, 'utf8') === content);
        if (base) {
          fs.linkSync(base, target);
          stats.linkedFiles++;
        } else {
          fs.writeFileSync(target, content);
          stats.xferredFiles++;
          stats.totalRead += content.length;
        }
      }
      return Promise.resolve({ exitCode, stats, settings: undefined });
    },
  };
}

const at = (iso: string): Date => new Date(iso);

describe('multiPointSource in a snapshot', () => {
  it('puts each point in its own directory; one point --delete never touches another', async () => {
    const calls: Call[] = [];
    const points: SnapshotPoint[] = [
      { dest: 'websites', source: fake('web', { 'index.html': 'w1', 'a.css': 'c' }, calls) },
      { dest: 'db/dumps/', source: fake('db', { 'dump.sql': 'd1' }, calls) },
      { dest: 'etc', source: fake('etc', { hosts: 'h' }, calls) },
    ];
    const res = await snapshot({ root, source: multiPointSource(points), now: at('2026-12-01T02:00:00Z') });
    expect(res.committed).toBe(true);
    const snap = path.join(root, res.name);
    const tree = (d: string): string[] => fs.readdirSync(path.join(snap, d)).sort();
    expect(tree('.')).toEqual(['db', 'etc', 'websites']);
    expect(tree('websites')).toEqual(['a.css', 'index.html']);
    expect(tree('db/dumps')).toEqual(['dump.sql']);
    expect(tree('etc')).toEqual(['hosts']);
    expect(calls.map((c) => path.relative(path.join(root, '.tsrsync/staging'), c.dest))).toEqual([
      'websites',
      'db/dumps',
      'etc',
    ]);
    expect(calls.every((c) => c.dest.endsWith('/'))).toBe(true);
    expect(res.manifest?.entries).toBe(3 + 2 + 2);
    expect(res.manifest?.source).toBe('fake:web -> websites/, fake:db -> db/dumps/, fake:etc -> etc/');
  });

  it("links each point against the same point's directory in earlier snapshots", async () => {
    const calls: Call[] = [];
    const points = (web: string): SnapshotPoint[] => [
      { dest: 'websites', source: fake('web', { 'index.html': web, 'same.txt': 'same' }, calls) },
      { dest: 'db', source: fake('db', { 'same.txt': 'db-same' }, calls) },
    ];
    const first = await snapshot({
      root,
      source: multiPointSource(points('v1')),
      now: at('2026-12-01T02:00:00Z'),
    });
    calls.length = 0;
    const second = await snapshot({
      root,
      source: multiPointSource(points('v2')),
      now: at('2026-12-02T02:00:00Z'),
    });
    expect(second.committed).toBe(true);
    expect(calls.map((c) => c.alt)).toEqual([
      [path.join(root, first.name, 'websites')],
      [path.join(root, first.name, 'db')],
    ]);
    const ino = (name: string, f: string): number => fs.statSync(path.join(root, name, f)).ino;
    expect(ino(second.name, 'websites/same.txt')).toBe(ino(first.name, 'websites/same.txt'));
    expect(ino(second.name, 'db/same.txt')).toBe(ino(first.name, 'db/same.txt'));
    expect(ino(second.name, 'websites/index.html')).not.toBe(ino(first.name, 'websites/index.html'));
    expect(second.manifest?.linkedFiles).toBe(2);
  });

  it('does not commit when one point fails, and still runs the others', async () => {
    const calls: Call[] = [];
    const src = multiPointSource([
      { dest: 'a', source: fake('a', { f: '1' }, calls, 23) },
      { dest: 'b', source: fake('b', { g: '2' }, calls) },
    ]);
    const res = await snapshot({ root, source: src, now: at('2026-12-01T02:00:00Z') });
    expect(res).toMatchObject({ committed: false, exitCode: 23 });
    expect(calls.map((c) => c.name)).toEqual(['a', 'b']);
    expect(fs.readdirSync(path.join(root, '.tsrsync/staging')).sort()).toEqual(['a', 'b']);
  });

  it('turns a point that throws an RsyncError into its exit code and goes on', async () => {
    const calls: Call[] = [];
    const messages: string[] = [];
    const down: SnapshotSource = {
      description: 'down',
      run: () => Promise.reject(new RsyncError('failed to connect to db: ECONNREFUSED', 'ERR_CONNECT', 10)),
    };
    const src = multiPointSource([
      { dest: 'db', source: down },
      { dest: 'web', source: fake('web', { f: '1' }, calls, 24) },
    ]);
    const res = await src.run({
      dest: `${root}/`,
      options: makeOptions(),
      hooks: {},
      reporter: { message: (_l, t) => messages.push(t) },
    });
    expect(res.exitCode).toBe(10);
    expect(calls.map((c) => c.name)).toEqual(['web']);
    expect(messages).toEqual(['db/: failed to connect to db: ECONNREFUSED\n']);
  });

  it('refuses a point that sent no files unless allowEmpty', async () => {
    const pts = (): SnapshotPoint[] => [
      { dest: 'a', source: fake('a', { f: '1' }, []) },
      { dest: 'b', source: fake('b', {}, []) },
    ];
    await expect(
      snapshot({ root, source: multiPointSource(pts()), now: at('2026-12-01T02:00:00Z') }),
    ).rejects.toThrow(/backup point b\/ received no files/);
    const ok = await snapshot({
      root,
      source: multiPointSource(pts(), { allowEmpty: true }),
      now: at('2026-12-01T03:00:00Z'),
    });
    expect(ok.committed).toBe(true);
  });

  it('removes what belongs to no point from a resumed staging tree, but not in a dry run', async () => {
    const staging = path.join(root, '.tsrsync/staging');
    for (const f of ['old/x', 'a/stray', 'a/b/keep-me-not', 'file']) {
      fs.mkdirSync(path.dirname(path.join(staging, f)), { recursive: true });
      fs.writeFileSync(path.join(staging, f), 'x');
    }
    const src = (): SnapshotSource =>
      multiPointSource([
        { dest: 'a/b', source: fake('ab', { f: '1' }, []) },
        { dest: 'c', source: fake('c', { g: '2' }, []) },
      ]);
    const dry = await snapshot({
      root,
      source: src(),
      transfer: makeOptions({ dryRun: true }),
      now: at('2026-12-01T02:00:00Z'),
    });
    expect(dry.committed).toBe(false);
    expect(fs.existsSync(path.join(staging, 'old/x'))).toBe(true);
    fs.rmSync(path.join(staging, 'c'), { recursive: true });
    fs.writeFileSync(path.join(staging, 'c'), 'a file where a point goes');
    const res = await snapshot({ root, source: src(), now: at('2026-12-01T02:00:00Z') });
    expect(res).toMatchObject({ committed: true, resumed: true });
    const snap = path.join(root, res.name);
    expect(fs.readdirSync(snap).sort()).toEqual(['a', 'c']);
    expect(fs.readdirSync(path.join(snap, 'a'))).toEqual(['b']);
    expect(fs.readdirSync(path.join(snap, 'a/b'))).toEqual(['f']);
    expect(fs.readdirSync(path.join(snap, 'c'))).toEqual(['g']);
  });

  it('stops before the next point once aborted, with code 20', async () => {
    const ac = new AbortController();
    const calls: Call[] = [];
    const first = fake('a', { f: '1' }, calls);
    const src = multiPointSource([
      { dest: 'a', source: { description: 'a', run: (r) => first.run(r).finally(() => ac.abort()) } },
      { dest: 'b', source: fake('b', { g: '2' }, calls) },
    ]);
    const res = await src.run({
      dest: `${root}/`,
      options: makeOptions(),
      hooks: {},
      reporter: {},
      signal: ac.signal,
    });
    expect(res.exitCode).toBe(20);
    expect(calls.map((c) => c.name)).toEqual(['a']);
  });

  it.each([
    ['no points', []],
    ['absolute dest', [{ dest: '/x' }]],
    ['dest with ..', [{ dest: 'a/../b' }]],
    ['same dest twice', [{ dest: 'a' }, { dest: 'a/' }]],
    ['nested dests', [{ dest: 'a/b' }, { dest: 'a' }]],
  ])('rejects %s', (_name, dests) => {
    const points = dests.map((d) => ({ dest: d.dest, source: fake('x', { f: '1' }, []) }));
    expect(() => multiPointSource(points)).toThrow(SnapshotError);
  });
});

const rank = (c: number): number => (c === 0 ? 0 : c === 24 ? 1 : c === 23 ? 2 : 3);
const code = fc.oneof(fc.constantFrom(0, 23, 24), fc.integer({ min: 1, max: 35 }));

describe('combining results', () => {
  it('worstExitCode: table', () => {
    expect(worstExitCode([])).toBe(0);
    expect(worstExitCode([0, 24, 0])).toBe(24);
    expect(worstExitCode([24, 23, 0])).toBe(23);
    expect(worstExitCode([23, 12, 24, 30])).toBe(12);
  });

  it('worstExitCode: is an input of the highest rank, the first fatal one among fatals', () => {
    fc.assert(
      fc.property(fc.array(code, { minLength: 1, maxLength: 8 }), (codes) => {
        const w = worstExitCode(codes);
        expect(codes).toContain(w);
        for (const c of codes) expect(rank(w)).toBeGreaterThanOrEqual(rank(c));
        if (rank(w) === 3) expect(codes.find((c) => rank(c) === 3)).toBe(w);
      }),
    );
  });

  it('combineResults: sums every stats field, keeps the settings of the first', () => {
    const keys = Object.keys(new TransferStats());
    const statsArb = fc.array(fc.nat({ max: 1e9 }), { minLength: keys.length, maxLength: keys.length });
    fc.assert(
      fc.property(fc.array(fc.tuple(code, statsArb), { minLength: 1, maxLength: 5 }), (rs) => {
        const results: TransferResult[] = rs.map(([exitCode, vals], i) => {
          const stats = new TransferStats();
          keys.forEach((k, j) => ((stats as unknown as Record<string, number>)[k] = vals[j]!));
          return { exitCode, stats, settings: { protocol: 30 + i } as TransferResult['settings'] };
        });
        const all = combineResults(results);
        expect(all.exitCode).toBe(worstExitCode(rs.map((r) => r[0])));
        expect(all.settings).toBe(results[0]!.settings);
        expect(all.stats).toBeInstanceOf(TransferStats);
        keys.forEach((k, j) => {
          expect((all.stats as unknown as Record<string, number>)[k]).toBe(
            rs.reduce((a, r) => a + r[1][j]!, 0),
          );
        });
      }),
    );
  });
});
