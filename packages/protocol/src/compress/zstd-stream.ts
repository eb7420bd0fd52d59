/**
 * A streaming zstd decoder for rsync's token stream: fzstd's Decompress plus
 * a flush. fzstd holds back up to 18 bytes at the start of a frame (the
 * largest frame header) until more input arrives, but rsync flushes after
 * every token (token.c:send_zstd_token(), ZSTD_e_flush), so the first file
 * of a session can be a frame header and one block of fewer bytes, and
 * nothing more may come until the receiver has answered. flush() gets that
 * output out:
 * - bytes that form complete frames (our own sender writes one frame per
 *   segment) are decoded on their own;
 * - otherwise they are a header and complete non-last blocks (a flush always
 *   ends at a block boundary), and empty raw blocks (3 zero bytes each, valid
 *   and producing nothing) make up the 18 bytes.
 * This reads fzstd's private fields `s` (frame state; undefined or 0 between
 * frames, a positive number inside a skippable frame) and `c`/`l` (held-back chunks and their length) of the pinned
 * version; the tests in token-writer.test.ts and the tiny-file pulls in
 * test/interop/pull-options.interop.test.ts fail if that changes.
 */
import { Decompress, decompress } from 'fzstd';

const FRAME_HEADER_MAX = 18;
const EMPTY_RAW_BLOCK = new Uint8Array(3);

interface FzstdInternals {
  s: unknown;
  c: Uint8Array[];
  l: number;
}

export class ZstdStream {
  #d: Decompress;
  readonly #onData: (d: Uint8Array) => void;

  constructor(onData: (d: Uint8Array) => void) {
    this.#onData = onData;
    this.#d = new Decompress((d) => onData(d));
  }

  push(chunk: Uint8Array): void {
    this.#d.push(chunk);
  }

  /** Decodes whatever fzstd is holding back at a frame start. */
  flush(): void {
    const st = this.#d as unknown as FzstdInternals;
    if (st.s || st.l === 0 || st.l >= FRAME_HEADER_MAX) return;
    const held = concat(st.c, st.l);
    let whole: Uint8Array | undefined;
    try {
      whole = decompress(held);
    } catch {
      whole = undefined;
    }
    if (whole) {
      this.#d = new Decompress((d) => this.#onData(d));
      if (whole.length) this.#onData(whole);
      return;
    }
    while ((this.#d as unknown as FzstdInternals).l > 0 && !(this.#d as unknown as FzstdInternals).s)
      this.#d.push(EMPTY_RAW_BLOCK);
  }
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
