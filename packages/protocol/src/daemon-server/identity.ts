/**
 * The user and groups a module's transfers run as (clientserver.c:
 * rsync_module(), the uid/gid part): `uid` (default `nobody` for a root
 * daemon), `gid` as a list of groups whose first is the primary one, `*`
 * first meaning every group of that uid (default `nogroup` for a root
 * daemon). A name that does not resolve refuses the module, as rsync does.
 */
import type { AccountDb } from './accounts.js';
import type { ModuleConfig } from './config.js';

export interface ModuleIdentity {
  uid: number | undefined;
  /** Primary group first; empty: keep the daemon's groups. */
  gids: number[];
}

export type IdentityResult = { identity: ModuleIdentity } | { error: string };

export function moduleIdentity(m: ModuleConfig, amRoot: boolean, db: AccountDb): IdentityResult {
  const uname = m.uid !== undefined && m.uid !== '' ? m.uid : amRoot ? 'nobody' : undefined;
  let uid: number | undefined;
  if (uname !== undefined) {
    uid = db.uid(uname);
    if (uid === undefined) return { error: `invalid uid ${uname}` };
  }
  const gids: number[] = [];
  // conf_strtok(): words split on spaces and commas
  const words = (m.gid ?? '').split(/[\s,]+/).filter((w) => w !== '');
  for (const [i, w] of words.entries()) {
    if (w === '*' && i === 0) {
      const all = db.groupIdsOf(uid ?? process.getuid?.() ?? 0);
      if (all === undefined) return { error: 'getpwuid failed' };
      gids.push(...all);
      continue;
    }
    const gid = db.gid(w);
    if (gid === undefined) return { error: `invalid gid ${w}` };
    gids.push(gid);
  }
  if (words.length === 0 && amRoot) {
    const nobody = db.nobodyGroup();
    const gid = db.gid(nobody);
    if (gid === undefined) return { error: `invalid gid ${nobody}` };
    gids.push(gid);
  }
  return { identity: { uid, gids } };
}

/** Whether running as `id` means leaving this process's own uid and groups. */
export function identityDiffers(id: ModuleIdentity): boolean {
  const uid = process.geteuid?.();
  const gid = process.getegid?.();
  if (id.uid !== undefined && id.uid !== uid) return true;
  if (id.gids.length === 0) return false;
  const mine = process.getgroups?.() ?? [];
  const extra = id.gids.filter((g) => g !== gid);
  return id.gids[0] !== gid || extra.some((g) => !mine.includes(g)) || mine.some((g) => !id.gids.includes(g));
}

/** Becomes `id` for good: groups, then gid, then uid (rsync's order). Throws with rsync's words. */
export function assumeIdentity(id: ModuleIdentity): void {
  if (id.gids.length > 0) {
    try {
      process.setgroups!(id.gids);
    } catch (e) {
      throw new Error(`setgroups failed: ${(e as Error).message}`);
    }
    try {
      process.setgid!(id.gids[0]!);
    } catch (e) {
      throw new Error(`setgid ${id.gids[0]} failed: ${(e as Error).message}`);
    }
  }
  if (id.uid !== undefined) {
    try {
      process.setuid!(id.uid);
    } catch (e) {
      throw new Error(`setuid ${id.uid} failed: ${(e as Error).message}`);
    }
  }
}
