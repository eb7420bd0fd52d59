/**
 * Who may use a module: `hosts allow`/`hosts deny` (access.c:allow_access())
 * and `auth users` (authenticate.c:auth_server()'s rule lookup).
 *
 * tsrsync does no DNS lookups: an unknown host name is rsync's
 * "UNDETERMINED" (its `reverse lookup = no`), and a plain host name in a
 * list is never resolved to compare addresses (its `forward lookup = no`).
 */
import net from 'node:net';
import { wildmatch } from '../filter/wildmatch.js';
import type { AuthUser } from './config.js';

/** clientserver.c: the host name used when there was no reverse lookup. */
export const UNDETERMINED = 'UNDETERMINED';

/** rsync's wildmatch() on whole strings (`*`, `?`, `[...]`, `\` escapes); `foldCase` as iwildmatch(). */
export function wildMatch(pattern: string, s: string, foldCase = false): boolean {
  return wildmatch(Buffer.from(pattern, 'utf8'), Buffer.from(s, 'utf8'), foldCase);
}

/** An address as bytes (4 or 16) and its IPv6 scope; IPv4-mapped IPv6 comes back as IPv4. */
export function addrBytes(text: string): { bytes: Uint8Array; scope: string } | undefined {
  const pct = text.indexOf('%');
  const scope = pct < 0 ? '' : text.slice(pct + 1);
  const a = pct < 0 ? text : text.slice(0, pct);
  if (net.isIPv4(a)) return { bytes: Uint8Array.from(a.split('.').map(Number)), scope: '' };
  if (!net.isIPv6(a)) return undefined;
  let s = a;
  // a dotted IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) becomes two hex groups
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head = '', tail] = s.split('::') as [string, string | undefined];
  const groups = (x: string) => (x === '' ? [] : x.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  const mapped = out.subarray(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff;
  return mapped ? { bytes: out.slice(12), scope: '' } : { bytes: out, scope };
}

/** access.c:match_address(): `addr`, `addr/bits` or `addr/netmask`; anything else matches nothing. */
export function matchAddress(addr: string, tok: string): boolean {
  const slash = tok.indexOf('/');
  const a = addrBytes(addr);
  const p = addrBytes(slash < 0 ? tok : tok.slice(0, slash));
  if (!a || !p || a.bytes.length !== p.bytes.length) return false;
  // a scoped pattern matches only that scope
  if (p.scope !== '' && p.scope !== a.scope) return false;
  const len = a.bytes.length;
  let mask: Uint8Array = new Uint8Array(len).fill(0xff);
  if (slash >= 0) {
    const spec = tok.slice(slash + 1);
    const m = addrBytes(spec);
    if (m && m.bytes.length === len) mask = m.bytes;
    else if (/^\d+$/.test(spec) && Number(spec) <= len * 8) {
      const bits = Number(spec);
      mask = new Uint8Array(len);
      for (let i = 0; i < bits; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
    } else return false; // a malformed mask
  }
  for (let i = 0; i < len; i++) if ((a.bytes[i]! ^ p.bytes[i]!) & mask[i]!) return false;
  return true;
}

/** access.c:access_match(): tokens split on blanks and commas, lowercased; a host or an address match. */
function listMatches(list: string[], addr: string, host: string): boolean {
  for (const entry of list)
    for (const tok of entry.toLowerCase().split(/[\s,]+/)) {
      if (tok === '') continue;
      // access.c:match_hostname(): `@netgroup` needs innetgr(), which tsrsync has not: no match
      if (tok.startsWith('@')) continue;
      if (wildMatch(tok, host, true) || matchAddress(addr, tok)) return true;
    }
  return false;
}

/**
 * access.c:allow_access(): a match in `hosts allow` lets the client in; with
 * only an allow list, anyone else is refused; otherwise a match in
 * `hosts deny` refuses, and a host in neither list is let in.
 */
export function hostAllowed(
  addr: string,
  host: string | undefined,
  allow: string[],
  deny: string[],
): boolean {
  const name = host === undefined || host === '' ? UNDETERMINED : host;
  const hasAllow = allow.some((x) => x.trim() !== '');
  const hasDeny = deny.some((x) => x.trim() !== '');
  if (hasAllow) {
    if (listMatches(allow, addr, name)) return true;
    if (!hasDeny) return false;
  }
  return !(hasDeny && listMatches(deny, addr, name));
}

/**
 * The access an authenticating `user` gets from `auth users`
 * (authenticate.c:auth_server()): the rules in order, a user rule matching
 * the name or an `@group` rule matching one of `groups`; the first match
 * counts. Undefined when none does (the login is refused). `readOnly` (the
 * module's) is what a 'default' rule leaves in force; the caller applies it.
 */
export function authUserAccess(
  user: string,
  groups: string[],
  users: AuthUser[],
  readOnly: boolean,
): AuthUser['access'] | undefined {
  return authUserMatch(user, groups, users, readOnly)?.access;
}

/** The first `auth users` entry matching, and for a group entry the user's group it matched. */
export function authUserMatch(
  user: string,
  groups: string[],
  users: AuthUser[],
  _readOnly: boolean,
): { access: AuthUser['access']; group: string | undefined } | undefined {
  for (const u of users) {
    const pat = u.group && u.name.startsWith('@') ? u.name.slice(1) : u.name;
    if (!u.group) {
      if (wildMatch(pat, user)) return { access: u.access, group: undefined };
      continue;
    }
    const g = groups.find((x) => wildMatch(pat, x));
    if (g !== undefined) return { access: u.access, group: g };
  }
  return undefined;
}
