/**
 * Path-name checks for file-list entries (flist.c:recv_file_entry() with
 * util1.c:clean_fname(CFN_REFUSE_DOT_DOT_DIRS)).
 */
import { ProtocolError } from '../errors.js';

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * Normalise a wire name as clean_fname() does: collapse repeated '/', drop
 * "." components (a lone "." stays), drop a trailing '/'. Returns null if a
 * ".." component is present.
 */
/** True when clean_fname() would leave `name` as it is (the common case, checked without allocating). */
function alreadyClean(name: Uint8Array): boolean {
  const n = name.length;
  if (n === 0 || name[0] === SLASH || name[n - 1] === SLASH) return false;
  let compStart = 0;
  for (let i = 0; i <= n; i++) {
    if (i === n || name[i] === SLASH) {
      const len = i - compStart;
      if (len === 0) return false; // "//"
      if (name[compStart] === DOT && (len === 1 || (len === 2 && name[compStart + 1] === DOT)))
        return n === 1 && len === 1;
      compStart = i + 1;
    }
  }
  return true;
}

export function cleanName(name: Uint8Array): Uint8Array | null {
  if (alreadyClean(name)) return name;
  const out: number[] = [];
  const n = name.length;
  let i = 0;
  if (n > 0 && name[0] === SLASH) {
    out.push(SLASH);
    while (i < n && name[i] === SLASH) i++;
  }
  while (i < n) {
    let j = i;
    while (j < n && name[j] !== SLASH) j++;
    const len = j - i;
    if (len === 2 && name[i] === DOT && name[i + 1] === DOT) return null;
    if (!(len === 1 && name[i] === DOT)) {
      if (out.length > 0 && out[out.length - 1] !== SLASH) out.push(SLASH);
      for (let k = i; k < j; k++) out.push(name[k] as number);
    }
    while (j < n && name[j] === SLASH) j++;
    i = j;
  }
  if (out.length === 0 || (out.length === 1 && out[0] === SLASH && n > 0 && name[n - 1] === DOT)) {
    // "." / "./" / "/." stays as "." (or "/.")
    if (n === 0) return new Uint8Array(0);
    return out.length === 1 ? Uint8Array.of(SLASH, DOT) : Uint8Array.of(DOT);
  }
  return Uint8Array.from(out);
}

export interface NameCheckOptions {
  /** -R: a leading '/' is allowed (and stripped from `name`). */
  relativePaths?: boolean;
}

/** Validate and clean a received name; returns the cleaned bytes. Throws ProtocolError. */
export function checkReceivedName(raw: Uint8Array, opts: NameCheckOptions = {}): Uint8Array {
  if (raw.length === 0) throw new ProtocolError('empty file name in file list');
  if (raw.includes(0)) throw new ProtocolError('file name contains NUL');
  const cleaned = cleanName(raw);
  if (cleaned === null) throw new ProtocolError(`unsafe pathname from sender (..): ${latin(raw)}`);
  if (cleaned[0] === SLASH) {
    if (!opts.relativePaths) throw new ProtocolError(`unsafe pathname from sender (absolute): ${latin(raw)}`);
    let k = 0;
    while (k < cleaned.length && cleaned[k] === SLASH) k++;
    const stripped = cleaned.subarray(k);
    return stripped.length === 0 ? Uint8Array.of(DOT) : stripped;
  }
  return cleaned;
}

/** Whether cleaned `name` is directly in `dir` ("" for the top); without building the name's directory part. */
export function isDirectChild(name: Uint8Array, dir: Uint8Array): boolean {
  const n = dir.length;
  if (n === 0) return name.indexOf(SLASH) < 0;
  if (name.length <= n + 1 || name[n] !== SLASH || name.indexOf(SLASH, n + 1) >= 0) return false;
  for (let i = 0; i < n; i++) if (name[i] !== dir[i]) return false;
  return true;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
export function decodeUtf8(b: Uint8Array): string {
  return utf8.decode(b);
}
const enc = new TextEncoder();
export function encodeUtf8(s: string): Uint8Array {
  return enc.encode(s);
}

function latin(b: Uint8Array): string {
  return JSON.stringify(decodeUtf8(b.subarray(0, 200)));
}
