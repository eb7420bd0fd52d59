import { DeltaError } from './errors.js';

export interface SumSizes {
  blockLength: number;
  s2Length: number;
  count: number;
  remainder: number;
}

export interface SumSizesOptions {
  protocol: number;
  /** 2 (SHORT_SUM_LENGTH) in phase 0, 16 (SUM_LENGTH) in the redo phase. Default 2. */
  csumLength?: number;
  /** Digest length of the negotiated transfer checksum. */
  xferSumLen: number;
  /** --block-size, when given. */
  blockSize?: number;
}

export const BLOCK_SIZE = 700;
export const MAX_BLOCK_SIZE = 1 << 17;
export const OLD_MAX_BLOCK_SIZE = 1 << 29;
const SUM_LENGTH = 16;
const BLOCKSUM_BIAS = 10;

/** floor(x / 2^n) for non-negative safe integers (no 32-bit truncation). */
const shr = (x: number, n: number): number => Math.floor(x / 2 ** n);

/**
 * Block length, strong-sum length and block count for a basis of `fileLength`
 * bytes. Behaviour of generator.c:sum_sizes_sqroot().
 */
export function sumSizes(fileLength: number, opts: SumSizesOptions): SumSizes {
  if (!Number.isSafeInteger(fileLength) || fileLength < 0) {
    throw new DeltaError('BAD_SUM_SIZES', `bad file length ${fileLength}`);
  }
  const csumLength = opts.csumLength ?? 2;
  const maxS2 = Math.min(SUM_LENGTH, opts.xferSumLen);
  let blength: number;
  if (opts.blockSize !== undefined && opts.blockSize !== 0) {
    blength = opts.blockSize;
    const cap = opts.protocol < 30 ? OLD_MAX_BLOCK_SIZE : MAX_BLOCK_SIZE;
    if (!Number.isInteger(blength) || blength < 1 || blength > cap) {
      throw new DeltaError('BAD_SUM_SIZES', `block size ${blength} out of range 1..${cap}`);
    }
  } else if (fileLength <= BLOCK_SIZE * BLOCK_SIZE) {
    blength = BLOCK_SIZE;
  } else {
    const maxB = opts.protocol < 30 ? OLD_MAX_BLOCK_SIZE : MAX_BLOCK_SIZE;
    let c = 1;
    for (let l = shr(fileLength, 2); l !== 0; l = shr(l, 2)) c *= 2;
    if (c >= maxB) blength = maxB;
    else {
      blength = 0;
      do {
        blength |= c;
        if (fileLength < blength * blength) blength &= ~c;
        c >>= 1;
      } while (c >= 8);
      blength = Math.max(blength, BLOCK_SIZE);
    }
  }

  let s2Length: number;
  if (opts.protocol < 27) s2Length = csumLength;
  else if (csumLength === SUM_LENGTH) s2Length = maxS2;
  else {
    let b = BLOCKSUM_BIAS;
    for (let l = shr(fileLength, 1); l !== 0; l = shr(l, 1)) b += 2;
    for (let c = blength >> 1; c !== 0 && b !== 0; c >>= 1) b--;
    s2Length = Math.trunc((b + 1 - 32 + 7) / 8);
    s2Length = Math.min(Math.max(s2Length, csumLength), maxS2);
  }
  const remainder = fileLength % blength;
  const count = Math.floor(fileLength / blength) + (remainder !== 0 ? 1 : 0);
  return { blockLength: blength, s2Length, count, remainder };
}

/** Length of block `i` (the last one is `remainder` bytes when non-zero). */
export function blockLengthAt(sizes: SumSizes, i: number): number {
  return i === sizes.count - 1 && sizes.remainder !== 0 ? sizes.remainder : sizes.blockLength;
}
