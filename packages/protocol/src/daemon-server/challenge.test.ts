import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authResponse, type NegotiatedAuthDigest } from '../daemon/codec.js';
import { checkResponse, makeChallenge } from './challenge.js';

const DIGESTS: NegotiatedAuthDigest[] = ['sha512', 'sha256', 'sha1', 'md5', 'md4', 'md4-old'];

describe('makeChallenge', () => {
  it('22 base64 characters without padding, from 16 random bytes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const c = makeChallenge();
      expect(c).toMatch(/^[A-Za-z0-9+/]{22}$/);
      expect(Buffer.from(c, 'base64')).toHaveLength(16);
      seen.add(c);
    }
    expect(seen.size).toBe(200);
  });
});

describe('checkResponse', () => {
  it('accepts what rsync computes: base64(H(password || challenge)), no padding', () => {
    const ch = makeChallenge();
    const md5 = createHash('md5').update('sécret').update(ch).digest('base64').replace(/=+$/, '');
    expect(checkResponse(ch, 'sécret', md5, 'md5')).toBe(true);
    expect(checkResponse(ch, 'sécret', `${md5}==`, 'md5')).toBe(false);
    expect(checkResponse(ch, 'sécret', md5, 'sha1')).toBe(false);
  });

  it('the right answer passes; another password, challenge, digest or a changed answer fails (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
        fc.constantFrom(...DIGESTS),
        fc.nat(),
        (pw, other, digest, pos) => {
          const ch = makeChallenge();
          const good = authResponse(digest, Buffer.from(pw, 'utf8'), ch);
          expect(checkResponse(ch, pw, good, digest)).toBe(true);
          if (other !== pw) expect(checkResponse(ch, other, good, digest)).toBe(false);
          expect(checkResponse(makeChallenge(), pw, good, digest)).toBe(false);
          const i = pos % good.length;
          const flipped = `${good.slice(0, i)}${good[i] === 'A' ? 'B' : 'A'}${good.slice(i + 1)}`;
          expect(checkResponse(ch, pw, flipped, digest)).toBe(false);
          expect(checkResponse(ch, pw, good.slice(0, i), digest)).toBe(false);
          expect(checkResponse(ch, pw, `${good}A`, digest)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an empty or non-ASCII answer is false, not an exception', () => {
    const ch = makeChallenge();
    for (const d of DIGESTS) {
      expect(checkResponse(ch, 'pw', '', d)).toBe(false);
      expect(checkResponse(ch, 'pw', 'é'.repeat(22), d)).toBe(false);
    }
  });
});
