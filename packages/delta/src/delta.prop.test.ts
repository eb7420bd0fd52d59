import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sumSizes, type SumSizes } from './block-size.js';
import { DeltaError } from './errors.js';
import { applyDelta, applyDeltaSync } from './patch.js';
import { matchBlocks, matchBlocksSync, type DeltaToken } from './match.js';
import { checksum1 } from './rolling-checksum.js';
import { createSignature, createSignatureSync, type Signature } from './signature.js';
import { createStrongChecksum, type StrongChecksum } from './strong-checksum.js';

const cs: StrongChecksum = await createStrongChecksum({ algorithm: 'xxh128', seed: 0x5eed, protocol: 31 });
const csMd5: StrongChecksum = await createStrongChecksum({ algorithm: 'md5', seed: 7, protocol: 31 });

/**
 * Independent, slow transcription of match.c:hash_search()/matched() semantics
 * (fresh weak sum per offset, candidates from the highest index down).
 */
function reference(sig: Signature, data: Uint8Array, c: StrongChecksum): DeltaToken[] {
  const out: DeltaToken[] = [];
  const len = data.length;
  const lit = (from: number, to: number): void => {
    for (let p = from; p < to; p += 32768)
      out.push({ type: 'literal', data: data.slice(p, Math.min(p + 32768, to)) });
  };
  if (len === 0 || sig.count === 0) {
    lit(0, len);
    return out;
  }
  const B = sig.blockLength;
  const blen = (i: number): number => (i === sig.count - 1 && sig.remainder ? sig.remainder : B);
  const s2eq = (d: Uint8Array, i: number): boolean => {
    for (let j = 0; j < sig.s2Length; j++) if (d[j] !== sig.sum2[i * sig.s2Length + j]) return false;
    return true;
  };
  const end = len + 1 - blen(sig.count - 1);
  // prefix sums of signed bytes: the weak sum of any window in O(1), exactly
  const P = new Float64Array(len + 1);
  const T = new Float64Array(len + 1);
  for (let j = 0; j < len; j++) {
    const x = (data[j]! << 24) >> 24;
    P[j + 1] = P[j]! + x;
    T[j + 1] = T[j]! + j * x;
  }
  const weak = (o: number, l: number): number => {
    const S = P[o + l]! - P[o]!;
    const S2 = (o + l) * S - (T[o + l]! - T[o]!);
    const m = (v: number): number => ((v % 65536) + 65536) % 65536;
    return (m(S) + m(S2) * 65536) >>> 0;
  };
  let lastMatch = 0;
  let want = 0;
  let offset = 0;
  while (offset < end) {
    const l = Math.min(B, len - offset);
    const sum = weak(offset, l);
    if (l <= 64 && sum !== checksum1(data, offset, offset + l)) throw new Error('reference weak sum');
    let found = -1;
    let strong: Uint8Array | null = null;
    let n = 0;
    for (let i = sig.count - 1; i >= 0; i--) {
      if (sig.sum1[i] !== sum) continue;
      if (++n > 1024) break;
      if (blen(i) !== l) continue;
      strong ??= c.blockSum(data.subarray(offset, offset + l)).slice();
      if (!s2eq(strong, i)) continue;
      found = i;
      break;
    }
    if (found >= 0 && strong) {
      if (
        found !== want &&
        want < sig.count &&
        sig.sum1[want] === sum &&
        blen(want) === l &&
        s2eq(strong, want)
      )
        found = want;
      want = found + 1;
      lit(lastMatch, offset);
      out.push({ type: 'block', index: found });
      offset += l;
      lastMatch = offset;
      continue;
    }
    if (offset - lastMatch >= B + 32768 && end - offset > 32768) {
      lit(lastMatch, offset - B);
      lastMatch = offset - B;
    }
    offset++;
  }
  lit(lastMatch, len);
  return out;
}

const tokStr = (ts: DeltaToken[]): string =>
  ts.map((t) => (t.type === 'block' ? `b${t.index}` : `l${Buffer.from(t.data).toString('hex')}`)).join(',');

async function* chunked(data: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let p = 0;
  for (const c of cuts) {
    const q = Math.min(data.length, p + c);
    yield data.subarray(p, q);
    p = q;
  }
  if (p < data.length) yield data.subarray(p);
}

async function collect<T, R>(g: AsyncGenerator<T, R>): Promise<[T[], R]> {
  const items: T[] = [];
  for (;;) {
    const r = await g.next();
    if (r.done) return [items, r.value];
    items.push(r.value);
  }
}

function sizesFor(len: number, blockSize: number): SumSizes {
  return sumSizes(len, { protocol: 31, xferSumLen: 16, blockSize });
}

/** Pairs (basis, target) covering the interesting relations. */
const pairArb = fc
  .tuple(
    fc.uint8Array({ maxLength: 600 }),
    fc.uint8Array({ maxLength: 600 }),
    fc.constantFrom('random', 'identical', 'shift', 'zeros', 'edit', 'short', 'dup'),
    fc.integer({ min: 8, max: 64 }),
  )
  .map(([a, b, kind, bs]) => {
    let basis = a;
    let target = b;
    if (kind === 'identical') target = a.slice();
    else if (kind === 'shift') target = new Uint8Array([...b.subarray(0, 1), ...a]);
    else if (kind === 'zeros') {
      basis = new Uint8Array(a.length);
      target = new Uint8Array(b.length);
    } else if (kind === 'edit') {
      target = a.slice();
      for (let i = 0; i < b.length && i < target.length; i += 37) target[(i * 13) % target.length] = b[i]!;
      target = new Uint8Array([
        ...target.subarray(0, target.length >> 1),
        ...b.subarray(0, 20),
        ...target.subarray(target.length >> 1),
      ]);
    } else if (kind === 'short') target = b.subarray(0, Math.min(b.length, bs >> 1));
    else if (kind === 'dup') {
      basis = new Uint8Array([...a.subarray(0, 40), ...a.subarray(0, 40), ...a.subarray(0, 40)]);
      target = new Uint8Array([...basis.subarray(20), ...basis]);
    }
    return { basis, target, bs };
  });

describe('match + patch', () => {
  it('applyDelta(a, matchBlocks(sig(a), b)) == b and tokens equal the reference (property)', () => {
    fc.assert(
      fc.property(pairArb, fc.boolean(), ({ basis, target, bs }, useMd5) => {
        const c = useMd5 ? csMd5 : cs;
        const sizes = sizesFor(basis.length, bs);
        const sig = createSignatureSync(basis, { sizes, checksum: c });
        const { tokens, digest } = matchBlocksSync(sig, target, { checksum: c });
        const r = applyDeltaSync(basis, sig, tokens, { checksum: c });
        expect(Buffer.from(r.data).equals(Buffer.from(target))).toBe(true);
        expect(Buffer.from(r.digest).equals(Buffer.from(digest))).toBe(true);
        expect(tokStr(tokens)).toBe(tokStr(reference(sig, target, c)));
        for (const t of tokens) if (t.type === 'literal') expect(t.data.length).toBeLessThanOrEqual(32768);
      }),
      { numRuns: 1500 },
    );
  });

  it('results are independent of async chunking (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        pairArb,
        fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 12 }),
        async ({ basis, target, bs }, cuts) => {
          const sizes = sizesFor(basis.length, bs);
          const sig = await createSignature(chunked(basis, cuts), { sizes, checksum: cs });
          const sig2 = createSignatureSync(basis, { sizes, checksum: cs });
          expect(Buffer.from(sig.sum2).equals(Buffer.from(sig2.sum2))).toBe(true);
          expect(Array.from(sig.sum1)).toEqual(Array.from(sig2.sum1));
          const sync = matchBlocksSync(sig, target, { checksum: cs });
          const [tokens, digest] = await collect(matchBlocks(sig, chunked(target, cuts), { checksum: cs }));
          expect(tokStr(tokens)).toBe(tokStr(sync.tokens));
          expect(Buffer.from(digest).equals(Buffer.from(sync.digest))).toBe(true);
          const [parts, d2] = await collect(
            applyDelta({ read: (o, n) => basis.slice(o, o + n) }, sig, chunkedTokens(tokens), {
              checksum: cs,
            }),
          );
          expect(Buffer.from(Buffer.concat(parts)).equals(Buffer.from(target))).toBe(true);
          expect(Buffer.from(d2).equals(Buffer.from(digest))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('large streaming inputs: early flush, literal splitting and windowing match the sync path', async () => {
    const rnd = (n: number, seed: number): Uint8Array => {
      const u = new Uint8Array(n);
      let x = seed;
      for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 1103515245) + 12345) | 0;
        u[i] = x >>> 24;
      }
      return u;
    };
    const basis = rnd(300_000, 1);
    const other = rnd(200_000, 2);
    // target: unrelated run (forces early flushes), then basis pieces, shifted copies and a tail
    const target = new Uint8Array([
      ...other.subarray(0, 150_000),
      ...basis.subarray(1000, 120_000),
      ...other.subarray(150_000),
      ...basis.subarray(200_001),
    ]);
    for (const bs of [700, 2048, 40_000]) {
      const sizes = sizesFor(basis.length, bs);
      const sig = createSignatureSync(basis, { sizes, checksum: cs });
      const sync = matchBlocksSync(sig, target, { checksum: cs });
      expect(tokStr(sync.tokens)).toBe(tokStr(reference(sig, target, cs)));
      for (const cuts of [[1], [65536, 3, 100_000, 7], Array(60).fill(9999)]) {
        const [tokens] = await collect(matchBlocks(sig, chunked(target, cuts), { checksum: cs }));
        expect(tokStr(tokens)).toBe(tokStr(sync.tokens));
      }
      expect(
        Buffer.from(applyDeltaSync(basis, sig, sync.tokens, { checksum: cs }).data).equals(
          Buffer.from(target),
        ),
      ).toBe(true);
    }
  });

  it('whole-file literal split like simple_send_token (600000 = 18 x 32768 + 10176)', () => {
    const data = new Uint8Array(600_000).fill(1);
    const sig = createSignatureSync(new Uint8Array(0), { sizes: sizesFor(0, 700), checksum: cs });
    const { tokens } = matchBlocksSync(sig, data, { checksum: cs });
    expect(tokens.map((t) => (t.type === 'literal' ? t.data.length : -1))).toEqual([
      ...Array(18).fill(32768),
      10176,
    ]);
  });

  it('want_i prefers the sequential duplicate block; chains run from the highest index', () => {
    const blk = new Uint8Array(16).fill(5);
    const basis = new Uint8Array(64).fill(5); // 4 identical blocks
    const sig = createSignatureSync(basis, { sizes: sizesFor(64, 16), checksum: cs });
    const { tokens } = matchBlocksSync(sig, new Uint8Array([...blk, ...blk, ...blk]), { checksum: cs });
    // first lookup finds block 3 (chain head) but want_i = 0 wins, then 1, 2
    expect(tokStr(tokens)).toBe('b0,b1,b2');
    const b2 = new Uint8Array([...new Uint8Array(16).fill(9), ...blk]);
    const sig2 = createSignatureSync(new Uint8Array([...blk, ...new Uint8Array(16).fill(9), ...blk]), {
      sizes: sizesFor(48, 16),
      checksum: cs,
    });
    expect(tokStr(matchBlocksSync(sig2, b2, { checksum: cs }).tokens)).toBe('b1,b2');
  });

  it('gives up after 1024 sum1-equal candidates (MAX_CHAIN_LEN)', () => {
    // 1100 distinct 8-byte blocks with the same weak sum: d=(t,-2t,t) keeps s1 and s2
    const blocks: number[] = [];
    for (let t = 0; t < 41 && blocks.length < 1100 * 8; t++)
      for (let u = 0; u < 41 && blocks.length < 1100 * 8; u++)
        blocks.push(t, 100 - 2 * t, t, u, 100 - 2 * u, u, 0, 0);
    const basis = new Uint8Array(blocks);
    const sig = createSignatureSync(basis, { sizes: sizesFor(basis.length, 8), checksum: cs });
    expect(new Set(sig.sum1).size).toBe(1);
    const first = basis.subarray(0, 8); // 1100th candidate from the chain head: skipped
    const last = basis.subarray(1099 * 8); // chain head: found
    const at76 = basis.subarray(76 * 8, 77 * 8); // candidate number 1024: found
    const at75 = basis.subarray(75 * 8, 76 * 8); // candidate number 1025: skipped
    for (const [t, want] of [
      [first, 'l'],
      [last, 'b1099'],
      [at76, 'b76'],
      [at75, 'l'],
    ] as const) {
      const { tokens } = matchBlocksSync(sig, t, { checksum: cs });
      expect(tokStr(tokens).slice(0, want.length)).toBe(want);
      expect(tokStr(tokens)).toBe(tokStr(reference(sig, t, cs)));
    }
  });

  it('async BasisReader: awaited reads, short reads rejected', async () => {
    const basis = new Uint8Array(256).map((_, i) => i);
    const sig = createSignatureSync(basis, { sizes: sizesFor(256, 64), checksum: cs });
    const reader = { read: async (o: number, n: number) => basis.slice(o, o + n) };
    const tokens: DeltaToken[] = [
      { type: 'block', index: 3 },
      { type: 'literal', data: new Uint8Array([1, 2]) },
      { type: 'block', index: 0 },
    ];
    const [parts, digest] = await collect(applyDelta(reader, sig, tokens, { checksum: cs }));
    const want = new Uint8Array([...basis.subarray(192), 1, 2, ...basis.subarray(0, 64)]);
    expect(Buffer.concat(parts).equals(Buffer.from(want))).toBe(true);
    expect(
      Buffer.from(digest).equals(Buffer.from(applyDeltaSync(basis, sig, tokens, { checksum: cs }).digest)),
    ).toBe(true);
    const short = { read: async (o: number, n: number) => basis.slice(o, o + n - 1) };
    await expect(collect(applyDelta(short, sig, tokens, { checksum: cs }))).rejects.toMatchObject({
      code: 'SHORT_BASIS',
    });
  });

  it('validates block indexes and basis length', async () => {
    const basis = new Uint8Array(100);
    const sig = createSignatureSync(basis, { sizes: sizesFor(100, 32), checksum: cs });
    expect(() => applyDeltaSync(basis, sig, [{ type: 'block', index: 4 }], { checksum: cs })).toThrow(
      DeltaError,
    );
    expect(() => applyDeltaSync(basis, sig, [{ type: 'block', index: -1 }], { checksum: cs })).toThrow(
      DeltaError,
    );
    expect(() =>
      applyDeltaSync(basis.subarray(0, 50), sig, [{ type: 'block', index: 3 }], { checksum: cs }),
    ).toThrow(DeltaError);
    await expect(
      collect(applyDelta(null, sig, [{ type: 'block', index: 0 }], { checksum: cs })),
    ).rejects.toThrow(DeltaError);
    expect(() => createSignatureSync(new Uint8Array(99), { sizes: sig, checksum: cs })).toThrow(DeltaError);
    // last block (4 bytes) has its own length
    expect(applyDeltaSync(basis, sig, [{ type: 'block', index: 3 }], { checksum: cs }).data.length).toBe(4);
  });
});

async function* chunkedTokens(ts: DeltaToken[]): AsyncGenerator<DeltaToken> {
  yield* ts;
}
