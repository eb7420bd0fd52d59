/**
 * A journal of renames and deletions (an rsnapshot rotation, a retention
 * pass): the whole plan is written first, then carried out step by step; a
 * crash in between is finished by replaying it, so a rotation never leaves a
 * hole (snapshot-tools.md §4.A.3). The journal records how many steps are
 * done; the one step that may have happened without being recorded is
 * idempotent on its own (a rename whose source is gone was done; a deletion
 * moves the tree into the trash in one rename).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './layout.js';
import { emptyTrash } from './trash.js';

export type JournalOp = { op: 'delete'; name: string } | { op: 'rename'; from: string; to: string };

interface JournalFile {
  format: 1;
  trash: string;
  ops: JournalOp[];
  /** Steps carried out. */
  done: number;
}

/** Writes the plan, carries it out, removes the journal. `step` is a test hook called before each op. */
export function runJournal(
  journal: string,
  root: string,
  trash: string,
  ops: readonly JournalOp[],
  step?: (i: number) => void,
): void {
  if (ops.length === 0) return;
  const j: JournalFile = { format: 1, trash, ops: [...ops], done: 0 };
  writeFileAtomic(journal, JSON.stringify(j));
  finish(journal, root, j, step);
}

function finish(journal: string, root: string, j: JournalFile, step?: (i: number) => void): void {
  for (let i = j.done; i < j.ops.length; i++) {
    step?.(i);
    apply(root, j.trash, j.ops[i]!);
    j.done = i + 1;
    if (j.done < j.ops.length) writeFileAtomic(journal, JSON.stringify(j));
  }
  fs.rmSync(journal, { force: true });
  emptyTrash(j.trash);
}

/** Finishes an interrupted journal; returns whether there was one. */
export function replayJournal(journal: string, root: string): boolean {
  let j: JournalFile;
  try {
    j = JSON.parse(fs.readFileSync(journal, 'utf8')) as JournalFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    // a torn write cannot happen (atomic rename), so this is damage: keep it for a human
    throw new Error(`cannot read the rotation journal ${journal}: ${(e as Error).message}`);
  }
  finish(journal, root, j);
  return true;
}

function apply(root: string, trash: string, op: JournalOp): void {
  if (op.op === 'rename') {
    const from = path.join(root, op.from);
    const to = path.join(root, op.to);
    if (!fs.existsSync(from)) return; // done before the crash
    if (fs.existsSync(to)) throw new Error(`rotation: ${op.to} exists, cannot rename ${op.from} onto it`);
    fs.renameSync(from, to);
    return;
  }
  const p = path.join(root, op.name);
  if (!fs.existsSync(p)) return;
  const t = path.join(trash, `${op.name.replace(/\//g, '_')}.${Date.now()}`);
  fs.mkdirSync(trash, { recursive: true });
  fs.renameSync(p, t);
}
