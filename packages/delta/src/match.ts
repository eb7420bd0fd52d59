/**
 * The sender's block search. Reproduces rsync 3.5.0 match.c:hash_search() and
 * match.c:matched() / token.c:simple_send_token() token boundaries exactly:
 *  - candidates with equal sum1 are tried from the highest block index down
 *    (match.c:build_hash_table() pushes blocks at the head of each chain);
 *  - at most MAX_CHAIN_LEN (1024) sum1-equal candidates per offset;
 *  - a candidate must have the window's length (short last block only at the tail);
 *  - want_i preference (previous match + 1) when sum1, length and strong sum agree;
 *  - literals are cut into CHUNK_SIZE (32768) pieces from the last match;
 *  - the early literal flush (pending >= blength + 32768 and more than 32768
 *    bytes before the scan end) sends data up to offset - blength.
 * The lookup structure differs from rsync's (a 2^16..2^23-bit bitset in front of an
 * open-addressing table keyed by sum1) but yields the same candidate order.
 * In-place (updating_basis_file) rules are not implemented.
 */
import { blockLengthAt } from './block-size.js';
import { DeltaError } from './errors.js';
import { checksum1Fast, int32View, int8View } from './rolling-checksum.js';
import type { Signature } from './signature.js';
import type { FileHasher, StrongChecksum } from './strong-checksum.js';

export type DeltaToken = { type: 'literal'; data: Uint8Array } | { type: 'block'; index: number };

export interface MatchOptions {
  checksum: StrongChecksum;
  /**
   * Literal data may be views into the caller's input chunks, valid only
   * until the generator is resumed (saves two copies per byte when the
   * consumer writes them out at once). Default: fresh copies.
   */
  transient?: boolean;
  /** With `transient`: a CHUNK_SIZE buffer of the caller's for unaligned literal runs (saves an allocation per file). */
  scratch?: Uint8Array;
}

export const CHUNK_SIZE = 32768;
export const MAX_CHAIN_LEN = 1024;
const GOLDEN = 0x9e3779b1 | 0;

/** Lookup tables built once per signature. */
interface Table {
  bits: Int32Array;
  /** 32 - log2(bitset size in bits) */
  bitShift: number;
  mask: number;
  shift: number;
  /** slot*2: sum1 key, slot*2+1: highest block index with that sum1 (-1 = empty) */
  slots: Int32Array;
  next: Int32Array;
  sum1: Int32Array;
}

function buildTable(sig: Signature): Table {
  const count = sig.count;
  const sum1 = new Int32Array(sig.sum1.buffer, sig.sum1.byteOffset, count);
  let size = 1024;
  while (size < count * 2) size *= 2;
  const mask = size - 1;
  const shift = 32 - Math.log2(size);
  const slots = new Int32Array(size * 2);
  for (let j = 1; j < slots.length; j += 2) slots[j] = -1;
  const next = new Int32Array(count);
  // Prefilter bitset: ~64 bits per block (hit rate ~1.5%), 8 KiB .. 1 MiB.
  let bitsLog2 = 16;
  while (bitsLog2 < 23 && 2 ** bitsLog2 < count * 64) bitsLog2++;
  const bitShift = 32 - bitsLog2;
  const bits = new Int32Array(1 << (bitsLog2 - 5));
  for (let i = 0; i < count; i++) {
    const s = sum1[i]!;
    const h = Math.imul(s, GOLDEN);
    const b = h >>> bitShift;
    bits[b >>> 5]! |= 1 << (b & 31);
    let slot = h >>> shift;
    for (;;) {
      const hd = slots[2 * slot + 1]!;
      if (hd < 0) {
        slots[2 * slot] = s;
        slots[2 * slot + 1] = i;
        next[i] = -1;
        break;
      }
      if (slots[2 * slot] === s) {
        // insert at the head: chains run from the highest index down
        next[i] = hd;
        slots[2 * slot + 1] = i;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return { bits, bitShift, mask, shift, slots, next, sum1 };
}

/** Mutable matcher state (kept between scan() calls when streaming). */
class MatchState {
  offset = 0;
  lastMatch = 0;
  wantI = 0;
  k = 0;
  s1 = 0;
  s2 = 0;
  needSum = true;
  readonly tokens: DeltaToken[] = [];
  constructor(
    readonly sig: Signature,
    readonly table: Table,
    readonly cs: StrongChecksum,
  ) {}
}

function validateSig(sig: Signature, cs: StrongChecksum): void {
  if (sig.count < 0 || (sig.count > 0 && sig.blockLength < 1) || sig.sum1.length < sig.count) {
    throw new DeltaError('BAD_SIGNATURE', 'invalid signature');
  }
  if (sig.sum2.length < sig.count * sig.s2Length || sig.s2Length > cs.digestLength) {
    throw new DeltaError('BAD_SIGNATURE', 'signature strong sums too short');
  }
}

/** Literal [from, to) (absolute offsets) as CHUNK_SIZE pieces, copied out of `buf`. */
function pushLiteral(tokens: DeltaToken[], buf: Uint8Array, base: number, from: number, to: number): void {
  for (let p = from; p < to; p += CHUNK_SIZE) {
    const q = Math.min(p + CHUNK_SIZE, to);
    tokens.push({ type: 'literal', data: buf.slice(p - base, q - base) });
  }
}

/**
 * Runs the search over `buf` (absolute offsets [base, availEnd)). When `final`
 * is false the stream length is unknown: scanning stops early enough that every
 * decision is the one the full file would give. `fileLength` is only used when final.
 */
function scan(
  st: MatchState,
  buf: Uint8Array,
  sv: Int8Array,
  words: Int32Array | null,
  base: number,
  availEnd: number,
  final: boolean,
): void {
  const sig = st.sig;
  const B = sig.blockLength;
  const count = sig.count;
  const s2len = sig.s2Length;
  const sum2 = sig.sum2;
  const lastLen = blockLengthAt(sig, count - 1);
  const { bits, bitShift, mask, shift, slots, next, sum1 } = st.table;
  const tokens = st.tokens;
  const cs = st.cs;
  const len = availEnd; // true length when final; a safe stand-in otherwise (see below)
  const end = len + 1 - lastLen;
  // Non-final: stop where len - offset > B + CHUNK_SIZE + 1 is guaranteed, so that
  // window length, "more", and the flush rule's end test equal their final values.
  const stop = final ? end : Math.min(end, availEnd - B - CHUNK_SIZE - 2);
  const flushAt = B + CHUNK_SIZE;

  let offset = st.offset;
  let lastMatch = st.lastMatch;
  let wantI = st.wantI;
  let k = st.k;
  let s1 = st.s1;
  let s2 = st.s2;
  let needSum = st.needSum;

  for (;;) {
    if (needSum) {
      if (!final && offset + B + 1 > availEnd) break;
      k = Math.min(B, len - offset);
      const v = checksum1Fast(sv, words, offset - base, offset - base + k);
      s1 = v & 0xffff;
      s2 = v >>> 16;
      needSum = false;
    }
    if (offset >= stop) break;

    // Tight no-candidate loop: while the bitset rejects the sum, the window is
    // full length (more = true) and no early flush is due, just roll.
    {
      const innerStop = Math.min(stop, len - k, lastMatch + flushAt) - base;
      let p = offset - base;
      while (p < innerStop) {
        const bj = Math.imul((s1 & 0xffff) | (s2 << 16), GOLDEN) >>> bitShift;
        if ((bits[bj >>> 5]! & (1 << bj)) !== 0) break;
        const o = sv[p]!;
        s1 = (s1 - o + sv[p + k]!) | 0;
        s2 = (s2 - Math.imul(k, o) + s1) | 0;
        p++;
      }
      offset = p + base;
      if (offset >= stop) break;
    }

    const sum = (s1 & 0xffff) | (s2 << 16);
    const h = Math.imul(sum, GOLDEN);
    const bi = h >>> bitShift;
    if ((bits[bi >>> 5]! & (1 << (bi & 31))) !== 0) {
      let slot = h >>> shift;
      let i = -1;
      for (;;) {
        const hd = slots[2 * slot + 1]!;
        if (hd < 0) break;
        if (slots[2 * slot] === sum) {
          i = hd;
          break;
        }
        slot = (slot + 1) & mask;
      }
      if (i >= 0) {
        const l = Math.min(B, len - offset);
        let strong: Uint8Array | null = null;
        let chainLen = 0;
        let matchedI = -1;
        for (; i >= 0; i = next[i]!) {
          if (++chainLen > MAX_CHAIN_LEN) break;
          if (l !== (i === count - 1 ? lastLen : B)) continue;
          if (strong === null) strong = cs.blockSum(buf.subarray(offset - base, offset - base + l));
          let eq = true;
          for (let j = 0, o = i * s2len; j < s2len; j++) {
            if (strong[j] !== sum2[o + j]) {
              eq = false;
              break;
            }
          }
          if (!eq) continue;
          matchedI = i;
          break;
        }
        if (matchedI >= 0 && strong !== null) {
          let mi = matchedI;
          if (
            mi !== wantI &&
            wantI < count &&
            sum1[wantI] === sum &&
            l === (wantI === count - 1 ? lastLen : B)
          ) {
            let eq = true;
            for (let j = 0, o = wantI * s2len; j < s2len; j++) {
              if (strong[j] !== sum2[o + j]) {
                eq = false;
                break;
              }
            }
            if (eq) mi = wantI;
          }
          wantI = mi + 1;
          pushLiteral(tokens, buf, base, lastMatch, offset);
          tokens.push({ type: 'block', index: mi });
          offset += l;
          lastMatch = offset;
          needSum = true;
          continue;
        }
      }
    }

    // No match here: roll the window by one byte (match.c:hash_search() null_hash).
    const backup = offset - lastMatch;
    const out = sv[offset - base]!;
    s1 = (s1 - out) | 0;
    s2 = (s2 - Math.imul(k, out)) | 0;
    if (offset + k < len) {
      s1 = (s1 + sv[offset + k - base]!) | 0;
      s2 = (s2 + s1) | 0;
    } else k--;
    if (backup >= flushAt && end - offset > CHUNK_SIZE) {
      pushLiteral(tokens, buf, base, lastMatch, offset - B);
      lastMatch = offset - B;
    }
    offset++;
  }

  st.offset = offset;
  st.lastMatch = lastMatch;
  st.wantI = wantI;
  st.k = k;
  st.s1 = s1;
  st.s2 = s2;
  st.needSum = needSum;
}

function literalOnly(tokens: DeltaToken[], data: Uint8Array): void {
  pushLiteral(tokens, data, 0, 0, data.length);
}

/** Whole-buffer variant of matchBlocks(). Literal token data are fresh copies. */
export function matchBlocksSync(
  sig: Signature,
  data: Uint8Array,
  opts: MatchOptions,
): { tokens: DeltaToken[]; digest: Uint8Array } {
  validateSig(sig, opts.checksum);
  const fh = opts.checksum.fileHasher();
  fh.update(data);
  const tokens: DeltaToken[] = [];
  if (data.length === 0 || sig.count === 0) {
    literalOnly(tokens, data);
  } else {
    const st = new MatchState(sig, buildTable(sig), opts.checksum);
    scan(st, data, int8View(data), int32View(data), 0, data.length, true);
    pushLiteral(st.tokens, data, 0, st.lastMatch, data.length);
    return { tokens: st.tokens, digest: fh.digest() };
  }
  return { tokens, digest: fh.digest() };
}

/** Intake size between scans when streaming. */
const INTAKE = 256 * 1024;

/**
 * rsync's sender: yields literal and block tokens in exactly rsync's order and
 * sizes, and returns the whole-file digest of `data`. Streaming input is kept
 * in a bounded window (about 2·blockLength + 64 KiB + 256 KiB). Literal token
 * data are fresh copies (safe to keep).
 */
export async function* matchBlocks(
  sig: Signature,
  data: Uint8Array | AsyncIterable<Uint8Array>,
  opts: MatchOptions,
): AsyncGenerator<DeltaToken, Uint8Array> {
  if (data instanceof Uint8Array) {
    const r = matchBlocksSync(sig, data, opts);
    yield* r.tokens;
    return r.digest;
  }
  validateSig(sig, opts.checksum);
  const fh: FileHasher = opts.checksum.fileHasher();
  if (sig.count === 0) {
    // No basis: everything is literal; cut at CHUNK_SIZE boundaries of the file.
    if (opts.transient) return yield* literalViews(data, fh, opts.scratch);
    const pend = new Uint8Array(CHUNK_SIZE);
    let n = 0;
    for await (const chunk of data) {
      fh.update(chunk);
      let p = 0;
      while (p < chunk.length) {
        const take = Math.min(CHUNK_SIZE - n, chunk.length - p);
        pend.set(chunk.subarray(p, p + take), n);
        n += take;
        p += take;
        if (n === CHUNK_SIZE) {
          yield { type: 'literal', data: pend.slice() };
          n = 0;
        }
      }
    }
    if (n > 0) yield { type: 'literal', data: pend.slice(0, n) };
    return fh.digest();
  }

  const B = sig.blockLength;
  const st = new MatchState(sig, buildTable(sig), opts.checksum);
  let buf = new Uint8Array(2 * B + 2 * CHUNK_SIZE + INTAKE + 64);
  let sv = int8View(buf);
  let words = int32View(buf);
  let base = 0; // absolute offset of buf[0]
  let availEnd = 0; // absolute end of valid data
  for await (const chunk of data) {
    fh.update(chunk);
    let p = 0;
    while (p < chunk.length) {
      let room = buf.length - (availEnd - base);
      if (room === 0) {
        // compact: keep the pending literal and the window
        const keep = st.lastMatch;
        buf.copyWithin(0, keep - base, availEnd - base);
        base = keep;
        room = buf.length - (availEnd - base);
        if (room < INTAKE / 2) {
          // should not happen (pending literal is bounded), but stay correct
          const nb = new Uint8Array(buf.length * 2);
          nb.set(buf.subarray(0, availEnd - base));
          buf = nb;
          sv = int8View(buf);
          words = int32View(buf);
          room = buf.length - (availEnd - base);
        }
      }
      const take = Math.min(room, chunk.length - p);
      buf.set(chunk.subarray(p, p + take), availEnd - base);
      availEnd += take;
      p += take;
      if (availEnd - base === buf.length) {
        scan(st, buf, sv, words, base, availEnd, false);
        if (st.tokens.length > 0) {
          yield* st.tokens;
          st.tokens.length = 0;
        }
      }
    }
  }
  if (availEnd === 0) return fh.digest();
  if (base !== 0 || availEnd !== 0) {
    scan(st, buf, sv, words, base, availEnd, true);
    pushLiteral(st.tokens, buf, base, st.lastMatch, availEnd);
    yield* st.tokens;
    st.tokens.length = 0;
  }
  return fh.digest();
}

/** matchBlocks() without a basis, transient: views of the input where aligned, else one shared buffer. */
async function* literalViews(
  data: AsyncIterable<Uint8Array>,
  fh: FileHasher,
  scratch: Uint8Array | undefined,
): AsyncGenerator<DeltaToken, Uint8Array> {
  let transientPend = scratch !== undefined && scratch.length >= CHUNK_SIZE ? scratch : undefined;
  let n = 0;
  for await (const chunk of data) {
    fh.update(chunk);
    let p = 0;
    while (n === 0 && chunk.length - p >= CHUNK_SIZE) {
      yield { type: 'literal', data: chunk.subarray(p, p + CHUNK_SIZE) };
      p += CHUNK_SIZE;
    }
    while (p < chunk.length) {
      const pend = (transientPend ??= new Uint8Array(CHUNK_SIZE));
      const take = Math.min(CHUNK_SIZE - n, chunk.length - p);
      pend.set(chunk.subarray(p, p + take), n);
      n += take;
      p += take;
      if (n === CHUNK_SIZE) {
        yield { type: 'literal', data: pend };
        n = 0;
      }
    }
  }
  if (n > 0) yield { type: 'literal', data: transientPend!.subarray(0, n) };
  return fh.digest();
}
