/**
 * The receiving half of rsync's deflate token streams (token.c:
 * recv_deflated_token(), see_deflate_token()) on pako's zlib port: one raw
 * inflate stream (windowBits -15) reset per file; DEFLATED_DATA is inflated
 * with Z_NO_FLUSH; before the next token the stripped `00 00 ff ff` of the
 * sender's sync flush is fed back; for "zlib" (not "zlibx") every matched
 * block is fed in as fake stored blocks so later back-references resolve.
 */
import {
  ZStream,
  Z_BUF_ERROR,
  Z_NO_FLUSH,
  Z_OK,
  Z_STREAM_END,
  Z_SYNC_FLUSH,
  zlibInflate,
  zlibInflateInit2,
  zlibInflateReset,
} from 'pako';
import { StreamError } from '../errors.js';

const OUT_SIZE = 64 * 1024;
const SYNC_TAIL = Uint8Array.of(0, 0, 0xff, 0xff);

export class ZlibInflater {
  readonly #s = new ZStream();
  readonly #out = new Uint8Array(OUT_SIZE);
  /** Inflated data was pushed since the last sync tail. */
  #pending = false;

  constructor(private readonly protocol: number) {
    if (zlibInflateInit2(this.#s, -15) !== Z_OK) throw new StreamError('inflate init failed');
  }

  /** Start of a file: inflateReset(). */
  reset(): void {
    zlibInflateReset(this.#s);
    this.#pending = false;
  }

  #run(input: Uint8Array, flush: 0 | 2, onData: ((b: Uint8Array) => void) | undefined): void {
    const s = this.#s;
    s.input = input;
    s.next_in = 0;
    s.avail_in = input.length;
    do {
      s.output = this.#out;
      s.next_out = 0;
      s.avail_out = OUT_SIZE;
      const r = zlibInflate(s, flush === 2 ? Z_SYNC_FLUSH : Z_NO_FLUSH);
      if (r !== Z_OK && r !== Z_BUF_ERROR && r !== Z_STREAM_END) {
        throw new StreamError(`inflate returned ${r} (${s.msg || 'corrupt data'})`);
      }
      const n = OUT_SIZE - s.avail_out;
      if (n > 0 && onData) onData(this.#out.subarray(0, n));
      if (r === Z_BUF_ERROR && n === 0) break;
    } while (s.avail_in > 0 || s.avail_out === 0);
  }

  /** A DEFLATED_DATA payload. */
  data(chunk: Uint8Array, onData: (b: Uint8Array) => void): void {
    this.#run(chunk, 0, onData);
    this.#pending = true;
  }

  /** A token or the end follows data: drain, then restore the sync flush's empty stored block. */
  endData(onData: (b: Uint8Array) => void): void {
    if (!this.#pending) return;
    this.#pending = false;
    this.#run(new Uint8Array(0), 2, onData);
    this.#run(SYNC_TAIL, 2, undefined);
  }

  /** see_deflate_token(): put a matched block into the history as stored blocks. */
  see(block: Uint8Array): void {
    let off = 0;
    let left = block.length;
    while (left > 0) {
      const n = Math.min(left, 0xffff);
      const hdr = Uint8Array.of(0, n & 0xff, n >>> 8, ~n & 0xff, (~n >>> 8) & 0xff);
      this.#run(hdr, 2, undefined);
      // protocol < 31 feeds the first 64 KiB - 1 again and again (rsync's bug)
      const piece = this.protocol >= 31 ? block.subarray(off, off + n) : block.subarray(0, n);
      this.#run(piece, 2, undefined);
      off += n;
      left -= n;
    }
  }
}
