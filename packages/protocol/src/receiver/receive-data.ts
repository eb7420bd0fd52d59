/**
 * receiver.c:receive_data(): rebuilds one file from the sender's tokens,
 * literal bytes and blocks of the basis, into a temp file (or in place), and
 * checks the whole-file digest.
 */
import fs from 'node:fs';
import { FileIOError, ProtocolError } from '../errors.js';
import type { SumHead } from '../transfer/sum-head.js';
import type { TokenReader } from '../compress/token-reader.js';
import type { ReceiveContext } from './context.js';

const WRITE_BUF = 256 * 1024;

/**
 * One write buffer per receiving session: a session writes one file at a time,
 * but a daemon runs many sessions in one process (a buffer shared between them
 * mixed one client's bytes into another's files).
 */
const SESSION_BUFS = new WeakMap<ReceiveContext, Buffer>();

function sessionBuffer(ctx: ReceiveContext): Buffer {
  let b = SESSION_BUFS.get(ctx);
  if (!b) SESSION_BUFS.set(ctx, (b = Buffer.allocUnsafe(WRITE_BUF)));
  return b;
}

/** Buffered positional writes; in place, blocks already at their offset are skipped. */
class FileWriter {
  readonly #buf: Buffer;
  #len = 0;
  #bufStart = 0;
  offset = 0;
  constructor(
    private readonly fd: number,
    private readonly describe: () => string,
    buf: Buffer,
  ) {
    this.#buf = buf;
  }

  write(data: Uint8Array): void {
    let p = 0;
    while (p < data.length) {
      if (this.#len === this.#buf.length) this.flush();
      const n = Math.min(data.length - p, this.#buf.length - this.#len);
      this.#buf.set(data.subarray(p, p + n), this.#len);
      this.#len += n;
      p += n;
    }
    this.offset += data.length;
  }

  /** Moves the file offset without writing (in-place block at its own position). */
  skip(n: number): void {
    this.flush();
    this.offset += n;
    this.#bufStart = this.offset;
  }

  flush(): void {
    let done = 0;
    while (done < this.#len) {
      try {
        done += fs.writeSync(this.fd, this.#buf, done, this.#len - done, this.#bufStart + done);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new FileIOError(`write failed on ${this.describe()}: ${err.message}`, { cause: e });
      }
    }
    this.#bufStart += this.#len;
    this.#len = 0;
  }
}

export interface ReceiveDataOptions {
  head: SumHead;
  /** Basis file descriptor (or undefined: no basis). */
  basisFd: number | undefined;
  /** Output file descriptor. */
  outFd: number;
  inplace: boolean;
  describe: () => string;
  onProgress?: (done: number) => void;
}

/** Returns true when the digest matched. The token stream is always consumed. */
export async function receiveData(
  ctx: ReceiveContext,
  tokens: TokenReader,
  o: ReceiveDataOptions,
): Promise<boolean> {
  const h = o.head;
  const hasher = ctx.checksum.fileHasher();
  const out = new FileWriter(o.outFd, o.describe, sessionBuffer(ctx));
  const blockBuf = Buffer.allocUnsafe(Math.max(1, h.blength));
  const stats = ctx.stats;
  let sinceProgress = 0;
  await tokens.readFile(ctx.input, h.count, {
    literal(data) {
      out.write(data);
      hasher.update(data);
      stats.literalData += data.length;
      sinceProgress += data.length;
      if (sinceProgress >= 1 << 20 && o.onProgress) {
        sinceProgress = 0;
        o.onProgress(out.offset);
      }
    },
    block(i) {
      if (o.basisFd === undefined)
        throw new ProtocolError(`got a block match (${i}) with no basis file for ${o.describe()}`);
      const off = i * h.blength;
      const len = i === h.count - 1 && h.remainder !== 0 ? h.remainder : h.blength;
      const data = blockBuf.subarray(0, len);
      let got = 0;
      while (got < len) {
        const n = fs.readSync(o.basisFd, data, got, len - got, off + got);
        if (n <= 0) break;
        got += n;
      }
      if (got < len) data.fill(0, got);
      if (o.inplace && off === out.offset) out.skip(len);
      else out.write(data);
      hasher.update(data);
      stats.matchedData += len;
      return data;
    },
  });
  out.flush();
  if (o.inplace) {
    try {
      fs.ftruncateSync(o.outFd, out.offset);
    } catch (e) {
      throw new FileIOError(`ftruncate failed on ${o.describe()}`, { cause: e });
    }
  }
  o.onProgress?.(out.offset);
  const sumLen = ctx.checksum.digestLength;
  const theirs = await ctx.input.read((r) => r.bytes(sumLen).slice());
  const ours = hasher.digest();
  if (ours.length !== theirs.length) return false;
  for (let k = 0; k < ours.length; k++) if (ours[k] !== theirs[k]) return false;
  return true;
}

/** Consumes a file's token stream without writing anything (discard_receive_data()). */
export async function discardData(ctx: ReceiveContext, tokens: TokenReader, head: SumHead): Promise<void> {
  await tokens.readFile(ctx.input, head.count, {
    literal: () => undefined,
    block: () => new Uint8Array(0),
  });
  await ctx.input.read((r) => r.bytes(ctx.checksum.digestLength));
}
