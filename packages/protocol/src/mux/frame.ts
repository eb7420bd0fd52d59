/**
 * Multiplexed I/O frames (io.c: write_msg / read_a_msg).
 *
 * Header: uint32 LE = ((MPLEX_BASE + tag) << 24) | length, then `length`
 * payload bytes. MSG_DATA payloads are the next bytes of the logical stream
 * (up to 0xFFFFFF per frame, empty = keep-alive); all other tags are
 * out-of-band messages with a bounded size.
 */
import { BIGPATHBUFLEN, MPLEX_BASE, MSG } from '../constants.js';
import { ProtocolError } from '../errors.js';

export interface MuxFrame {
  tag: number;
  /** May alias the chunk passed to push(); copy it if you keep it past the chunk's lifetime. */
  payload: Uint8Array;
}

const KNOWN_TAGS: ReadonlySet<number> = new Set(Object.values(MSG));

/** Largest payload we accept for a non-DATA message (rsync aborts at >= BIGPATHBUFLEN). */
export const MAX_MSG_PAYLOAD = BIGPATHBUFLEN - 1;

/** Exact payload sizes for fixed-size messages (io.c:read_a_msg). */
const FIXED_SIZES: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [MSG.REDO, [4]],
  [MSG.IO_ERROR, [4]],
  [MSG.NO_SEND, [4]],
  [MSG.IO_TIMEOUT, [4]],
  [MSG.NOOP, [0]],
  [MSG.SUCCESS, [4, 20]],
  [MSG.STATS, [8]],
  [MSG.ERROR_EXIT, [0, 4]],
]);

export function isKnownTag(tag: number): boolean {
  return KNOWN_TAGS.has(tag);
}

/** Validate a (tag, length) header; throws ProtocolError. */
export function checkFrameHeader(tag: number, length: number): void {
  if (!KNOWN_TAGS.has(tag)) throw new ProtocolError(`unexpected tag ${tag} in multiplexed stream`);
  if (tag === MSG.DATA) return;
  if (length > MAX_MSG_PAYLOAD) {
    throw new ProtocolError(
      `multiplexing overflow: message tag ${tag} with ${length} bytes (max ${MAX_MSG_PAYLOAD})`,
    );
  }
  const sizes = FIXED_SIZES.get(tag);
  if (sizes !== undefined && !sizes.includes(length)) {
    throw new ProtocolError(
      `invalid length ${length} for message tag ${tag} (expected ${sizes.join(' or ')})`,
    );
  }
}

/** Encode one frame (header + payload). */
export function encodeFrame(tag: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 255 - MPLEX_BASE) throw new RangeError(`invalid tag ${tag}`);
  if (payload.length > 0xffffff) throw new RangeError(`frame payload too long (${payload.length})`);
  const out = new Uint8Array(4 + payload.length);
  const len = payload.length;
  out[0] = len & 0xff;
  out[1] = (len >>> 8) & 0xff;
  out[2] = (len >>> 16) & 0xff;
  out[3] = tag + MPLEX_BASE;
  out.set(payload, 4);
  return out;
}

/** Split `data` into MSG_DATA frames of at most `maxPayload` bytes each (one empty frame for empty data). */
export function encodeDataFrames(data: Uint8Array, maxPayload = 0xffffff): Uint8Array[] {
  if (data.length === 0) return [encodeFrame(MSG.DATA, data)];
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += maxPayload) {
    out.push(encodeFrame(MSG.DATA, data.subarray(i, Math.min(data.length, i + maxPayload))));
  }
  return out;
}

/** Encode a message whose payload is one int32 LE (MSG_IO_ERROR, MSG_NO_SEND, ...). */
export function encodeIntFrame(tag: number, value: number): Uint8Array {
  const p = new Uint8Array(4);
  new DataView(p.buffer).setInt32(0, value | 0, true);
  return encodeFrame(tag, p);
}

/** Read the int32 LE payload of a fixed-size message. */
export function frameInt(frame: MuxFrame): number {
  if (frame.payload.length < 4) throw new ProtocolError(`message tag ${frame.tag} too short`);
  const p = frame.payload;
  return new DataView(p.buffer, p.byteOffset, p.byteLength).getInt32(0, true);
}

/**
 * Incremental frame decoder. push() returns every frame completed by the new
 * bytes and keeps the remainder. Payload bytes are kept as received chunks
 * until the frame is complete, so a large declared length never allocates
 * more than what actually arrived. After a ProtocolError the decoder is
 * unusable (the stream is out of sync).
 */
export class MuxDecoder {
  private header = new Uint8Array(4);
  private headerLen = 0;
  private tag = -1;
  private want = 0;
  private parts: Uint8Array[] = [];
  private got = 0;
  private failed: ProtocolError | undefined;

  /** True when no partial frame is buffered. */
  get idle(): boolean {
    return this.headerLen === 0 && this.tag < 0;
  }

  push(chunk: Uint8Array): MuxFrame[] {
    if (this.failed) throw this.failed;
    const frames: MuxFrame[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.tag < 0) {
        while (this.headerLen < 4 && i < chunk.length) this.header[this.headerLen++] = chunk[i++] as number;
        if (this.headerLen < 4) break;
        const h = this.header;
        const len = (h[0] as number) | ((h[1] as number) << 8) | ((h[2] as number) << 16);
        const tag = (h[3] as number) - MPLEX_BASE;
        try {
          checkFrameHeader(tag, len);
        } catch (e) {
          this.failed = e as ProtocolError;
          throw e;
        }
        this.headerLen = 0;
        this.tag = tag;
        this.want = len;
        this.got = 0;
        this.parts = [];
        if (len === 0) {
          frames.push({ tag, payload: new Uint8Array(0) });
          this.tag = -1;
        }
        continue;
      }
      const take = Math.min(this.want - this.got, chunk.length - i);
      const piece = chunk.subarray(i, i + take);
      i += take;
      this.got += take;
      if (this.got === this.want && this.parts.length === 0) {
        frames.push({ tag: this.tag, payload: piece });
      } else {
        this.parts.push(piece.slice());
        if (this.got === this.want) frames.push({ tag: this.tag, payload: concat(this.parts, this.want) });
      }
      if (this.got === this.want) {
        this.tag = -1;
        this.parts = [];
      }
    }
    return frames;
  }
}

/**
 * Frame decoding for a consumer of the data stream: MSG_DATA payload bytes
 * are handed over as they arrive (pieces of a frame, without collecting the
 * whole frame), other messages whole. Same validation as MuxDecoder.
 */
export class MuxStreamDecoder {
  #header = new Uint8Array(4);
  #headerLen = 0;
  /** Bytes of the current frame still to come. */
  #left = 0;
  /** Tag of the current frame (-1 between frames). */
  #tag = -1;
  #parts: Uint8Array[] = [];
  #got = 0;

  push(chunk: Uint8Array, onData: (piece: Uint8Array) => void, onMessage: (f: MuxFrame) => void): void {
    let i = 0;
    while (i < chunk.length || (this.#tag >= 0 && this.#left === 0)) {
      if (this.#tag < 0) {
        while (this.#headerLen < 4 && i < chunk.length)
          this.#header[this.#headerLen++] = chunk[i++] as number;
        if (this.#headerLen < 4) return;
        this.#headerLen = 0;
        const h = this.#header;
        const len = (h[0] as number) | ((h[1] as number) << 8) | ((h[2] as number) << 16);
        const tag = (h[3] as number) - MPLEX_BASE;
        checkFrameHeader(tag, len);
        this.#tag = tag;
        this.#left = len;
        this.#parts = [];
        this.#got = 0;
      }
      const take = Math.min(this.#left, chunk.length - i);
      const piece = chunk.subarray(i, i + take);
      i += take;
      this.#left -= take;
      if (this.#tag === MSG.DATA) {
        if (take > 0) onData(piece);
      } else if (take > 0) {
        this.#parts.push(piece.slice());
        this.#got += take;
      }
      if (this.#left === 0) {
        const tag = this.#tag;
        this.#tag = -1;
        if (tag !== MSG.DATA) onMessage({ tag, payload: concat(this.#parts, this.#got) });
      }
    }
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
