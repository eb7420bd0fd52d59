/**
 * The sender's main loop (sender.c:send_files(), rsync.c:read_ndx_and_attrs()):
 * answer each request of the peer's generator with the file's delta against
 * the block sums it sent (or echo the item record when nothing is to be
 * transferred), keep the incremental file lists flowing, and walk the
 * phases. Everything read off the wire is bounded before use.
 */
import fs from 'node:fs';
import { CHUNK_SIZE, matchBlocks, type Signature, type StrongChecksum } from '@tsrsync/delta';
import { FNAMECMP, IOERR, ITEM, MSG, NDX_DEL_STATS, NDX_DONE, MAXPATHLEN } from '../constants.js';
import { ProtocolError } from '../errors.js';
import { isReg } from '../flist/file-entry.js';
import type { TransferOptions } from '../options/transfer-options.js';
import type { DataIn } from '../session/data-in.js';
import type { DataOut } from '../session/data-out.js';
import type { SessionSettings } from '../session/settings.js';
import { decodeSumHead, encodeSumHead, type SumHead } from '../transfer/sum-head.js';
import { decodeNdx, encodeNdx, NdxState } from '../wire/ndx.js';
import type { WireReader } from '../wire/reader.js';
import type { WireWriter } from '../wire/writer.js';
import type { TransferStats, MessageLevel } from '../receiver/reporter.js';
import type { SendEntry } from './scan.js';
import type { SendFileLists, SendList } from './send-lists.js';

/** Writes one file's token stream (plain or compressed). */
export interface TokenSink {
  literal(w: WireWriter, data: Uint8Array): void;
  block(w: WireWriter, index: number, data: Uint8Array): void;
  endFile(w: WireWriter): void;
  /** Only 'zlib' needs the bytes of matched blocks. */
  readonly wantsBlockData: boolean;
}

/** token.c:simple_send_token(): int32 length + literal, -(block+1), 0 at the end. */
export class PlainTokens implements TokenSink {
  readonly wantsBlockData = false;
  literal(w: WireWriter, data: Uint8Array): void {
    for (let p = 0; p < data.length; p += 32768) {
      const n = Math.min(32768, data.length - p);
      w.i32(n).bytes(data.subarray(p, p + n));
    }
  }
  block(w: WireWriter, index: number): void {
    w.i32(-(index + 1));
  }
  endFile(w: WireWriter): void {
    w.i32(0);
  }
}

/** Files ahead of the current one before more sub-lists are sent (rsync.h MIN_FILECNT_LOOKAHEAD). */
const MIN_FILECNT_LOOKAHEAD = 1000;
const READ_CHUNK = 1 << 20;
const SUMS_PER_READ = 4096;

export interface SenderInit {
  input: DataIn;
  out: DataOut;
  s: SessionSettings;
  o: TransferOptions;
  checksum: StrongChecksum;
  lists: SendFileLists;
  tokens: TokenSink;
  stats: TransferStats;
  amServer: boolean;
  message(level: MessageLevel, text: string): void;
  /** A file was sent or an item record passed (client -v/-i output). */
  item?: ((e: SendEntry, iflags: number, xname: Uint8Array | undefined) => void) | undefined;
}

interface Request {
  ndx: number;
  iflags: number;
  fnamecmpType: number;
  xname: Uint8Array | undefined;
}

export class Sender {
  readonly ndxIn: NdxState;
  readonly ndxOut: NdxState;
  ioError = 0;
  #cur: SendList | undefined;
  /** Per-session buffers (a daemon runs several senders at once). */
  #readBuf: Buffer | undefined;
  #blockBuf: Buffer | undefined;
  #scratch: Uint8Array | undefined;

  constructor(private readonly c: SenderInit) {
    this.ndxIn = new NdxState(c.s.protocol);
    this.ndxOut = new NdxState(c.s.protocol);
  }

  writeNdx(ndx: number): void {
    encodeNdx(this.c.out.w, this.ndxOut, ndx);
  }

  /** `fn` must not return undefined (tryRead() uses undefined for "not yet"). */
  async #read<T extends NonNullable<unknown> | null>(fn: (r: WireReader) => T): Promise<T> {
    const v = this.c.input.tryRead(fn);
    if (v !== undefined) return v;
    await this.c.out.flush();
    return this.c.input.read(fn);
  }

  /** rsync.c:read_ndx_and_attrs() on the sending side. */
  async #request(): Promise<Request> {
    const c = this.c;
    const proto = c.s.protocol;
    for (;;) {
      const ndx = await this.#read((r) => decodeNdx(r, this.ndxIn));
      if (ndx === NDX_DONE) return { ndx, iflags: 0, fnamecmpType: FNAMECMP.FNAME, xname: undefined };
      if (ndx === NDX_DEL_STATS) {
        const v = await this.#read((r) => [r.varint(), r.varint(), r.varint(), r.varint(), r.varint()]);
        if (c.amServer) {
          this.writeNdx(NDX_DEL_STATS);
          for (const x of v) c.out.w.varint(x);
        }
        continue;
      }
      if (ndx < 0) throw new ProtocolError(`Invalid file index: ${ndx} [sender]`);
      const iflags = proto >= 29 ? await this.#read((r) => r.u16()) : ITEM.TRANSFER | ITEM.MISSING_DATA;
      const list = c.lists.listFor(ndx);
      if (proto < 30 && iflags === ITEM.IS_NEW && list === undefined) continue; // protocol-29 keep-alive
      if (!list) throw new ProtocolError(`Invalid file index: ${ndx} [sender]`);
      if (list !== this.#cur) {
        this.#cur = list;
        c.lists.setCurrent(list);
      }
      const fnamecmpType =
        iflags & ITEM.BASIS_TYPE_FOLLOWS ? await this.#read((r) => r.u8()) : FNAMECMP.FNAME;
      const xname =
        iflags & ITEM.XNAME_FOLLOWS ? await this.#read((r) => r.vstring(MAXPATHLEN - 1).slice()) : undefined;
      if (iflags & ITEM.TRANSFER) {
        const e = c.lists.entry(ndx);
        if (ndx < list.ndxStart || !e || !isReg(e.mode))
          throw new ProtocolError(`received request to transfer non-regular file: ${ndx} [sender]`);
      }
      return { ndx, iflags, fnamecmpType, xname };
    }
  }

  #writeItem(q: Request): void {
    const w = this.c.out.w;
    this.writeNdx(q.ndx);
    if (this.c.s.protocol < 29) return;
    w.u16(q.iflags);
    if (q.iflags & ITEM.BASIS_TYPE_FOLLOWS) w.u8(q.fnamecmpType);
    if (q.iflags & ITEM.XNAME_FOLLOWS) w.vstring(q.xname ?? new Uint8Array(0));
  }

  /** send_files() */
  async run(): Promise<void> {
    const c = this.c;
    const lists = c.lists;
    const inc = c.s.incRecurse;
    let phase = 0;
    const maxPhase = c.s.protocol >= 29 ? 2 : 1;
    const startIoError = this.ioError;
    for (;;) {
      if (inc) lists.sendExtra(c.out.w, MIN_FILECNT_LOOKAHEAD);
      const q = await this.#request();
      if (q.ndx === NDX_DONE) {
        if (inc && lists.lists.length > 0 && lists.freeFirst()) {
          this.writeNdx(NDX_DONE);
          continue;
        }
        if (++phase > maxPhase) break;
        this.writeNdx(NDX_DONE);
        continue;
      }
      if (inc) lists.sendExtra(c.out.w, MIN_FILECNT_LOOKAHEAD);
      const e = lists.entry(q.ndx)!;
      if (!(q.iflags & ITEM.TRANSFER)) {
        c.item?.(e, q.iflags, q.xname);
        this.#writeItem(q);
        if (q.iflags & ITEM.IS_NEW) this.#countCreated(e);
        continue;
      }
      if (phase === 2) throw new ProtocolError('got transfer request in phase 2 [sender]');
      if (!e.sent && q.iflags & ITEM.IS_NEW) c.stats.createdFiles++;
      c.stats.xferredFiles++;
      c.stats.totalTransferredSize += e.size;
      if (c.o.dryRun) {
        c.item?.(e, q.iflags, q.xname);
        this.#writeItem(q);
        continue;
      }
      await this.#sendFile(e, q);
      await c.out.maybeFlush();
    }
    if (this.ioError !== startIoError && c.s.protocol >= 30)
      await c.out.sendMessage(MSG.IO_ERROR, int32(this.ioError));
    this.writeNdx(NDX_DONE);
    await c.out.flush();
  }

  #countCreated(e: SendEntry): void {
    const s = this.c.stats;
    s.createdFiles++;
    const t = e.mode & 0o170000;
    if (t === 0o040000) s.createdDirs++;
    else if (t === 0o120000) s.createdSymlinks++;
    else if (t === 0o020000 || t === 0o060000) s.createdDevices++;
    else if (t !== 0o100000) s.createdSpecials++;
  }

  /** receive_sums(): the sum head and block sums, bounded by the negotiated digest length. */
  async #receiveSums(): Promise<{ head: SumHead; sig: Signature }> {
    const c = this.c;
    const proto = c.s.protocol;
    const head = await this.#read((r) => decodeSumHead(r, proto, c.checksum.digestLength));
    const n = head.count;
    const s2 = head.s2length;
    const sum1 = new Uint32Array(n);
    const sum2 = new Uint8Array(n * s2);
    for (let i = 0; i < n;) {
      const k = Math.min(SUMS_PER_READ, n - i);
      const start = i;
      await this.#read((r) => {
        for (let j = 0; j < k; j++) {
          sum1[start + j] = r.u32();
          sum2.set(r.bytes(s2), (start + j) * s2);
        }
        return true;
      });
      i += k;
    }
    return {
      head,
      sig: { blockLength: head.blength, s2Length: s2, count: n, remainder: head.remainder, sum1, sum2 },
    };
  }

  async #sendFile(e: SendEntry, q: Request): Promise<void> {
    const c = this.c;
    const w = c.out.w;
    const { head, sig } = await this.#receiveSums();
    let fd: number;
    try {
      fd = fs.openSync(e.abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch (err) {
      const x = err as NodeJS.ErrnoException;
      if (x.code === 'ENOENT') {
        this.ioError |= IOERR.VANISHED;
        c.message('warning', `file has vanished: ${JSON.stringify(e.abs.toString())}\n`);
      } else {
        this.ioError |= IOERR.GENERAL;
        c.message(
          'error-xfer',
          `rsync: [sender] send_files failed to open ${JSON.stringify(e.abs.toString())}: ${x.message} (${-(x.errno ?? 0)})\n`,
        );
      }
      if (c.s.protocol >= 30) await c.out.sendMessage(MSG.NO_SEND, int32(q.ndx));
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      this.#writeItem(q);
      encodeSumHead(w, head, c.s.protocol);
      const tokens = c.tokens;
      // classic zlib only; the token writer takes the bytes in at once, so one buffer serves
      const blockData = (i: number): Uint8Array => {
        const len = i === sig.count - 1 && sig.remainder ? sig.remainder : sig.blockLength;
        if (!this.#blockBuf || this.#blockBuf.length < len) this.#blockBuf = Buffer.allocUnsafe(len);
        const b = this.#blockBuf.subarray(0, len);
        fs.readSync(fd, b, 0, len, i * sig.blockLength);
        return b;
      };
      const gen = matchBlocks(sig, readChunks(fd, size, (this.#readBuf ??= Buffer.allocUnsafe(READ_CHUNK))), {
        checksum: c.checksum,
        transient: true,
        scratch: (this.#scratch ??= new Uint8Array(CHUNK_SIZE)),
      });
      let digest: Uint8Array;
      // file bytes the tokens in `w` stand for: matched blocks cost a few bytes each, so without
      // this a mostly unchanged file's tokens would wait in `w` until its end, and the receiver
      // would rebuild it only after we had matched all of it instead of alongside
      let span = 0;
      for (;;) {
        const t = await gen.next();
        if (t.done) {
          digest = t.value;
          break;
        }
        const tok = t.value;
        if (tok.type === 'literal') {
          tokens.literal(w, tok.data);
          c.stats.literalData += tok.data.length;
          span += tok.data.length;
        } else {
          const len = tok.index === sig.count - 1 && sig.remainder ? sig.remainder : sig.blockLength;
          tokens.block(w, tok.index, tokens.wantsBlockData ? blockData(tok.index) : EMPTY);
          c.stats.matchedData += len;
          span += len;
        }
        if (w.length >= 1 << 18 || span >= PUSH_SPAN) {
          span = 0;
          await c.out.push();
          // matching resolves only promises: without a turn of the event loop the socket's
          // write callbacks never run and what we pushed stays queued in this process
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      tokens.endFile(w);
      w.bytes(digest);
      e.sent = true;
      c.item?.(e, q.iflags, q.xname);
    } finally {
      fs.closeSync(fd);
    }
  }
}

const EMPTY = new Uint8Array(0);
/** Send the tokens at least every this many bytes of the file. */
const PUSH_SPAN = 8 << 20;

/** The file in chunks, in the session's read buffer (matchBlocks copies what it keeps). */
async function* readChunks(fd: number, size: number, b: Buffer): AsyncGenerator<Uint8Array> {
  let off = 0;
  while (off < size) {
    const n = fs.readSync(fd, b, 0, Math.min(b.length, size - off), off);
    if (n <= 0) break;
    off += n;
    yield b.subarray(0, n);
  }
}

export function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}
