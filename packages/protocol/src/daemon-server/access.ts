/**
 * Who may use a module: `hosts allow`/`hosts deny` (access.c:allow_access())
 * and `auth users` (authenticate.c:auth_server() access lookup).
 */
import net from 'node:net';
import type { AuthUser } from './config.js';

/** fnmatch(3) with `*`, `?` and `[...]`, whole string. */
export function wildMatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 's').test(s);
}

/** Address bytes (4 or 16), IPv4-mapped IPv6 as IPv4. */
function addrBytes(a: string): Uint8Array | undefined {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (m) a = m[1]!;
  if (net.isIPv4(a)) return Uint8Array.from(a.split('.').map(Number));
  if (!net.isIPv6(a)) return undefined;
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').filter((x) => x !== '') : []);
  const h = parse(head);
  const t = parse(tail);
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** access.c: match_address(): `addr`, `addr/bits` or `addr/netmask`. */
function matchAddress(addr: string, tok: string): boolean {
  const slash = tok.indexOf('/');
  const a = addrBytes(addr);
  const p = addrBytes(slash < 0 ? tok : tok.slice(0, slash));
  if (!a || !p || a.length !== p.length) return false;
  let mask: Uint8Array;
  if (slash < 0) mask = new Uint8Array(a.length).fill(0xff);
  else {
    const spec = tok.slice(slash + 1);
    if (/^\d+$/.test(spec)) {
      const bits = Number(spec);
      if (bits > a.length * 8) return false;
      mask = new Uint8Array(a.length);
      for (let i = 0; i < bits; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
    } else {
      const m = addrBytes(spec);
      if (!m || m.length !== a.length) return false;
      mask = m;
    }
  }
  for (let i = 0; i < a.length; i++) if ((a[i]! & mask[i]!) !== (p[i]! & mask[i]!)) return false;
  return true;
}

function matchOne(addr: string, host: string | undefined, tok: string): boolean {
  if (tok.startsWith('@')) return false; // netgroups: not supported, never match
  if (matchAddress(addr, tok)) return true;
  if (host !== undefined && host !== 'UNKNOWN' && wildMatch(tok.toLowerCase(), host.toLowerCase()))
    return true;
  // a wildcard pattern may also be written against the address text
  return /[*?[]/.test(tok) && wildMatch(tok, addr);
}

/** access.c: allow_access(). */
export function hostAllowed(
  addr: string,
  host: string | undefined,
  allow: string[],
  deny: string[],
): boolean {
  const any = (list: string[]) => list.some((t) => matchOne(addr, host, t));
  if (allow.length === 0 && deny.length === 0) return true;
  if (allow.length > 0 && any(allow)) return true;
  if (deny.length > 0 && any(deny)) return false;
  return allow.length === 0;
}

/**
 * The access an authenticated `user` gets from `auth users`: the first entry
 * matching the user name, else the first matching one of the user's groups;
 * undefined when none matches (the login is refused).
 */
export function authUserAccess(
  user: string,
  groups: string[],
  users: AuthUser[],
  readOnly: boolean,
): AuthUser['access'] | undefined {
  void readOnly;
  for (const u of users) if (!u.group && wildMatch(u.name, user)) return u.access;
  for (const u of users) if (u.group && groups.some((g) => wildMatch(u.name, g))) return u.access;
  return undefined;
}
