/**
 * The names a sender gives its uids and gids (uidlist.c: add_uid(),
 * add_gid()), read from /etc/passwd and /etc/group (Node has no getpwuid()).
 */
import { readFileSync } from 'node:fs';

function parseById(path: string): Map<number, string> {
  const m = new Map<number, string>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return m;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !f[0] || f[0].startsWith('#')) continue;
    const id = Number(f[2]);
    if (Number.isInteger(id) && !m.has(id)) m.set(id, f[0]);
  }
  return m;
}

export class IdNameLookup {
  #users: Map<number, string> | undefined;
  #groups: Map<number, string> | undefined;

  constructor(
    private readonly passwdFile = '/etc/passwd',
    private readonly groupFile = '/etc/group',
  ) {}

  user(uid: number): string | undefined {
    this.#users ??= parseById(this.passwdFile);
    return this.#users.get(uid);
  }

  group(gid: number): string | undefined {
    this.#groups ??= parseById(this.groupFile);
    return this.#groups.get(gid);
  }
}
