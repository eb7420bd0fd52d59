/**
 * Deterministic basis/target pairs for the golden captures (no binary fixtures
 * needed: the regeneration script and the test build the same bytes).
 */

/** xorshift32 byte stream; `seed` must be non-zero. */
export function prng(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/**
 * A 150,000-byte random basis, and a target made from it by an insertion, a
 * deletion, an overwrite, a moved piece and a duplicated block, so that the
 * delta has literals, out-of-order matches, repeats and the short tail block.
 */
export function goldenPair(): { basis: Uint8Array; target: Uint8Array } {
  const basis = prng(0x5eed1234, 150_000);
  const target = cat(
    basis.subarray(0, 20_000),
    prng(7, 1_234), // insertion
    basis.subarray(20_000, 50_000),
    basis.subarray(53_000, 80_000), // 3,000 bytes deleted
    prng(9, 700), // overwrite of one block's worth
    basis.subarray(80_700, 120_000),
    basis.subarray(5_000, 12_000), // moved/duplicated piece
    basis.subarray(120_000, 150_000), // ends with the basis tail (short last block)
  );
  return { basis, target };
}

/** Fixed mtime of the source file, so the captured file lists are reproducible. */
export const GOLDEN_MTIME = 1_700_000_000;
/** Fixed checksum seed (--checksum-seed). */
export const GOLDEN_SEED = 0x1234567;
