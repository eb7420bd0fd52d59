/**
 * Deleting snapshots: a tree is first renamed into ROOT/.tsrsync/trash (one
 * atomic step), then removed; a crash in between is finished by the next run.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Deletes everything in the trash; returns how many trees were removed. */
export function emptyTrash(trash: string): number {
  let n = 0;
  for (const f of safeReaddir(trash)) {
    removeTree(path.join(trash, f));
    n++;
  }
  return n;
}

/** rm -rf that also deletes read-only directories copied from the source (rsnapshot #298). */
export function removeTree(p: string): void {
  try {
    fs.rmSync(p, { recursive: true, force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES' && (e as NodeJS.ErrnoException).code !== 'EPERM')
      throw e;
    makeWritable(p);
    fs.rmSync(p, { recursive: true, force: true });
  }
}

function makeWritable(p: string): void {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return;
  fs.chmodSync(p, (st.mode & 0o7777) | 0o700);
  for (const f of safeReaddir(p)) makeWritable(path.join(p, f));
}

function safeReaddir(d: string): string[] {
  try {
    return fs.readdirSync(d);
  } catch {
    return [];
  }
}
