import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { du, listSnapshots } from './browse.js';
import { diffSnapshots } from './diff.js';
import { SnapshotError } from './errors.js';
import { Layout } from './layout.js';
import { writeManifest, type Manifest } from './manifest.js';

const [N1, N2, N3] = ['2026-01-01T000000Z', '2026-01-02T000000Z', '2026-01-03T000000Z'] as const;
// sizes of the fixture's inodes
const A = 100;
const B1 = 200;
const B2 = 250;
const C = 300;
const D = 50;
const E = 70;
const F = 40;

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrsync-browse-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const snap = (name: string, rel = ''): string => path.join(root, name, rel);
function put(p: string, size: number, fill = 'x'): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, Buffer.alloc(size, fill));
}
function link(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.linkSync(from, to);
}
function manifest(name: string, exitCode: number): Manifest {
  return {
    format: 1,
    name,
    source: 'test::mod',
    startedAt: new Date().toISOString(),
    endedAt: new Date().toISOString(),
    exitCode,
    resumed: false,
    linkDests: [],
    entries: 1,
    transferredFiles: 1,
    literalBytes: 1,
    totalSize: 1,
    linkedFiles: 0,
    copiedFiles: 0,
    bytesReceived: 1,
    tool: 'test',
  };
}

/**
 * N1: a, b(B1), dir/c + dir/hl (one inode), f, link -> a.txt
 * N2: a=N1, b(B2), dir/c=N1 (both links), d, link (new symlink)
 * N3: a=N1, b=N2, e, f=N1 (absent from N2)
 */
function buildFixture(): void {
  const l = new Layout(root);
  l.ensure();
  put(snap(N1, 'a.txt'), A, 'a');
  put(snap(N1, 'b.txt'), B1, 'b');
  put(snap(N1, 'dir/c.txt'), C, 'c');
  link(snap(N1, 'dir/c.txt'), snap(N1, 'dir/hl'));
  put(snap(N1, 'f.txt'), F, 'f');
  fs.symlinkSync('a.txt', snap(N1, 'link'));
  link(snap(N1, 'a.txt'), snap(N2, 'a.txt'));
  put(snap(N2, 'b.txt'), B2, 'B');
  link(snap(N1, 'dir/c.txt'), snap(N2, 'dir/c.txt'));
  link(snap(N1, 'dir/c.txt'), snap(N2, 'dir/hl'));
  put(snap(N2, 'd.txt'), D, 'd');
  fs.symlinkSync('a.txt', snap(N2, 'link'));
  link(snap(N1, 'a.txt'), snap(N3, 'a.txt'));
  link(snap(N2, 'b.txt'), snap(N3, 'b.txt'));
  put(snap(N3, 'e.txt'), E, 'e');
  link(snap(N1, 'f.txt'), snap(N3, 'f.txt'));
  writeManifest(l.manifest(N1), manifest(N1, 0));
  writeManifest(l.manifest(N2), manifest(N2, 24));
  l.setLatest(N3);
}

describe('listSnapshots', () => {
  it('accounts bytes by inode: total, new vs previous, shared, unique', () => {
    buildFixture();
    const now = new Date('2026-01-05T00:00:00Z');
    const [s1, s2, s3] = listSnapshots(root, { now });
    expect([s1?.name, s2?.name, s3?.name]).toEqual([N1, N2, N3]);
    expect(s1).toMatchObject({ totalBytes: A + B1 + C + F, newBytes: A + B1 + C + F, uniqueBytes: B1 });
    expect(s2).toMatchObject({
      totalBytes: A + B2 + C + D,
      newBytes: B2 + D,
      sharedBytes: A + C,
      uniqueBytes: D,
    });
    // f is back from N1: new compared with N2, but not unique
    expect(s3).toMatchObject({
      totalBytes: A + B2 + E + F,
      newBytes: E + F,
      sharedBytes: A + B2,
      uniqueBytes: E,
    });
    expect(s1).toMatchObject({ files: 5, dirs: 1, symlinks: 1 });
    expect(s3).toMatchObject({ files: 4, dirs: 0, symlinks: 0 });
    expect(s3!.ageMs).toBe(now.getTime() - Date.parse('2026-01-03T00:00:00Z'));
    expect(s3!.time.toISOString()).toBe('2026-01-03T00:00:00.000Z');
  });

  it('reports status from the manifest and marks latest', () => {
    buildFixture();
    const list = listSnapshots(root);
    expect(list.map((s) => s.status)).toEqual([
      'complete',
      'complete (vanished files)',
      'complete (no manifest)',
    ]);
    expect(list.map((s) => s.isLatest)).toEqual([false, false, true]);
    expect(list[0]!.manifest?.name).toBe(N1);
    expect(list[2]!.manifest).toBeUndefined();
    new Layout(root).setLatest(N2);
    expect(listSnapshots(root).map((s) => s.isLatest)).toEqual([false, true, false]);
  });

  it('refuses a ROOT that does not exist', () => {
    expect(() => listSnapshots(path.join(root, 'nope'))).toThrow(SnapshotError);
  });

  it('matches a model on random link patterns', () => {
    const choice = fc.constantFrom('absent', 'new', 'reuse', 'dup');
    const model = fc.record({
      sizes: fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 5 }),
      plan: fc.array(fc.array(choice, { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 4 }),
    });
    fc.assert(
      fc.property(model, ({ sizes, plan }) => {
        fs.rmSync(root, { recursive: true, force: true });
        fs.mkdirSync(root);
        const names = plan.map((_, i) => `2026-02-0${i + 1}T000000Z`);
        const inodeSize: number[] = [];
        const sets: Set<number>[] = [];
        const lastPath = new Map<number, [number, string]>(); // slot -> [inode, path]
        plan.forEach((row, i) => {
          fs.mkdirSync(snap(names[i]!));
          const set = new Set<number>();
          sizes.forEach((size, slot) => {
            const c = row[slot]!;
            if (c === 'absent') return;
            const p = snap(names[i]!, `s${slot}`);
            const prev = lastPath.get(slot);
            if (c !== 'new' && prev) link(prev[1], p);
            else {
              put(p, size);
              inodeSize.push(size);
              lastPath.set(slot, [inodeSize.length - 1, p]);
            }
            if (c === 'dup') link(p, `${p}.dup`);
            set.add(lastPath.get(slot)![0]);
          });
          sets.push(set);
        });
        const sum = (ids: Iterable<number>): number => [...ids].reduce((s, id) => s + inodeSize[id]!, 0);
        const seenIn = (id: number): number => sets.filter((s) => s.has(id)).length;
        const firstIn = (id: number): number => sets.findIndex((s) => s.has(id));
        const list = listSnapshots(root);
        const d = du(root);
        let cumulative = 0;
        sets.forEach((set, i) => {
          const prev = sets[i - 1] ?? new Set<number>();
          const s = list[i]!;
          expect(s.totalBytes).toBe(sum(set));
          expect(s.newBytes).toBe(sum([...set].filter((id) => !prev.has(id))));
          expect(s.sharedBytes).toBe(sum([...set].filter((id) => prev.has(id))));
          expect(s.uniqueBytes).toBe(sum([...set].filter((id) => seenIn(id) === 1)));
          const first = sum([...set].filter((id) => firstIn(id) === i));
          cumulative += first;
          expect(d.snapshots[i]).toMatchObject({ incrementalBytes: first, cumulativeBytes: cumulative });
          expect(d.snapshots[i]!.uniqueBytes).toBe(s.uniqueBytes);
        });
        expect(d.totalBytes).toBe(sum(inodeSize.keys()));
      }),
      { numRuns: 30 },
    );
  });
});

describe('du', () => {
  it('counts each inode once, in the oldest snapshot holding it, with allocation', () => {
    buildFixture();
    const r = du(root);
    expect(r.snapshots.map((s) => s.incrementalBytes)).toEqual([A + B1 + C + F, B2 + D, E]);
    expect(r.snapshots.map((s) => s.cumulativeBytes)).toEqual([
      A + B1 + C + F,
      A + B1 + C + F + B2 + D,
      A + B1 + C + F + B2 + D + E,
    ]);
    expect(r.totalBytes).toBe(A + B1 + C + F + B2 + D + E);
    expect(r.snapshots.map((s) => s.uniqueBytes)).toEqual([B1, D, E]);
    const alloc = (p: string): number => fs.statSync(p).blocks * 512;
    expect(r.snapshots[2]!.incrementalAllocated).toBe(alloc(snap(N3, 'e.txt')));
    expect(r.snapshots[1]!.incrementalAllocated).toBe(alloc(snap(N2, 'b.txt')) + alloc(snap(N2, 'd.txt')));
    expect(r.totalAllocated).toBe(r.snapshots.at(-1)!.cumulativeAllocated);
  });
});

describe('diffSnapshots', () => {
  const T = 1_700_000_000;
  function buildPair(): void {
    const a = (p: string) => snap(N1, p);
    const b = (p: string) => snap(N2, p);
    put(a('same.txt'), 10);
    link(a('same.txt'), b('same.txt'));
    put(a('size.txt'), 10);
    put(b('size.txt'), 12);
    put(a('content.txt'), 11, 'h');
    put(b('content.txt'), 11, 'H');
    for (const f of ['meta.txt', 'newinode.txt']) {
      put(a(f), 5, 'm');
      put(b(f), 5, 'm');
      fs.chmodSync(a(f), 0o644);
      fs.chmodSync(b(f), 0o644);
      fs.utimesSync(a(f), T, T);
      fs.utimesSync(b(f), T, T);
    }
    fs.chmodSync(b('meta.txt'), 0o600);
    fs.utimesSync(b('meta.txt'), T, T + 60);
    put(a('gone.txt'), 7);
    put(b('added.txt'), 9);
    fs.symlinkSync('t1', a('sl'));
    fs.symlinkSync('t2', b('sl'));
    put(a('typechg'), 3);
    put(b('typechg/inner'), 4);
    put(a('dir/x'), 1);
    link(a('dir/x'), b('dir/x'));
    fs.mkdirSync(a('dir2'), { mode: 0o755 });
    fs.mkdirSync(b('dir2'), { mode: 0o700 });
    fs.chmodSync(a('dir2'), 0o755);
    for (const d of [a('dir'), b('dir'), a('dir2'), b('dir2')]) fs.utimesSync(d, T, T);
  }

  it('finds added, removed, changed and metadata-only entries', () => {
    buildPair();
    const r = diffSnapshots(root, N1, N2);
    expect(r.added.map((e) => e.path)).toEqual(['added.txt', 'typechg/inner']);
    expect(r.removed.map((e) => e.path)).toEqual(['gone.txt']);
    expect(r.changed.map((c) => [c.path, c.reason])).toEqual([
      ['content.txt', 'content'],
      ['size.txt', 'size'],
      ['sl', 'target'],
      ['typechg', 'type'],
    ]);
    expect(r.metadataOnly.map((m) => [m.path, m.attrs])).toEqual([
      ['dir2', ['mode']],
      ['meta.txt', ['mode', 'mtime']],
      ['newinode.txt', []],
    ]);
    expect(r.counts).toEqual({ added: 2, removed: 1, changed: 4, metadataOnly: 3, unchanged: 3 });
    expect(r.bytes).toEqual({ added: 9 + 4, removed: 7, changed: 11 + 12 });
  });

  it('is empty between a snapshot and itself, and resolves latest', () => {
    buildFixture();
    const same = diffSnapshots(root, N2, N2);
    expect(same.counts).toMatchObject({ added: 0, removed: 0, changed: 0, metadataOnly: 0 });
    const r = diffSnapshots(root, N1, 'latest');
    expect(r.b).toBe(N3);
    expect(r.removed.map((e) => e.path)).toEqual(['dir', 'dir/c.txt', 'dir/hl', 'link']);
    expect(r.added.map((e) => e.path)).toEqual(['e.txt']);
    expect(r.changed.map((c) => c.path)).toEqual(['b.txt']);
  });

  it('refuses unknown snapshots', () => {
    buildFixture();
    expect(() => diffSnapshots(root, N1, '2030-01-01T000000Z')).toThrow(/no snapshot 2030-01-01T000000Z/);
    expect(() => diffSnapshots(root, 'bogus', N1)).toThrow(SnapshotError);
  });
});
