/**
 * Binary setup after the arguments (compat.c:setup_protocol(),
 * negotiate_the_strings()): protocol ints, compat flags, the negotiated
 * checksum / compression lists and the checksum seed.
 */
import { CF, CF_ALL } from '../constants.js';
import { ProtocolError, ShortRead } from '../errors.js';
import type { WireReader } from './reader.js';
import type { WireWriter } from './writer.js';

/** Compat flags: a varint (one byte for values < 0x80, identical in both forms). */
export function encodeCompatFlags(w: WireWriter, flags: number): void {
  w.varint(flags);
}

/**
 * Read the server's compat flags. `advertised` is the set of bits the client
 * allowed (from its -e letters); anything else is refused.
 */
export function decodeCompatFlags(r: WireReader, advertised: number = CF_ALL): number {
  const start = r.offset;
  const f = r.varint();
  if (f < 0 || f & ~advertised) {
    r.offset = start;
    throw new ProtocolError(`unexpected compat flags 0x${(f >>> 0).toString(16)}`);
  }
  return f;
}

export interface CompatSettings {
  incRecurse: boolean;
  symlinkTimes: boolean;
  safeFlist: boolean;
  chksumSeedFix: boolean;
  inplacePartialDir: boolean;
  varintFlistFlags: boolean;
  id0Names: boolean;
  avoidXattrOptim: boolean;
}

/** Derived settings (compat.c): safe flist is also implied for proto >= 31. */
export function compatSettings(flags: number, protocol: number): CompatSettings {
  return {
    incRecurse: (flags & CF.INC_RECURSE) !== 0,
    symlinkTimes: (flags & CF.SYMLINK_TIMES) !== 0,
    safeFlist: (flags & CF.SAFE_FLIST) !== 0 || protocol >= 31,
    chksumSeedFix: (flags & CF.CHKSUM_SEED_FIX) !== 0,
    inplacePartialDir: (flags & CF.INPLACE_PARTIAL_DIR) !== 0,
    varintFlistFlags: (flags & CF.VARINT_FLIST_FLAGS) !== 0,
    id0Names: (flags & CF.ID0_NAMES) !== 0,
    avoidXattrOptim: (flags & CF.AVOID_XATTR_OPTIM) !== 0,
  };
}

/** Bound on one negotiation list: rsync reads it into a MAX_NSTR_STRLEN (256) buffer, so len <= 255. */
export const MAX_NEGOTIATION_LIST = 255;

/** A space-separated name list as a vstring. */
export function encodeNameList(w: WireWriter, names: readonly string[]): void {
  const s = names.join(' ');
  if (s.length > MAX_NEGOTIATION_LIST) throw new RangeError('negotiation list too long');
  w.vstring(s);
}

export function decodeNameList(r: WireReader): string[] {
  const start = r.offset;
  try {
    const b = r.vstring(MAX_NEGOTIATION_LIST);
    let s = '';
    for (const c of b) {
      if (c < 0x20 || c > 0x7e) throw new ProtocolError('invalid character in negotiation list');
      s += String.fromCharCode(c);
    }
    return s.split(' ').filter((x) => x.length > 0);
  } catch (e) {
    if (e instanceof ShortRead) r.offset = start;
    throw e;
  }
}

/**
 * Pick an algorithm as compat.c:parse_negotiate_str() does: our own most
 * preferred entry that the peer also lists (each side decides for itself;
 * both agree when both advertise in rsync's table order).
 * `preferPeerOrder` reverses that, for tests / odd peers.
 */
export function chooseName(
  ours: readonly string[],
  theirs: readonly string[],
  preferPeerOrder = false,
): string | undefined {
  const [first, second] = preferPeerOrder ? [theirs, ours] : [ours, theirs];
  const set = new Set(second);
  return first.find((n) => set.has(n));
}

/** The protocol version exchange (remote-shell mode): int32 each way, result min(). */
export function encodeProtocolVersion(w: WireWriter, version: number): void {
  w.i32(version);
}
export function decodeProtocolVersion(r: WireReader, min = 27, max = 40): number {
  const start = r.offset;
  const v = r.i32();
  if (v < min || v > max) {
    r.offset = start;
    throw new ProtocolError(`protocol version ${v} not supported`);
  }
  return v;
}

/** Checksum seed: int32. */
export function encodeSeed(w: WireWriter, seed: number): void {
  w.i32(seed);
}
export function decodeSeed(r: WireReader): number {
  return r.i32();
}
