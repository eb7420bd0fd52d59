/**
 * sum_head and block checksums (io.c / sender.c / generator.c:
 * write_sum_head(), read_sum_head(), receive_sums()).
 *
 *   int32 count | int32 blength | [int32 s2length, proto >= 27] | int32 remainder
 *   count x (int32 sum1, s2length bytes sum2)
 */
import { LIMITS } from '../constants.js';
import { ProtocolError, ShortRead } from '../errors.js';
import type { WireReader } from '../wire/reader.js';
import type { WireWriter } from '../wire/writer.js';

export interface SumHead {
  count: number;
  blength: number;
  s2length: number;
  remainder: number;
}

export interface BlockSum {
  sum1: number;
  sum2: Uint8Array;
}

export function maxBlockSize(protocol: number): number {
  return protocol < 30 ? LIMITS.OLD_MAX_BLOCK_SIZE : LIMITS.MAX_BLOCK_SIZE;
}

export function encodeSumHead(w: WireWriter, h: SumHead, protocol: number): void {
  w.i32(h.count).i32(h.blength);
  if (protocol >= 27) w.i32(h.s2length);
  w.i32(h.remainder);
}

export interface SumHeadLimits {
  /** proto < 27 only: the implied s2length (csum_length). */
  impliedS2Length?: number;
  /** Bound on count (default LIMITS.MAX_BLOCK_COUNT). */
  maxCount?: number;
}

/** Read and validate a sum_head as read_sum_head() does. Rewinds on ShortRead. */
export function decodeSumHead(
  r: WireReader,
  protocol: number,
  maxDigestLength: number,
  limits: SumHeadLimits = {},
): SumHead {
  const start = r.offset;
  let h: SumHead;
  try {
    const count = r.i32();
    const blength = r.i32();
    const s2length = protocol >= 27 ? r.i32() : (limits.impliedS2Length ?? 2);
    const remainder = r.i32();
    h = { count, blength, s2length, remainder };
  } catch (e) {
    if (e instanceof ShortRead) r.offset = start;
    throw e;
  }
  checkSumHead(h, protocol, maxDigestLength, limits.maxCount);
  return h;
}

export function checkSumHead(
  h: SumHead,
  protocol: number,
  maxDigestLength: number,
  maxCount: number = LIMITS.MAX_BLOCK_COUNT,
): void {
  const max = maxBlockSize(protocol);
  if (h.count < 0 || h.count > maxCount) throw new ProtocolError(`invalid checksum count ${h.count}`);
  if (h.blength < 0 || h.blength > max)
    throw new ProtocolError(`invalid block length ${h.blength} [max ${max}]`);
  if (h.count > 0 && h.blength === 0) throw new ProtocolError('block length 0 with a non-zero block count');
  if (h.s2length < 0 || h.s2length > maxDigestLength)
    throw new ProtocolError(`invalid checksum length ${h.s2length} [max ${maxDigestLength}]`);
  if (h.remainder < 0 || h.remainder > h.blength)
    throw new ProtocolError(`invalid remainder length ${h.remainder} [blength ${h.blength}]`);
}

/** Bytes one block sum takes on the wire. */
export function blockSumSize(h: SumHead): number {
  return 4 + h.s2length;
}

/** Byte length of the file described by a sum_head (§2.4 append: flength). */
export function sumHeadFileLength(h: SumHead): number {
  if (h.count === 0) return 0;
  return h.count * h.blength - (h.remainder ? h.blength - h.remainder : 0);
}

export function encodeBlockSum(w: WireWriter, b: BlockSum, s2length: number): void {
  if (b.sum2.length < s2length) throw new RangeError(`strong sum shorter than s2length ${s2length}`);
  w.i32(b.sum1).bytes(b.sum2.subarray(0, s2length));
}

/** One block sum; sum2 is a copy. Rewinds on ShortRead. */
export function decodeBlockSum(r: WireReader, s2length: number): BlockSum {
  const start = r.offset;
  try {
    const sum1 = r.i32() >>> 0;
    return { sum1, sum2: r.bytes(s2length).slice() };
  } catch (e) {
    if (e instanceof ShortRead) r.offset = start;
    throw e;
  }
}

/**
 * All `h.count` block sums at once, or ShortRead (offset unchanged) if they
 * are not all buffered yet. Checks the available byte count first, so a huge
 * count never allocates before the bytes exist.
 */
export function decodeBlockSums(r: WireReader, h: SumHead): BlockSum[] {
  const need = h.count * blockSumSize(h);
  r.need(need);
  const out = new Array<BlockSum>(h.count);
  for (let i = 0; i < h.count; i++) out[i] = decodeBlockSum(r, h.s2length);
  return out;
}
