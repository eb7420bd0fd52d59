/** tsrsync snapshots / snapshots du / snapshots diff / restore / prune, run in-process. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../packages/cli/src/bin.js';
import { humanSize } from '../../packages/cli/src/commands/snapshots.js';
import { Layout, snapshotName, type SnapshotInfo } from '@tsrsync/snapshot';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const TIMES = ['2026-11-20T03:15:00Z', '2026-11-21T03:15:00Z', '2026-11-22T03:15:00Z'].map(
  (t) => new Date(t),
);
const [N1, N2, N3] = TIMES.map(snapshotName) as [string, string, string];
const BIG = 3 * 1024 * 1024 + 100_000;
const SMALL = 1500;
const CHANGED = 2000;

let tmp: string;
let root: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrsync-cli-snap-'));
  root = path.join(tmp, 'root');
  const l = new Layout(root);
  l.ensure();
  const s = (n: string, p: string) => path.join(root, n, p);
  fs.mkdirSync(s(N1, 'docs'), { recursive: true });
  fs.writeFileSync(s(N1, 'big.bin'), Buffer.alloc(BIG, 7));
  fs.writeFileSync(s(N1, 'docs/note.txt'), Buffer.alloc(SMALL, 'n'));
  fs.writeFileSync(s(N1, 'old.txt'), 'old');
  for (const n of [N2, N3]) {
    fs.mkdirSync(s(n, 'docs'), { recursive: true });
    fs.linkSync(s(N1, 'big.bin'), s(n, 'big.bin'));
  }
  fs.writeFileSync(s(N2, 'docs/note.txt'), Buffer.alloc(CHANGED, 'm'));
  fs.linkSync(s(N2, 'docs/note.txt'), s(N3, 'docs/note.txt'));
  fs.writeFileSync(s(N3, 'new.txt'), 'brand new');
  fs.symlinkSync('docs/note.txt', s(N3, 'note-link'));
  for (const n of [N1, N2, N3]) for (const p of ['docs', 'docs/note.txt']) fs.utimesSync(s(n, p), 1e9, 1e9);
  l.setLatest(N3);
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('tsrsync snapshots', () => {
  it('prints a table with sizes, sharing and the latest mark', async () => {
    const r = await run('snapshots', root);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+AGE\s+FILES\s+SIZE\s+NEW\s+SHARED$/);
    const cells = (name: string) => lines.find((x) => x.startsWith(name))!.split(/\s{2,}/);
    expect(cells(N1)).toEqual([
      N1,
      'complete (no manifest)',
      expect.any(String),
      '3',
      humanSize(BIG + SMALL + 3),
      humanSize(BIG + SMALL + 3),
      '0',
    ]);
    expect(cells(N3).slice(3)).toEqual([
      '3',
      humanSize(BIG + CHANGED + 9),
      humanSize(9),
      humanSize(BIG + CHANGED),
    ]);
    expect(lines.filter((x) => x.includes(' *'))).toEqual([expect.stringMatching(new RegExp(`^${N3} \\*`))]);
  });

  it('--json prints the array', async () => {
    const r = await run('snapshots', root, '--json');
    const list = JSON.parse(r.out) as SnapshotInfo[];
    expect(list.map((s) => [s.name, s.newBytes, s.uniqueBytes])).toEqual([
      [N1, BIG + SMALL + 3, SMALL + 3],
      [N2, CHANGED, 0],
      [N3, 9, 9],
    ]);
  });

  it('du shows incremental and cumulative sizes', async () => {
    const r = await run('snapshots', 'du', root);
    expect(r.code).toBe(0);
    const row = (name: string) =>
      r.out
        .split('\n')
        .find((x) => x.startsWith(name))!
        .split(/\s+/);
    const total = BIG + SMALL + 3 + CHANGED + 9;
    expect(row(N2)[1]).toBe(humanSize(CHANGED));
    expect(row(N2)[3]).toBe(humanSize(BIG + SMALL + 3 + CHANGED));
    expect(row('total')[1]).toBe(humanSize(total));
    const j = JSON.parse((await run('snapshots', 'du', root, '--json')).out) as { totalBytes: number };
    expect(j.totalBytes).toBe(total);
  });

  it('diff lists added, removed and changed entries with a summary', async () => {
    const r = await run('snapshots', 'diff', root, N1, 'latest');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, -2)).toEqual([
      `M docs/note.txt  (size ${SMALL} -> ${CHANGED})`,
      '+ new.txt',
      '+ note-link',
      '- old.txt',
    ]);
    expect(r.out).toMatch(new RegExp(`${N1} -> ${N3}: 2 added \\(9\\), 1 removed \\(3\\), 1 changed`));
    const bad = await run('snapshots', 'diff', root, N1, '2030-01-01T000000Z');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^tsrsync snapshots: no snapshot 2030-01-01T000000Z/);
  });

  it('reports a missing ROOT and bad usage', async () => {
    const r = await run('snapshots', path.join(tmp, 'none'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tsrsync snapshots: .*no such snapshot root/);
    const u = await run('snapshots', 'diff', root, N1);
    expect(u.code).toBe(1);
    expect(u.err).toMatch(/syntax or usage error/);
  });
});

describe('tsrsync restore', () => {
  it('restores from latest or from ROOT/SNAPSHOT', async () => {
    const dest = path.join(tmp, 'dest');
    let r = await run('restore', root, 'docs/note.txt', '--to', dest);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dest, 'note.txt'))).toEqual(Buffer.alloc(CHANGED, 'm'));
    expect(r.out).toMatch(new RegExp(`restored 1 entries \\(1 files, ${humanSize(CHANGED)}\\) from ${N3}`));
    r = await run('restore', path.join(root, N1), 'docs', '--to', dest);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dest, 'docs/note.txt'))).toEqual(Buffer.alloc(SMALL, 'n'));
    r = await run('restore', root, 'note-link', '--to', dest);
    expect(r.out).toContain(`symlink ${path.join(dest, 'note-link')} -> docs/note.txt`);
  });

  it('dry run writes nothing; refusals exit 1', async () => {
    const dest = path.join(tmp, 'dest');
    const dry = await run('restore', root, 'docs', '--to', dest, '-n');
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/^mkdir +.*docs\/$/m);
    expect(dry.out).toMatch(/dry run: would restore 2 entries/);
    expect(fs.existsSync(dest)).toBe(false);
    await run('restore', root, 'docs', '--to', dest);
    const again = await run('restore', root, 'docs', '--to', dest);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^tsrsync restore: .*exists/);
    expect((await run('restore', root, 'docs', '--to', dest, '--overwrite')).code).toBe(0);
    const up = await run('restore', root, '../x', '--to', dest);
    expect(up.code).toBe(1);
    expect(up.err).toMatch(/'\.\.' is not allowed/);
    const usage = await run('restore', root, 'docs');
    expect(usage.code).toBe(1);
    expect(usage.err).toMatch(/syntax or usage error/);
  });
});

describe('tsrsync prune', () => {
  it('dry run prints every decision newest first and deletes nothing', async () => {
    const r = await run('prune', root, '--keep', 'last=1,daily=2', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, 3)).toEqual([
      `${N3}  keep    newest, last 1, daily 2026-11-22`,
      `${N2}  keep    daily 2026-11-21`,
      `${N1}  delete`,
    ]);
    expect(r.out).toMatch(/dry run: would keep 2 and delete 1 of 3 snapshots; nothing deleted/);
    expect(new Layout(root).list()).toEqual([N1, N2, N3]);
  });

  it('deletes for real, keeps shared files in the survivors', async () => {
    const r = await run('prune', root, '--keep', 'last=1', '--tz', 'Europe/Berlin', '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { pruned: string[] }).pruned.sort()).toEqual([N1, N2]);
    expect(new Layout(root).list()).toEqual([N3]);
    expect(fs.statSync(path.join(root, N3, 'big.bin')).size).toBe(BIG);
  });

  it('refuses bad usage', async () => {
    for (const args of [
      [root],
      [root, '--keep', 'dayly=2'],
      [root, '--keep', 'last=1', '--tz', 'Nowhere/Zone'],
    ]) {
      const r = await run('prune', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(/syntax or usage error/);
    }
    expect(new Layout(root).list()).toEqual([N1, N2, N3]);
  });
});
