/**
 * Receiver reconstruction (receiver.c:receive_data()): literal tokens are copied,
 * block tokens are read from the basis by random access. Every block index is
 * validated against the sum sizes; the digest of the produced output is returned.
 */
import type { SumSizes } from './block-size.js';
import { blockLengthAt } from './block-size.js';
import { DeltaError } from './errors.js';
import type { DeltaToken } from './match.js';
import type { StrongChecksum } from './strong-checksum.js';

export interface BasisReader {
  /** Must return exactly `length` bytes at `offset` (a short read is a DeltaError). */
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array>;
}

export interface PatchOptions {
  checksum: StrongChecksum;
}

function blockRange(sig: SumSizes, index: number, haveBasis: boolean): [number, number] {
  if (!Number.isInteger(index) || index < 0 || index >= sig.count) {
    throw new DeltaError('BAD_BLOCK_INDEX', `block index ${index} out of range (count ${sig.count})`);
  }
  if (!haveBasis) throw new DeltaError('NO_BASIS', 'block token without a basis');
  return [index * sig.blockLength, blockLengthAt(sig, index)];
}

function readSync(basis: Uint8Array, off: number, n: number): Uint8Array {
  if (off + n > basis.length) {
    throw new DeltaError('SHORT_BASIS', `basis too short: need ${off + n} bytes, have ${basis.length}`);
  }
  return basis.subarray(off, off + n);
}

/** In-memory reconstruction. */
export function applyDeltaSync(
  basis: Uint8Array,
  sig: SumSizes,
  tokens: Iterable<DeltaToken>,
  opts: PatchOptions,
): { data: Uint8Array; digest: Uint8Array } {
  const fh = opts.checksum.fileHasher();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const t of tokens) {
    const piece = t.type === 'literal' ? t.data : readSync(basis, ...blockRange(sig, t.index, true));
    fh.update(piece);
    parts.push(piece);
    total += piece.length;
  }
  const data = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    data.set(part, p);
    p += part.length;
  }
  return { data, digest: fh.digest() };
}

/**
 * Streaming reconstruction: yields output pieces in order and returns the digest of
 * the whole output. Yielded arrays may be subarrays of the basis or of token data:
 * consume (write) them before the basis changes.
 */
export async function* applyDelta(
  basis: Uint8Array | BasisReader | null,
  sig: SumSizes,
  tokens: Iterable<DeltaToken> | AsyncIterable<DeltaToken>,
  opts: PatchOptions,
): AsyncGenerator<Uint8Array, Uint8Array> {
  const fh = opts.checksum.fileHasher();
  for await (const t of tokens) {
    let piece: Uint8Array;
    if (t.type === 'literal') piece = t.data;
    else {
      const [off, n] = blockRange(sig, t.index, basis !== null);
      if (basis instanceof Uint8Array) piece = readSync(basis, off, n);
      else {
        piece = await basis!.read(off, n);
        if (piece.length !== n) {
          throw new DeltaError('SHORT_BASIS', `basis read at ${off} returned ${piece.length} of ${n} bytes`);
        }
      }
    }
    fh.update(piece);
    if (piece.length > 0) yield piece;
  }
  return fh.digest();
}
