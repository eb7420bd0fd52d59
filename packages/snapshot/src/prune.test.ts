import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SnapshotError } from './errors.js';
import { Layout } from './layout.js';
import { acquireLock } from './lock.js';
import { prune } from './prune.js';
import { RetentionError } from './retention.js';
import { snapshotName } from './time.js';

const DAY = 86_400_000;
// two a day for five days: 10 snapshots, oldest first
const TIMES = Array.from(
  { length: 10 },
  (_, i) => new Date(Date.UTC(2026, 10, 18) + Math.floor(i / 2) * DAY + (i % 2) * 6 * 3_600_000),
);
const NAMES = TIMES.map(snapshotName);

let root: string;
let l: Layout;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrsync-prune-'));
  l = new Layout(root);
  l.ensure();
  for (const n of NAMES) {
    fs.mkdirSync(l.snapshot(n));
    fs.writeFileSync(path.join(l.snapshot(n), 'f'), n);
    fs.writeFileSync(l.manifest(n), '{}');
  }
  l.setLatest(NAMES.at(-1));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('prune', () => {
  it('dry run decides but deletes nothing', async () => {
    const r = await prune(root, { keep: { last: 3 }, dryRun: true });
    expect(r.decisions.map((d) => d.id)).toEqual([...NAMES].reverse());
    expect(r.decisions.filter((d) => d.keep).map((d) => d.id)).toEqual(NAMES.slice(-3).reverse());
    expect(r.pruned.sort()).toEqual(NAMES.slice(0, -3));
    expect(l.list()).toEqual(NAMES);
    for (const n of NAMES) expect(fs.existsSync(l.manifest(n))).toBe(true);
  });

  it('deletes what the policy does not keep, with its manifest', async () => {
    const r = await prune(root, { keep: { daily: 3 } });
    // the newest of each of the last three days
    const kept = [NAMES[9]!, NAMES[7]!, NAMES[5]!];
    expect(r.decisions.filter((d) => d.keep).map((d) => d.id)).toEqual(kept);
    expect(r.decisions[0]!.reasons).toEqual(['newest', `daily ${NAMES[9]!.slice(0, 10)}`]);
    expect(l.list()).toEqual([...kept].reverse());
    expect(r.pruned.sort()).toEqual(NAMES.filter((n) => !kept.includes(n)));
    for (const n of NAMES) expect(fs.existsSync(l.manifest(n))).toBe(kept.includes(n));
    expect(l.latest()).toBe(NAMES[9]);
    expect(fs.readdirSync(l.trash)).toEqual([]);
  });

  it('recovers first: empties the trash and repairs latest', async () => {
    fs.mkdirSync(path.join(l.trash, 'old.123'));
    fs.rmSync(path.join(root, 'latest'));
    const notes: string[] = [];
    await prune(root, { keep: { last: 100 }, note: (_l, t) => notes.push(t) });
    expect(fs.readdirSync(l.trash)).toEqual([]);
    expect(l.latest()).toBe(NAMES.at(-1));
    expect(notes.join('\n')).toMatch(/repaired/);
    expect(l.list()).toEqual(NAMES);
  });

  it('refuses while another run holds the lock, and releases its own', async () => {
    const lock = await acquireLock(l.root, `${l.meta}/lock.json`);
    try {
      await expect(prune(root, { keep: { last: 1 } })).rejects.toThrow(/locked/);
    } finally {
      await lock.release();
    }
    expect(l.list()).toEqual(NAMES);
    await prune(root, { keep: { last: 1 } });
    await prune(root, { keep: { last: 1 } }); // the lock was released
    expect(l.list()).toEqual([NAMES.at(-1)]);
  });

  it('refuses a bad zone before touching anything, and a missing ROOT', async () => {
    fs.mkdirSync(path.join(l.trash, 'old.1'));
    await expect(prune(root, { keep: { daily: 1 }, timeZone: 'Mars/Olympus' })).rejects.toThrow(
      RetentionError,
    );
    expect(fs.readdirSync(l.trash)).toEqual(['old.1']);
    await expect(prune(path.join(root, 'nope'), { keep: { last: 1 } })).rejects.toThrow(SnapshotError);
  });
});
