/**
 * Mapping the sender's users and groups to local ids (uidlist.c: match_uid(),
 * match_gid()): by name unless --numeric-ids or the name is unknown here.
 * Node has no getpwnam(), so /etc/passwd and /etc/group are read directly.
 */
import { readFileSync } from 'node:fs';

function parseDb(path: string): Map<string, number> {
  const m = new Map<string, number>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return m;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || f[0] === undefined || f[0].startsWith('#')) continue;
    const id = Number(f[2]);
    if (Number.isInteger(id) && !m.has(f[0])) m.set(f[0], id);
  }
  return m;
}

export interface IdMapperOptions {
  numericIds: boolean;
  amRoot: boolean;
  passwdFile?: string;
  groupFile?: string;
}

export class IdMapper {
  #users: Map<string, number> | undefined;
  #groups: Map<string, number> | undefined;
  readonly #myGroups: Set<number>;

  constructor(private readonly o: IdMapperOptions) {
    const groups = typeof process.getgroups === 'function' ? process.getgroups() : [];
    const egid = typeof process.getegid === 'function' ? process.getegid() : -1;
    this.#myGroups = new Set([...groups, egid]);
  }

  /** Local uid for the sender's (uid, name). */
  uid(remote: number, name: string | undefined): number {
    if (this.o.numericIds || name === undefined) return remote;
    this.#users ??= parseDb(this.o.passwdFile ?? '/etc/passwd');
    return this.#users.get(name) ?? remote;
  }

  /** Local gid for the sender's (gid, name). */
  gid(remote: number, name: string | undefined): number {
    if (this.o.numericIds || name === undefined) return remote;
    this.#groups ??= parseDb(this.o.groupFile ?? '/etc/group');
    return this.#groups.get(name) ?? remote;
  }

  /** A non-root receiver can only give files groups it is a member of. */
  canSetGroup(gid: number): boolean {
    return this.o.amRoot || this.#myGroups.has(gid);
  }
}
