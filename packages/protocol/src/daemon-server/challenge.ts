/**
 * The daemon's side of rsync's challenge-response login
 * (authenticate.c: gen_challenge(), auth_server()): a random challenge, and
 * the client's answer checked against H(password || challenge) in constant
 * time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { authResponse, base64NoPad, type NegotiatedAuthDigest } from '../daemon/codec.js';

/** 16 random bytes, base64 without padding (22 characters, as rsync's). */
export function makeChallenge(): string {
  return base64NoPad(randomBytes(16));
}

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
