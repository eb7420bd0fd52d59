/**
 * The daemon's side of rsync's challenge-response login
 * (authenticate.c: gen_challenge(), check_secret()): a random challenge, and
 * the client's answer checked against base64(H(password || challenge)) in
 * constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { authResponse, base64NoPad, type NegotiatedAuthDigest } from '../daemon/codec.js';

/**
 * 16 random bytes as base64 without padding (22 characters). rsync hashes
 * random bytes with the address, time and pid; only the randomness matters.
 */
export function makeChallenge(): string {
  return base64NoPad(randomBytes(16));
}

/** Whether `response` is the answer to `challenge` for `password` with `digest`. */
export function checkResponse(
  challenge: string,
  password: string,
  response: string,
  digest: NegotiatedAuthDigest,
): boolean {
  const want = Buffer.from(authResponse(digest, Buffer.from(password, 'utf8'), challenge), 'latin1');
  const got = Buffer.from(response, 'latin1');
  return want.length === got.length && timingSafeEqual(want, got);
}
