/**
 * Users and groups from /etc/passwd and /etc/group, for a daemon's `uid`,
 * `gid` and `@group` auth rules (what getpwnam(3), getgrnam(3) and
 * getgrouplist(3) give on a machine without NSS modules; Node has none of
 * them). Numeric ids are taken as they are, as rsync's user_to_uid() does.
 */
import fs from 'node:fs';

export interface AccountDb {
  /** A user name or number -> uid. */
  uid(nameOrId: string): number | undefined;
  /** A group name or number -> gid. */
  gid(nameOrId: string): number | undefined;
  /** A user's groups by name, primary first (for `@group` in auth users). */
  groupNamesOf(user: string): string[];
  /** A uid's groups by id, primary first (getgrouplist(3), for `gid = *`). */
  groupIdsOf(uid: number): number[] | undefined;
  /** The unprivileged group: `nogroup` where it exists, else `nobody` (rsync's configure). */
  nobodyGroup(): string;
}

interface User {
  name: string;
  uid: number;
  gid: number;
}

function lines(file: string): string[][] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

const numeric = (s: string): number | undefined => (/^\d{1,10}$/.test(s) ? Number(s) : undefined);

export function readAccounts(passwd = '/etc/passwd', group = '/etc/group'): AccountDb {
  const users: User[] = [];
  for (const f of lines(passwd)) {
    const uid = numeric(f[2] ?? '');
    const gid = numeric(f[3] ?? '');
    if (f[0] && uid !== undefined && gid !== undefined) users.push({ name: f[0], uid, gid });
  }
  const groups: { name: string; gid: number; members: string[] }[] = [];
  for (const f of lines(group)) {
    const gid = numeric(f[2] ?? '');
    if (f[0] && gid !== undefined)
      groups.push({ name: f[0], gid, members: (f[3] ?? '').split(',').filter((x) => x !== '') });
  }
  const userNamed = (n: string) => users.find((u) => u.name === n);
  return {
    uid: (s) => numeric(s) ?? userNamed(s)?.uid,
    gid: (s) => numeric(s) ?? groups.find((g) => g.name === s)?.gid,
    groupNamesOf(user) {
      const u = userNamed(user);
      const out: string[] = [];
      const primary = u ? groups.find((g) => g.gid === u.gid)?.name : undefined;
      if (primary !== undefined) out.push(primary);
      for (const g of groups) if (g.members.includes(user) && !out.includes(g.name)) out.push(g.name);
      return out;
    },
    groupIdsOf(uid) {
      const u = users.find((x) => x.uid === uid);
      if (!u) return undefined;
      const out = [u.gid];
      for (const g of groups) if (g.members.includes(u.name) && !out.includes(g.gid)) out.push(g.gid);
      return out;
    },
    nobodyGroup: () => (groups.some((g) => g.name === 'nogroup') ? 'nogroup' : 'nobody'),
  };
}
