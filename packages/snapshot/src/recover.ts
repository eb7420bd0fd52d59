/**
 * Start-up of every run, under the lock: finish what an interrupted run left
 * (snapshot-tools.md §4.A). Never touches a complete snapshot's content.
 *
 *  - a journal of renames (rsnapshot rotation) is replayed to its end;
 *  - snapshots moved to the trash are deleted;
 *  - stray temp files are removed;
 *  - manifests of snapshots that never got committed are removed;
 *  - `latest` is pointed at the newest complete snapshot.
 * The staging tree is kept: the next transfer resumes into it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { replayJournal } from './journal.js';
import { emptyTrash } from './trash.js';
import type { Layout } from './layout.js';

export interface RecoverReport {
  journalReplayed: boolean;
  trashEmptied: number;
  latestRepaired: boolean;
  staleManifests: number;
}

export function recover(
  l: Layout,
  o: { manifests: boolean; latest: boolean } = { manifests: true, latest: true },
): RecoverReport {
  const r: RecoverReport = {
    journalReplayed: false,
    trashEmptied: 0,
    latestRepaired: false,
    staleManifests: 0,
  };
  r.journalReplayed = replayJournal(l.journal, l.root);
  r.trashEmptied = emptyTrash(l.trash);
  for (const f of safeReaddir(l.meta))
    if (f.endsWith('.tmp')) fs.rmSync(path.join(l.meta, f), { force: true });
  if (o.manifests) {
    const names = new Set(l.list());
    for (const f of safeReaddir(l.manifests)) {
      const name = f.replace(/\.json$/, '');
      if (f.endsWith('.tmp') || (f.endsWith('.json') && !names.has(name))) {
        fs.rmSync(path.join(l.manifests, f), { force: true });
        r.staleManifests++;
      }
    }
  }
  if (o.latest) {
    const newest = l.list().at(-1);
    if (l.latest() !== newest) {
      l.setLatest(newest);
      r.latestRepaired = true;
    }
  }
  return r;
}

function safeReaddir(d: string): string[] {
  try {
    return fs.readdirSync(d);
  } catch {
    return [];
  }
}
