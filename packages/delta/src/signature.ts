import { DeltaError } from './errors.js';
import type { SumSizes } from './block-size.js';
import { checksum1Fast, int32View, int8View } from './rolling-checksum.js';
import type { StrongChecksum } from './strong-checksum.js';

/** Block sums of a basis file: what the generator sends (sum_head + count × (sum1, sum2)). */
export interface Signature extends SumSizes {
  /** Weak checksum of each block (uint32). */
  sum1: Uint32Array;
  /** count × s2Length bytes: the first s2Length bytes of each block's strong sum. */
  sum2: Uint8Array;
}

export interface SignatureOptions {
  sizes: SumSizes;
  checksum: StrongChecksum;
}

/** Expected basis length for the given sizes. */
export function basisLength(s: SumSizes): number {
  if (s.count === 0) return 0;
  return (s.count - 1) * s.blockLength + (s.remainder !== 0 ? s.remainder : s.blockLength);
}

function checkSizes(s: SumSizes): void {
  if (
    !Number.isInteger(s.count) ||
    s.count < 0 ||
    !Number.isInteger(s.blockLength) ||
    s.blockLength < 0 ||
    (s.count > 0 && s.blockLength < 1) ||
    !Number.isInteger(s.s2Length) ||
    s.s2Length < 0 ||
    s.remainder < 0 ||
    s.remainder > s.blockLength
  ) {
    throw new DeltaError('BAD_SUM_SIZES', `bad sum sizes ${JSON.stringify(s)}`);
  }
}

class SigBuilder {
  readonly sum1: Uint32Array;
  readonly sum2: Uint8Array;
  n = 0;
  constructor(
    readonly sizes: SumSizes,
    readonly checksum: StrongChecksum,
  ) {
    checkSizes(sizes);
    if (sizes.s2Length > checksum.digestLength) {
      throw new DeltaError(
        'BAD_SUM_SIZES',
        `s2Length ${sizes.s2Length} > digest length ${checksum.digestLength}`,
      );
    }
    this.sum1 = new Uint32Array(sizes.count);
    this.sum2 = new Uint8Array(sizes.count * sizes.s2Length);
  }

  /** Adds the blocks of `data[start, end)` (all full except possibly the final one). */
  add(
    data: Uint8Array,
    view: Int8Array,
    start: number,
    end: number,
    words: Int32Array | null = int32View(data),
  ): void {
    const { blockLength: B, s2Length: s2, count } = this.sizes;
    const sum1 = this.sum1;
    const sum2 = this.sum2;
    const cs = this.checksum;
    let n = this.n;
    for (let p = start; p < end; p += B) {
      if (n >= count) throw new DeltaError('BAD_SIGNATURE', 'basis longer than the sum sizes describe');
      const q = Math.min(p + B, end);
      sum1[n] = checksum1Fast(view, words, p, q);
      if (s2 > 0) {
        const d = cs.blockSum(data.subarray(p, q));
        for (let j = 0, o = n * s2; j < s2; j++) sum2[o + j] = d[j]!;
      }
      n++;
    }
    this.n = n;
  }

  finish(total: number): Signature {
    if (this.n !== this.sizes.count || total !== basisLength(this.sizes)) {
      throw new DeltaError(
        'BAD_SIGNATURE',
        `basis length ${total} does not match sum sizes (${basisLength(this.sizes)})`,
      );
    }
    const { blockLength, s2Length, count, remainder } = this.sizes;
    return { blockLength, s2Length, count, remainder, sum1: this.sum1, sum2: this.sum2 };
  }
}

/** Signature of an in-memory basis (generator.c:generate_and_send_sums()). */
export function createSignatureSync(basis: Uint8Array, opts: SignatureOptions): Signature {
  const b = new SigBuilder(opts.sizes, opts.checksum);
  b.add(basis, int8View(basis), 0, basis.length);
  return b.finish(basis.length);
}

/** Signature of a basis given as bytes or as an async stream of chunks (any chunking). */
export async function createSignature(
  basis: Uint8Array | AsyncIterable<Uint8Array>,
  opts: SignatureOptions,
): Promise<Signature> {
  if (basis instanceof Uint8Array) return createSignatureSync(basis, opts);
  const b = new SigBuilder(opts.sizes, opts.checksum);
  const B = Math.max(1, opts.sizes.blockLength);
  const part = new Uint8Array(B);
  const partView = int8View(part);
  let partLen = 0;
  let total = 0;
  for await (const chunk of basis) {
    total += chunk.length;
    let p = 0;
    if (partLen > 0) {
      const take = Math.min(B - partLen, chunk.length);
      part.set(chunk.subarray(0, take), partLen);
      partLen += take;
      p = take;
      if (partLen < B) continue;
      b.add(part, partView, 0, B);
      partLen = 0;
    }
    const whole = p + Math.floor((chunk.length - p) / B) * B;
    if (whole > p) b.add(chunk, int8View(chunk), p, whole);
    if (whole < chunk.length) {
      part.set(chunk.subarray(whole), 0);
      partLen = chunk.length - whole;
    }
  }
  if (partLen > 0) b.add(part, partView, 0, partLen);
  return b.finish(total);
}
