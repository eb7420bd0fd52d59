/**
 * Golden vectors: wire captures of real rsync 3.5.0 (client ↔ daemon, see
 * regen.ts) for protocols 27, 29, 30, 31, 32 and every strong checksum.
 * For each capture, our delta engine must produce exactly what rsync produced:
 * the generator's sum_head and block sums (weak + truncated strong, seeded),
 * the sender's token stream, the whole-file digest, and the rebuilt file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applyDeltaSync,
  createSignatureSync,
  createStrongChecksum,
  matchBlocksSync,
  sumSizes,
  type DeltaToken,
} from '@tsrsync/delta';
import { CF } from '@tsrsync/protocol';
import { describe, expect, it } from 'vitest';
import { GOLDEN_CASES } from './cases.js';
import { GOLDEN_MTIME, GOLDEN_SEED, goldenPair } from './data.js';
import { parsePullCapture } from './parse-capture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Tokens as comparable strings (literals by length and content hash-free hex prefix). */
const show = (ts: readonly DeltaToken[]): string[] =>
  ts.map((t) => (t.type === 'block' ? `b${t.index}` : `l${t.data.length}:${hex(t.data)}`));

describe('golden captures of rsync 3.5.0', () => {
  const { basis, target } = goldenPair();
  it.each(GOLDEN_CASES)('$name', async (c) => {
    const c2s = readFileSync(path.join(here, 'fixtures', `${c.name}.c2s.bin`));
    const s2c = readFileSync(path.join(here, 'fixtures', `${c.name}.s2c.bin`));
    const cap = parsePullCapture(c2s, s2c, c.choice);
    expect(cap.protocol).toBe(c.protocol);
    expect(cap.algorithm).toBe(c.algorithm);
    expect(cap.seed).toBe(GOLDEN_SEED);
    expect(cap.flist.map((e) => [e.name, e.size, e.mtime])).toEqual([['f', target.length, GOLDEN_MTIME]]);
    expect(cap.requests).toHaveLength(1);
    expect(cap.replies).toHaveLength(1);

    const cs = await createStrongChecksum({
      algorithm: c.algorithm,
      seed: cap.seed,
      protocol: c.protocol,
      md5SeedFirst: (cap.compat & CF.CHKSUM_SEED_FIX) !== 0,
    });
    // generator: block size, s2length, count, remainder, and every block sum
    const sizes = sumSizes(basis.length, { protocol: c.protocol, xferSumLen: cs.digestLength });
    const req = cap.requests[0]!;
    expect(req.head).toEqual({
      count: sizes.count,
      blength: sizes.blockLength,
      s2length: sizes.s2Length,
      remainder: sizes.remainder,
    });
    const sig = createSignatureSync(basis, { sizes, checksum: cs });
    const theirs = req.sums.map((b) => `${b.sum1.toString(16)}:${hex(b.sum2)}`);
    const ours = Array.from(
      sig.sum1,
      (s1, i) => `${s1.toString(16)}:${hex(sig.sum2.subarray(i * sig.s2Length, (i + 1) * sig.s2Length))}`,
    );
    expect(ours).toEqual(theirs);

    // sender: sum_head echo, the token stream, the whole-file digest
    const rep = cap.replies[0]!;
    expect(rep.head).toEqual(req.head);
    const m = matchBlocksSync(sig, target, { checksum: cs });
    expect(show(m.tokens)).toEqual(show(rep.tokens));
    expect(hex(m.digest)).toBe(hex(rep.digest));

    // receiver: rsync's tokens rebuild the target with the same digest
    const rebuilt = applyDeltaSync(basis, sig, rep.tokens, { checksum: cs });
    expect(Buffer.from(rebuilt.data).equals(Buffer.from(target))).toBe(true);
    expect(hex(rebuilt.digest)).toBe(hex(rep.digest));
    // the delta is a real one: rsync matched blocks and sent literals
    expect(rep.tokens.some((t) => t.type === 'block')).toBe(true);
    expect(rep.tokens.some((t) => t.type === 'literal')).toBe(true);
  });
});
