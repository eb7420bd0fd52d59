/**
 * Reading one file's token stream (token.c: simple_recv_token(),
 * recv_deflated_token(), recv_zstd_token(), recv_compressed_token()).
 *
 * Plain:       int32 t: > 0 literal of t bytes, < 0 block -(t+1), 0 end.
 * Compressed:  flag bytes (token.c):
 *   0x00                   END_FLAG
 *   0x40|hi, lo, data[n]   DEFLATED_DATA, n <= 16383
 *   0x80|r                 TOKEN_REL      block = last + r
 *   0xC0|r, c_lo, c_hi     TOKENRUN_REL   blocks last+r .. last+r+c
 *   0x20, int32            TOKEN_LONG
 *   0x21, int32, c_lo,c_hi TOKENRUN_LONG
 * "last" starts at 0 for each file and is the last block of the previous run.
 */
import { ProtocolError, StreamError } from '../errors.js';
import type { CompressName } from '../options/transfer-options.js';
import type { DataIn } from '../session/data-in.js';
import { lz4DecompressBlock } from './lz4-block.js';
import { ZlibInflater } from './zlib-inflater.js';
import { ZstdStream } from './zstd-stream.js';

export interface TokenHandlers {
  /** Literal bytes (a view valid only during the call). */
  literal(data: Uint8Array): void;
  /** A matched block; returns its bytes (needed to feed the zlib history). */
  block(index: number): Uint8Array;
}

/** Largest plain literal token accepted; rsync sends <= 32 KiB, read in pieces anyway. */
const MAX_PLAIN_LITERAL = 16 * 1024 * 1024;
const MAX_DATA_COUNT = 16383;
const MAX_TOKEN_INDEX = 0x7ffffffe;
const LZ4_OUT = 64 * 1024;

export class TokenReader {
  readonly #kind: CompressName | undefined;
  #zlib: ZlibInflater | undefined;
  #zstd: ZstdStream | undefined;
  #zstdOut: Uint8Array[] = [];

  constructor(kind: CompressName | undefined, protocol: number) {
    this.#kind = kind === 'none' ? undefined : kind;
    if (this.#kind === 'zlib' || this.#kind === 'zlibx') this.#zlib = new ZlibInflater(protocol);
    if (this.#kind === 'zstd') this.#zstd = new ZstdStream((d) => this.#zstdOut.push(d));
  }

  /** Reads tokens up to and including the end marker. */
  async readFile(input: DataIn, blockCount: number, h: TokenHandlers): Promise<void> {
    if (this.#kind === undefined) return this.#plain(input, blockCount, h);
    return this.#compressed(input, blockCount, h);
  }

  async #plain(input: DataIn, count: number, h: TokenHandlers): Promise<void> {
    for (;;) {
      const t = input.tryRead((r) => r.i32()) ?? (await input.read((r) => r.i32()));
      if (t === 0) return;
      if (t > 0) {
        if (t > MAX_PLAIN_LITERAL)
          throw new ProtocolError(`literal token of ${t} bytes exceeds ${MAX_PLAIN_LITERAL}`);
        await input.readInto(t, (p) => h.literal(p));
      } else {
        const i = -(t + 1);
        if (i >= count) throw new ProtocolError(`Invalid block index ${i} (count ${count})`);
        h.block(i);
      }
    }
  }

  async #compressed(input: DataIn, count: number, h: TokenHandlers): Promise<void> {
    const zlib = this.#zlib;
    const see = this.#kind === 'zlib';
    zlib?.reset();
    let last = 0;
    const onData = (d: Uint8Array) => h.literal(d);
    const emitBlock = (i: number) => {
      if (i < 0 || i >= count) throw new ProtocolError(`Invalid block index ${i} (count ${count})`);
      const data = h.block(i);
      if (see) zlib!.see(data);
    };
    for (;;) {
      const flag = await input.read((r) => r.u8());
      if ((flag & 0xc0) === 0x40) {
        const n = ((flag & 0x3f) << 8) | (await input.read((r) => r.u8()));
        if (n === 0 || n > MAX_DATA_COUNT) throw new ProtocolError(`invalid compressed chunk length ${n}`);
        const chunk = await input.read((r) => r.bytes(n).slice());
        this.#inflate(chunk, onData);
        continue;
      }
      zlib?.endData(onData);
      if (this.#zstd) this.#flushZstd(onData);
      if (flag === 0) return;
      let token: number;
      if (flag & 0x80) {
        const incr = flag & 0x3f;
        if (last > MAX_TOKEN_INDEX - incr) throw new ProtocolError('invalid compressed token');
        token = last + incr;
      } else if (flag === 0x20 || flag === 0x21) {
        token = await input.read((r) => r.i32());
        if (token < 0 || token > MAX_TOKEN_INDEX)
          throw new ProtocolError(`invalid compressed token ${token}`);
      } else throw new ProtocolError(`invalid compressed token flag 0x${flag.toString(16)}`);
      const isRun = (flag & 0x80 ? flag >> 6 : flag) & 1;
      let run = 0;
      if (isRun) {
        run = await input.read((r) => r.u8() | (r.u8() << 8));
        if (run <= 0 || token > MAX_TOKEN_INDEX - run)
          throw new ProtocolError('invalid compressed token run');
      }
      emitBlock(token);
      for (let k = 0; k < run; k++) emitBlock(++token);
      last = token;
    }
  }

  #flushZstd(onData: (d: Uint8Array) => void): void {
    try {
      this.#zstd!.flush();
    } catch (e) {
      throw new StreamError(`ZSTD decomp failed: ${(e as Error).message}`);
    }
    const out = this.#zstdOut;
    this.#zstdOut = [];
    for (const d of out) onData(d);
  }

  #inflate(chunk: Uint8Array, onData: (d: Uint8Array) => void): void {
    switch (this.#kind) {
      case 'zlib':
      case 'zlibx':
        this.#zlib!.data(chunk, onData);
        return;
      case 'zstd': {
        try {
          this.#zstd!.push(chunk);
        } catch (e) {
          throw new StreamError(`ZSTD decomp failed: ${(e as Error).message}`);
        }
        const out = this.#zstdOut;
        this.#zstdOut = [];
        for (const d of out) onData(d);
        return;
      }
      case 'lz4':
        onData(lz4DecompressBlock(chunk, LZ4_OUT));
        return;
      default:
        throw new ProtocolError('compressed data without compression');
    }
  }
}
