/**
 * Writing one file's token stream: the sending half of token.c
 * (simple_send_token(), send_deflated_token(), send_zstd_token(),
 * send_compressed_token()); the receiving half is token-reader.ts.
 *
 * rsync hands its compressor a literal run together with the token that
 * follows it (send_token(token, literal)); the literal is only sent alone
 * (token -2, no flush) when match.c gets bored of accumulating it. Here the
 * literal is held back (at most CHUNK_SIZE bytes; zstd: ZSTD_SEGMENT) until
 * the next block() / endFile(), and a full piece goes out alone only when
 * more literal data follows, which is what match.c does for a file without
 * a basis (32 KiB pieces, the rest with the end token). With a basis rsync
 * may attach up to blength more bytes to the token; that changes only where
 * DEFLATED_DATA frames are cut, not the data.
 *
 * zstd: no wasm build of libzstd that is kept up to date exposes
 * ZSTD_compressStream2(ZSTD_e_flush), so every flushed segment is an
 * independent zstd frame (bench/delta/zstd-libs.ts). rsync's receiver feeds
 * all chunks of the session to one ZSTD_decompressStream(), which decodes
 * concatenated frames, as does fzstd's streaming decoder.
 */
import {
  ZStream,
  Z_DEFAULT_STRATEGY,
  Z_NO_FLUSH,
  Z_OK,
  Z_SYNC_FLUSH,
  zlibDeflate,
  zlibDeflateInit2,
  zlibDeflateReset,
  zlibDeflateSetDictionary,
} from 'pako';
import { StreamError } from '../errors.js';
import type { CompressName } from '../options/transfer-options.js';
import type { TokenSink } from '../sender/sender.js';
import type { WireWriter } from '../wire/writer.js';
import { lz4CompressBlock } from './lz4-block.js';

const CHUNK_SIZE = 32768;
const MAX_DATA_COUNT = 16383;
/** Literal bytes per zstd frame: larger frames keep more history (see the file comment). */
const ZSTD_SEGMENT = 256 * 1024;
const MAX_TOKEN_INDEX = 0x7ffffffe;
const END_FLAG = 0;
const TOKEN_LONG = 0x20;
const TOKENRUN_LONG = 0x21;
const DEFLATED_DATA = 0x40;
const TOKEN_REL = 0x80;
const TOKENRUN_REL = 0xc0;
const EMPTY = new Uint8Array(0);

type ZstdLib = typeof import('@bokuweb/zstd-wasm');
let zstdLib: ZstdLib | undefined;
let zstdCctx = 0;
let zstdLoading: Promise<void> | undefined;

/** Loads the zstd encoder (wasm, once per process); await it before making a 'zstd' TokenWriter. */
export function loadZstdEncoder(): Promise<void> {
  zstdLoading ??= import('@bokuweb/zstd-wasm').then(async (lib) => {
    await lib.init();
    zstdCctx = lib.createCCtx();
    zstdLib = lib;
  });
  return zstdLoading;
}

/** The token writer for a session's negotiated compression (loads the zstd encoder when needed). */
export async function tokenWriterFor(
  kind: CompressName | undefined,
  protocol: number,
  level?: number,
): Promise<TokenWriter> {
  if (kind === 'zstd') await loadZstdEncoder();
  return new TokenWriter(kind, protocol, level);
}

export class TokenWriter implements TokenSink {
  readonly #kind: Exclude<CompressName, 'none'> | undefined;
  readonly #protocol: number;
  readonly #level: number;
  #zs: ZStream | undefined;
  #zout: Uint8Array<ArrayBuffer> | undefined;
  /** token.c: last_token (-1 = start of a file, -2 = data sent without a token), run_start, last_run_end */
  #lastToken = -1;
  #runStart = 0;
  #lastRunEnd = 0;
  #flushPending = false;
  readonly #pend: Uint8Array;
  #pendLen = 0;
  /** Only 'zlib' feeds matched blocks into the deflater (token.c:send_deflated_token()). */
  get wantsBlockData(): boolean {
    return this.#kind === 'zlib';
  }

  /** `level`: zlib 1..9 (default 6), zstd (default 3); ignored by lz4. */
  constructor(kind: CompressName | undefined, protocol: number, level?: number) {
    this.#kind = kind === 'none' ? undefined : kind;
    this.#protocol = protocol;
    if (this.#kind === 'zlib' || this.#kind === 'zlibx') {
      // token.c:init_compression_level(): default 6, else clamped to 1..9 (level 0,
      // rsync's "no compression", is for the caller to turn into kind 'none')
      this.#level = level === undefined || level === -1 ? 6 : Math.max(1, Math.min(9, level));
      this.#zs = new ZStream();
      // legacy hash: the output of zlib 1.2.x (rsync's bundled zlib) rather than pako's own
      const r = zlibDeflateInit2(this.#zs, this.#level, 8, -15, 8, Z_DEFAULT_STRATEGY, true);
      if (r !== Z_OK) throw new StreamError('compression init failed');
      this.#zout = new Uint8Array(MAX_DATA_COUNT);
    } else if (this.#kind === 'zstd') {
      if (!zstdLib) throw new Error('zstd encoder not loaded: await loadZstdEncoder() first');
      this.#level = !level ? 3 : Math.max(-131072, Math.min(22, level));
    } else this.#level = 0;
    this.#pend = new Uint8Array(this.#kind === 'zstd' ? ZSTD_SEGMENT : CHUNK_SIZE);
  }

  /** Literal bytes of the current file, any length; `data` is not kept after the call. */
  literal(w: WireWriter, data: Uint8Array): void {
    const cap = this.#pend.length;
    let off = 0;
    while (this.#pendLen + data.length - off > cap) {
      if (this.#pendLen === 0) {
        this.#send(w, -2, data.subarray(off, off + cap), EMPTY);
        off += cap;
      } else {
        const n = cap - this.#pendLen;
        this.#pend.set(data.subarray(off, off + n), this.#pendLen);
        off += n;
        this.#pendLen = 0;
        this.#send(w, -2, this.#pend, EMPTY);
      }
    }
    this.#pend.set(data.subarray(off), this.#pendLen);
    this.#pendLen += data.length - off;
  }

  /** Matched block `index` with its bytes (needed by "zlib" only; others may pass an empty array). */
  block(w: WireWriter, index: number, data: Uint8Array): void {
    if (!Number.isInteger(index) || index < 0 || index > MAX_TOKEN_INDEX)
      throw new RangeError(`invalid block index ${index}`);
    if (this.#kind === 'zlib' && data.length === 0) throw new RangeError('zlib needs the matched block data');
    this.#send(w, index, this.#takePending(), data);
  }

  /** End of the file's tokens; the next call starts a new file. */
  endFile(w: WireWriter): void {
    this.#send(w, -1, this.#takePending(), EMPTY);
  }

  #takePending(): Uint8Array {
    const d = this.#pend.subarray(0, this.#pendLen);
    this.#pendLen = 0;
    return d;
  }

  /** token.c:send_token(): literal `data`, then `token` (>= 0 block, -1 end, -2 none). */
  #send(w: WireWriter, token: number, data: Uint8Array, blockData: Uint8Array): void {
    if (this.#kind === undefined) return plainToken(w, token, data);
    this.#runs(w, token, data.length);
    if (data.length !== 0 || this.#flushPending) {
      if (this.#kind === 'zlib' || this.#kind === 'zlibx') this.#deflate(w, token, data);
      else if (data.length !== 0) {
        // zstd frames and lz4 blocks hold nothing back: a flush alone has nothing to send
        if (this.#kind === 'zstd')
          writeChunks(w, zstdLib!.compressUsingDict(zstdCctx, data, EMPTY, this.#level));
        else lz4Chunks(w, data);
      }
      this.#flushPending = token === -2;
    }
    if (token === -1) w.u8(END_FLAG);
    else if (token !== -2 && this.#kind === 'zlib') this.#insert(blockData);
  }

  /** The run bookkeeping shared by send_deflated_token(), send_zstd_token(), send_compressed_token(). */
  #runs(w: WireWriter, token: number, nb: number): void {
    const last = this.#lastToken;
    if (last === -1) {
      if (this.#zs) zlibDeflateReset(this.#zs);
      this.#lastRunEnd = 0;
      this.#runStart = token;
      this.#flushPending = false;
    } else if (last === -2) {
      this.#runStart = token;
    } else if (nb !== 0 || token !== last + 1 || token >= this.#runStart + 65536) {
      const r = this.#runStart - this.#lastRunEnd;
      const n = last - this.#runStart;
      if (r >= 0 && r <= 63) w.u8((n === 0 ? TOKEN_REL : TOKENRUN_REL) + r);
      else w.u8(n === 0 ? TOKEN_LONG : TOKENRUN_LONG).i32(this.#runStart);
      if (n !== 0) w.u8(n & 0xff).u8(n >>> 8);
      this.#lastRunEnd = last;
      this.#runStart = token;
    }
    this.#lastToken = token;
  }

  /**
   * send_deflated_token()'s data loop: input in CHUNK_SIZE pieces, output in
   * DEFLATED_DATA frames; a sync flush ends the data unless token is -2, and
   * its trailing 00 00 ff ff is held back and dropped (the receiver restores it).
   */
  #deflate(w: WireWriter, token: number, data: Uint8Array): void {
    const s = this.#zs!;
    const out = this.#zout!;
    let flush: typeof Z_NO_FLUSH | typeof Z_SYNC_FLUSH = Z_NO_FLUSH;
    let nb = data.length;
    let off = 0;
    s.avail_in = 0;
    s.avail_out = 0;
    do {
      if (s.avail_in === 0 && nb !== 0) {
        const n = Math.min(nb, CHUNK_SIZE);
        s.input = data;
        s.next_in = off;
        s.avail_in = n;
        nb -= n;
        off += n;
      }
      if (s.avail_out === 0) {
        s.output = out;
        s.next_out = 0;
        s.avail_out = MAX_DATA_COUNT;
        if (flush !== Z_NO_FLUSH) {
          // the last 4 bytes of a full frame may be the sync marker: carry them over
          out.copyWithin(0, MAX_DATA_COUNT - 4);
          s.next_out = 4;
          s.avail_out -= 4;
        }
      }
      if (nb === 0 && token !== -2) flush = Z_SYNC_FLUSH;
      const r = zlibDeflate(s, flush);
      if (r !== Z_OK) throw new StreamError(`deflate returned ${r}`);
      if (nb === 0 || s.avail_out === 0) {
        let n = MAX_DATA_COUNT - s.avail_out;
        if (flush !== Z_NO_FLUSH) n -= 4;
        if (n > 0)
          w.u8(DEFLATED_DATA + (n >> 8))
            .u8(n & 0xff)
            .bytes(out.subarray(0, n));
      }
    } while (nb !== 0 || s.avail_out === 0);
    s.input = EMPTY;
  }

  /**
   * The matched block enters the deflate history without output, like
   * rsync's Z_INSERT_ONLY (its bundled zlib only). deflateSetDictionary() is
   * the stock equivalent for raw deflate at a block boundary, which this is:
   * a sync flush or another insertion always precedes. Pieces of at most
   * 0xffff bytes as see_deflate_token() takes them; protocol < 31 repeats the
   * block's first piece (rsync's offset bug, which its receiver shares).
   */
  #insert(block: Uint8Array): void {
    const s = this.#zs!;
    let left = block.length;
    let off = 0;
    while (left > 0) {
      const n = Math.min(left, 0xffff);
      left -= n;
      const piece = block.subarray(off, off + n);
      if (this.#protocol >= 31) off += n;
      if (zlibDeflateSetDictionary(s, piece) !== Z_OK) throw new StreamError('deflate on token failed');
    }
  }
}

/** token.c:simple_send_token() */
function plainToken(w: WireWriter, token: number, data: Uint8Array): void {
  for (let p = 0; p < data.length; p += CHUNK_SIZE) {
    const piece = data.subarray(p, p + CHUNK_SIZE);
    w.i32(piece.length).bytes(piece);
  }
  if (token !== -2) w.i32(-(token + 1));
}

/** Compressed bytes as DEFLATED_DATA frames of at most MAX_DATA_COUNT bytes. */
function writeChunks(w: WireWriter, c: Uint8Array): void {
  for (let p = 0; p < c.length; p += MAX_DATA_COUNT) {
    const n = Math.min(MAX_DATA_COUNT, c.length - p);
    w.u8(DEFLATED_DATA + (n >> 8))
      .u8(n & 0xff)
      .bytes(c.subarray(p, p + n));
  }
}

/**
 * send_compressed_token(): each frame is one LZ4 block of at most
 * MAX_DATA_COUNT input bytes; input is halved until the block fits a frame.
 * (rsync would emit an empty block for a flush without data, which its own
 * receiver takes for the end of the file; the held-back literal makes that
 * case impossible here.)
 */
function lz4Chunks(w: WireWriter, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    let n = Math.min(data.length - off, MAX_DATA_COUNT);
    let c = lz4CompressBlock(data.subarray(off, off + n));
    while (c.length > MAX_DATA_COUNT) {
      n >>= 1;
      c = lz4CompressBlock(data.subarray(off, off + n));
    }
    w.u8(DEFLATED_DATA + (c.length >> 8))
      .u8(c.length & 0xff)
      .bytes(c);
    off += n;
  }
}
