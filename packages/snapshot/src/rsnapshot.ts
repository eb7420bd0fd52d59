/**
 * rsnapshot's layout (`ROOT/daily.0 … daily.6`, `weekly.*`, `monthly.*`) with
 * rsnapshot 1.5's rotation (snapshot-tools.md §2.2–2.3), done safely:
 *  - the lowest level transfers into the staging tree first (linked against
 *    every existing slot) and rotates only when that succeeded;
 *  - a higher level transfers nothing: it renames the oldest slot of the
 *    level below into its `.0`, and refuses when that slot does not exist;
 *  - every rotation runs from a journal, so a crash never leaves a hole.
 * Manifests are kept by snapshot time in ROOT/.tsrsync/manifests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SnapshotError } from './errors.js';
import { runJournal } from './journal.js';
import { Layout } from './layout.js';
import { acquireLock } from './lock.js';
import { manifestFrom, writeManifest } from './manifest.js';
import { recover } from './recover.js';
import { RotateRefused, planHigher, planLowest, slotName } from './rsnapshot-rotate.js';
import { MAX_LINK_DESTS, clearStagingInfo, stage } from './stage.js';
import type { SnapshotOptions, SnapshotResult } from './snapshot.js';
import { snapshotName } from './time.js';

export interface Level {
  name: string;
  count: number;
}

export interface RsnapshotOptions extends Omit<SnapshotOptions, 'keep' | 'timeZone'> {
  /** All levels, most frequent first (rsnapshot's `retain` lines). */
  levels: readonly Level[];
  /** The level to run. */
  level: string;
}

const STAGING_REL = path.join('.tsrsync', 'staging');

/** `daily=7,weekly=4,monthly=3` in cascade order (level names are free, as in rsnapshot). */
export function parseLevels(spec: string): Level[] {
  const out: Level[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\w+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) throw new SnapshotError(`bad level "${part}" (expected NAME=COUNT, e.g. daily=7)`);
    const count = Number(m[2]);
    if (count < 1) throw new SnapshotError(`level ${m[1]} must keep at least 1 snapshot`);
    if (out.some((l) => l.name === m[1])) throw new SnapshotError(`level ${m[1]} given twice`);
    out.push({ name: m[1]!, count });
  }
  if (out.length > 1 && out[0]!.count === 1)
    throw new SnapshotError(
      `the first level (${out[0]!.name}) must keep more than 1 snapshot when others follow`,
    );
  return out;
}

/** Existing slots in link-dest order: levels in order, then .0, .1, … (rsnapshot's search order). */
export function slotsInOrder(root: string, levels: readonly Level[]): string[] {
  const out: string[] = [];
  for (const l of levels)
    for (let i = 0; i < l.count; i++) {
      const n = slotName(l.name, i);
      if (fs.existsSync(path.join(root, n))) out.push(n);
    }
  return out;
}

export async function rsnapshotRun(o: RsnapshotOptions): Promise<SnapshotResult> {
  const l = new Layout(o.root);
  const note = o.note ?? (() => undefined);
  const k = o.levels.findIndex((x) => x.name === o.level);
  if (k < 0)
    throw new SnapshotError(
      `unknown level ${o.level} (levels: ${o.levels.map((x) => x.name).join(', ') || 'none'})`,
    );
  l.ensure();
  const lock = await acquireLock(l.root, `${l.meta}/lock.json`, {
    waitSec: o.waitSec,
    onWait: (who) => note('info', `waiting for the lock on ${l.root} (${who})`),
    signal: o.signal,
  });
  try {
    if (recover(l, { manifests: false, latest: false }).journalReplayed)
      note('warning', 'finished a rotation interrupted by a crash');
    const existing = () => new Set(fs.readdirSync(l.root));
    const started = o.now ?? new Date();
    const name = snapshotName(started);
    if (k > 0) {
      let ops;
      try {
        ops = planHigher(
          existing(),
          o.levels.map((x) => ({ ...x, line: 0 })),
          o.level,
        );
      } catch (e) {
        if (e instanceof RotateRefused) throw new SnapshotError(e.message);
        throw e;
      }
      runJournal(l.journal, l.root, l.trash, ops, (i) => o.step?.(`rotate:${i}`));
      return { exitCode: 0, committed: true, name: slotName(o.level, 0), resumed: false, pruned: [] };
    }
    const bases = slotsInOrder(l.root, o.levels).slice(0, MAX_LINK_DESTS);
    const staged = await stage(
      l,
      o,
      bases.map((b) => l.snapshot(b)),
      started,
    );
    const res = staged.res;
    const result: SnapshotResult = {
      exitCode: res.exitCode,
      committed: false,
      name: slotName(o.level, 0),
      resumed: staged.resumed,
      transfer: res,
      pruned: [],
    };
    if (!staged.accept) return result;
    o.step?.('commit:manifest');
    const manifest = manifestFrom(
      {
        name,
        source: o.source.description,
        startedAt: staged.startedAt,
        resumed: staged.resumed,
        linkDests: bases,
        tool: o.tool ?? 'tsrsync',
      },
      res,
      new Date(),
    );
    writeManifest(l.manifest(name), manifest);
    // the level dir's mtime is the snapshot's completion time, as rsnapshot's `touch`
    const t = new Date();
    fs.utimesSync(l.staging, t, t);
    const ex = existing();
    ex.add(STAGING_REL);
    const level = o.levels[0]!;
    const ops = planLowest(ex, { ...level, line: 0 }, STAGING_REL);
    o.step?.('commit:rotate');
    runJournal(l.journal, l.root, l.trash, ops, (i) => o.step?.(`rotate:${i}`));
    clearStagingInfo(l);
    result.committed = true;
    result.manifest = manifest;
    result.pruned = ops.filter((x) => x.op === 'delete').map((x) => (x as { name: string }).name);
    return result;
  } finally {
    await lock.release();
  }
}
