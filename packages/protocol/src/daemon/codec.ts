/**
 * Pure codecs for the rsync daemon text phase (clientserver.c / authenticate.c / compat.c).
 */
import { createHash } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { md4 } from './md4.js';

export const PEER_MIN_PROTOCOL = 20;
export const PEER_MAX_PROTOCOL = 40;
/** Oldest and newest protocol this implementation speaks. */
export const SUPPORTED_PROTOCOLS = { min: 27, max: 32 } as const;

/** Auth digests in rsync's preference order (strongest first). */
export const AUTH_DIGESTS = ['sha512', 'sha256', 'sha1', 'md5', 'md4'] as const;
export type AuthDigest = (typeof AUTH_DIGESTS)[number];
/** 'md4-old' = MD4 over a 4-byte zero seed + password + challenge (no list, proto < 30). */
export type NegotiatedAuthDigest = AuthDigest | 'md4-old';

export interface Greeting {
  protocol: number;
  /** Sub-protocol; `undefined` if the greeting had none (only legal below 30). */
  sub: number | undefined;
  /** Digest names as sent (`undefined` if no list was sent). */
  digests: string[] | undefined;
}

/** `@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n` (compat.c:output_daemon_greeting()). */
export function formatGreeting(protocol: number, digests: readonly string[] = AUTH_DIGESTS, sub = 0): string {
  return `@RSYNCD: ${protocol}.${sub}${digests.length > 0 ? ` ${digests.join(' ')}` : ''}\n`;
}

/**
 * Parses a peer greeting line (without `\n`) the way
 * clientserver.c:exchange_protocols() does on the client side.
 */
export function parseGreeting(line: string): Greeting {
  const m = /^@RSYNCD: (-?\d+)(?:\.(-?\d+))?/.exec(line);
  if (!m?.[1]) {
    throw new ProtocolError(`server sent "${line}" rather than greeting`);
  }
  const protocol = Number.parseInt(m[1], 10);
  const sub = m[2] === undefined ? undefined : Number.parseInt(m[2], 10);
  if (sub === undefined && protocol >= 30) {
    throw new ProtocolError(`the server omitted the subprotocol value: ${line}`);
  }
  // the digest list is everything after the first space past column 9
  const sp = line.indexOf(' ', 9);
  let digests: string[] | undefined;
  if (sp >= 0) {
    digests = line
      .slice(sp + 1)
      .split(/\s+/)
      .filter((s) => s.length > 0);
  } else if (protocol > 31) {
    throw new ProtocolError(`the server omitted the digest name list: ${line}`);
  }
  return { protocol, sub, digests };
}

/**
 * Version choice from our max (`ours`, sub 0) and the peer's greeting
 * (clientserver.c:exchange_protocols()). Throws outside rsync's 20..40 window
 * or below what we implement.
 */
export function chooseProtocol(ours: number, peer: Greeting): number {
  let v = ours;
  const theirSub = peer.sub ?? 0;
  if (v > peer.protocol) {
    v = peer.protocol;
    if (theirSub !== 0) v--;
  } else if (v === peer.protocol && theirSub !== 0) {
    v--;
  }
  if (peer.protocol < PEER_MIN_PROTOCOL || peer.protocol > PEER_MAX_PROTOCOL) {
    throw new ProtocolError(
      `protocol version mismatch -- is your shell clean? (server protocol ${peer.protocol})`,
    );
  }
  if (v < SUPPORTED_PROTOCOLS.min) {
    throw new ProtocolError(
      `server protocol ${peer.protocol} is older than the oldest supported (${SUPPORTED_PROTOCOLS.min})`,
    );
  }
  return v;
}

/**
 * Picks the auth digest as compat.c:negotiate_daemon_auth() does on the client:
 * our most preferred digest that the peer also lists. Without a list the
 * assumed list is `md5` (proto >= 30) or `md4` (< 30), and md4 then means md4-old.
 */
export function chooseAuthDigest(
  peerDigests: readonly string[] | undefined,
  protocol: number,
): NegotiatedAuthDigest {
  if (peerDigests === undefined) return protocol >= 30 ? 'md5' : 'md4-old';
  const theirs = new Set(peerDigests);
  for (const d of AUTH_DIGESTS) if (theirs.has(d)) return d;
  throw new ProtocolError(
    `Failed to negotiate a daemon-auth checksum (server offered: ${peerDigests.join(' ')})`,
  );
}

/** Digest length in bytes for a negotiated auth digest. */
export function authDigestLength(d: NegotiatedAuthDigest): number {
  switch (d) {
    case 'sha512':
      return 64;
    case 'sha256':
      return 32;
    case 'sha1':
      return 20;
    default:
      return 16;
  }
}

/** Standard base64 with the `=` padding removed (rsync's base64_encode(..., 0)). */
export function base64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

const enc = (s: string | Uint8Array) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : s);

/**
 * Auth response: base64_nopad(H(password || challenge)), as authenticate.c:generate_hash().
 * md4-old prefixes a 4-byte little-endian zero seed.
 */
export function authResponse(
  digest: NegotiatedAuthDigest,
  password: string | Uint8Array,
  challenge: string,
): string {
  const pw = enc(password);
  const ch = enc(challenge);
  let out: Uint8Array;
  switch (digest) {
    case 'md4':
      out = md4(Buffer.concat([pw, ch]));
      break;
    case 'md4-old':
      out = md4(Buffer.concat([new Uint8Array(4), pw, ch]));
      break;
    default:
      out = createHash(digest).update(pw).update(ch).digest();
  }
  return base64NoPad(out);
}

/** Expected challenge length in characters for a digest (sanity check only). */
export function challengeLength(d: NegotiatedAuthDigest): number {
  return Math.ceil((authDigestLength(d) * 8) / 6);
}

export interface ModuleEntry {
  name: string;
  comment: string;
}

/** One listing line `printf("%-15s\t%s\n")` (clientserver.c:send_listing()). */
export function formatModuleLine(m: ModuleEntry): string {
  return `${m.name.padEnd(15, ' ')}\t${m.comment}\n`;
}

/** Best-effort parse of a listing line; `undefined` if it has no tab (MOTD text). */
export function parseModuleLine(line: string): ModuleEntry | undefined {
  const tab = line.indexOf('\t');
  if (tab < 0) return undefined;
  return { name: line.slice(0, tab).replace(/ +$/, ''), comment: line.slice(tab + 1) };
}
