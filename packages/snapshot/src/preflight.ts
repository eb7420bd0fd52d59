/**
 * Before a snapshot: do hard links work in ROOT? A FAT/exFAT disk, some FUSE
 * and network mounts, or a snapshot on another mount would make every file a
 * full copy without any error from rsync (snapshot-tools.md §3 item 8), so we
 * test it and say so loudly.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface LinkCheck {
  ok: boolean;
  reason?: string;
}

export function checkHardLinks(dir: string): LinkCheck {
  const a = path.join(dir, `linktest.${process.pid}`);
  const b = `${a}.2`;
  try {
    fs.writeFileSync(a, 'x');
    fs.linkSync(a, b);
    const n = fs.lstatSync(a).nlink;
    if (n !== 2) return { ok: false, reason: `link count stayed ${n} after linking` };
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  } finally {
    fs.rmSync(a, { force: true });
    fs.rmSync(b, { force: true });
  }
}

/** Link bases on another device than the staging tree (links to them would fail with EXDEV). */
export function otherDevices(staging: string, bases: readonly string[]): string[] {
  const dev = fs.statSync(staging).dev;
  return bases.filter((b) => {
    try {
      return fs.statSync(b).dev !== dev;
    } catch {
      return false;
    }
  });
}
