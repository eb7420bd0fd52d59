/**
 * Plain (uncompressed) token stream, token.c:simple_send_token() /
 * simple_recv_token().
 *
 *   int32 t:  t > 0  literal of t bytes (the bytes follow; read by the caller)
 *             t < 0  copy basis block -(t+1)
 *             t == 0 end of this file's data (the whole-file digest follows)
 */
import { CHUNK_SIZE, LIMITS } from '../constants.js';
import { ProtocolError } from '../errors.js';
import type { WireReader } from '../wire/reader.js';
import type { WireWriter } from '../wire/writer.js';

export type Token = { kind: 'literal'; length: number } | { kind: 'block'; index: number } | { kind: 'end' };

/**
 * Largest literal token accepted. rsync sends at most CHUNK_SIZE (32 KiB) per
 * token; other peers use up to 64 KiB. We accept up to 16 MiB and the caller
 * still reads the bytes in bounded pieces.
 */
export const MAX_LITERAL_TOKEN = LIMITS.MAX_LITERAL_TOKEN;

export function encodeLiteralHeader(w: WireWriter, length: number): void {
  if (!Number.isInteger(length) || length <= 0 || length > 0x7fffffff)
    throw new RangeError(`bad literal length ${length}`);
  w.i32(length);
}

export function encodeBlockToken(w: WireWriter, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > 0x7ffffffe)
    throw new RangeError(`bad block index ${index}`);
  w.i32(-(index + 1));
}

export function encodeEndToken(w: WireWriter): void {
  w.i32(0);
}

/** Write literal data as CHUNK_SIZE tokens with their bytes (as rsync does). */
export function encodeLiteral(w: WireWriter, data: Uint8Array, chunk = CHUNK_SIZE): void {
  for (let i = 0; i < data.length; i += chunk) {
    const piece = data.subarray(i, Math.min(data.length, i + chunk));
    w.i32(piece.length).bytes(piece);
  }
}

export function encodeToken(w: WireWriter, t: Token): void {
  if (t.kind === 'literal') encodeLiteralHeader(w, t.length);
  else if (t.kind === 'block') encodeBlockToken(w, t.index);
  else encodeEndToken(w);
}

export interface TokenLimits {
  /** Number of blocks in the sum_head; block tokens must be below it. Omit to skip the check. */
  blockCount?: number;
  maxLiteral?: number;
}

/** Read one token header (the literal bytes are not consumed). */
export function decodeToken(r: WireReader, limits: TokenLimits = {}): Token {
  const t = r.i32();
  if (t === 0) return { kind: 'end' };
  if (t > 0) {
    const max = limits.maxLiteral ?? MAX_LITERAL_TOKEN;
    if (t > max) {
      r.offset -= 4;
      throw new ProtocolError(`literal token of ${t} bytes exceeds ${max}`);
    }
    return { kind: 'literal', length: t };
  }
  const index = -t - 1;
  if (limits.blockCount !== undefined && index >= limits.blockCount) {
    r.offset -= 4;
    throw new ProtocolError(`invalid block index ${index} (count ${limits.blockCount})`);
  }
  return { kind: 'block', index };
}
