/**
 * `tsrsync prune`: retention on its own, outside a snapshot run. Same lock,
 * same recovery and same deletion path (journal, trash) as the retention
 * pass at the end of `snapshot`.
 */
import fs from 'node:fs';
import { openRoot } from './browse.js';
import { acquireLock } from './lock.js';
import { recover } from './recover.js';
import { applyRetention, type KeepPolicy, type RetentionDecision } from './retention.js';
import { pruneLocked, type NoteLevel } from './snapshot.js';

export interface PruneRunOptions {
  keep: KeepPolicy;
  /** IANA zone for calendar buckets (default UTC). */
  timeZone?: string | undefined;
  /** Decide, delete nothing. */
  dryRun?: boolean | undefined;
  /** Seconds to wait for the lock (0 = fail at once). */
  waitSec?: number | undefined;
  note?: ((level: NoteLevel, text: string) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Fault injection for tests. */
  step?: ((name: string) => void) | undefined;
}

export interface PruneResult {
  /** One per snapshot, newest first. */
  decisions: RetentionDecision[];
  /** Snapshots deleted (or, in a dry run, that would be). */
  pruned: string[];
}

export async function prune(root: string, o: PruneRunOptions): Promise<PruneResult> {
  const l = openRoot(root);
  // a bad policy or zone is refused before anything is touched
  applyRetention([], o.keep, { timeZone: o.timeZone ?? 'UTC' });
  const note = o.note ?? (() => undefined);
  if (!o.dryRun) l.ensure();
  const lock = await acquireLock(l.root, `${l.meta}/lock.json`, {
    waitSec: o.waitSec,
    onWait: (who) => note('info', `waiting for the lock on ${l.root} (${who})`),
    signal: o.signal,
  });
  try {
    if (fs.existsSync(l.meta)) {
      const rec = recover(l);
      if (rec.journalReplayed) note('warning', 'finished a rotation interrupted by a crash');
      if (rec.latestRepaired) note('warning', `repaired ${l.root}/latest`);
    }
    return pruneLocked(l, o.keep, { timeZone: o.timeZone, dryRun: o.dryRun, step: o.step });
  } finally {
    await lock.release();
  }
}
