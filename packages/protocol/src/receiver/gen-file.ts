/**
 * Regular files in the generator: the quick check (generator.c:
 * quick_check_ok()) and the transfer request with the basis file's block
 * sums (generate_and_send_sums(), write_sum_head()).
 */
import fs from 'node:fs';
import type { StatLike } from '../local/stat.js';
import { createSignature, createStrongChecksumSync, sumSizes } from '@tsrsync/delta';
import { FNAMECMP, ITEM } from '../constants.js';
import { FL, type ListEntry } from '../flist/file-list.js';
import { openRegular } from '../local/dest-tree.js';
import { encodeSumHead } from '../transfer/sum-head.js';
import { sameMtime } from '../local/dest-tree.js';
import { itemizeFlags } from './attrs.js';
import type { Generator } from './generator.js';
import type { HardLinkGroup } from './hardlinks.js';

const READ_CHUNK = 1 << 20;

/** Digest of a whole file with the --checksum algorithm (checksum.c:file_checksum(): no seed). */
export function fileChecksum(g: Generator, path: Buffer): Uint8Array | undefined {
  const f = openRegular(path);
  if (!f) return undefined;
  try {
    const h = createStrongChecksumSync({
      algorithm: g.ctx.s.fileChecksum,
      seed: 0,
      protocol: 32,
    }).fileHasher();
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const n = fs.readSync(f.fd, buf, 0, READ_CHUNK, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
    return h.digest();
  } finally {
    fs.closeSync(f.fd);
  }
}

/** quick_check_ok(FT_REG): same size and mtime (or checksum with -c, or size with --size-only). */
export function quickCheckOk(
  g: Generator,
  e: ListEntry,
  path: Uint8Array | Buffer,
  st: StatLike,
  abs = false,
): boolean {
  const o = g.ctx.o;
  if (st.size !== BigInt(e.size)) return false;
  if (o.checksum) {
    const sum = fileChecksum(g, abs ? (path as Buffer) : g.ctx.dest.path(path));
    const want = e.checksum;
    if (!sum || !want) return false;
    const n = want.length;
    for (let i = 0; i < n; i++) if (sum[i] !== want[i]) return false;
    return true;
  }
  if (o.sizeOnly) return true;
  if (o.ignoreTimes) return false;
  return sameMtime(st, e.mtime, e.mtimeNsec ?? 0, o.modifyWindow);
}

async function* readChunks(fd: number, size: number): AsyncGenerator<Uint8Array> {
  const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(1, size)));
  let off = 0;
  while (off < size) {
    const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - off), off);
    if (n <= 0) break;
    off += n;
    yield buf.subarray(0, n);
  }
}

/**
 * Writes the request: ndx, iflags (+ basis type), then the sum_head and the
 * block sums of the basis (none when there is no basis, -W, or a dry run).
 */
export async function requestTransfer(
  g: Generator,
  e: ListEntry,
  ndx: number,
  rel: Uint8Array,
  st: StatLike | undefined,
  fnamecmpType: number,
  group: HardLinkGroup | undefined,
  basisAbs?: Buffer,
): Promise<void> {
  const ctx = g.ctx;
  const o = ctx.o;
  const proto = ctx.s.protocol;
  const list = ctx.flist.listFor(ndx);
  if (ctx.s.incRecurse && list && !o.dryRun) list.inProgress++;
  e.fl |= FL.FILE_SENT;
  if (group && !o.dryRun) group.inTransfer = e;
  let iflags = ITEM.TRANSFER;
  if (o.checksum) iflags |= ITEM.REPORT_CHANGE;
  const typed = fnamecmpType !== FNAMECMP.FNAME;
  if (typed) iflags |= ITEM.BASIS_TYPE_FOLLOWS;
  iflags = itemizeFlags(ctx, e, st, iflags, undefined);
  g.writeNdx(ndx);
  if (proto >= 29) {
    const w = ctx.out.w;
    w.u16(iflags);
    if (typed) w.u8(fnamecmpType);
  }
  if (o.dryRun) {
    // nothing will arrive: a hard-link group is finished now (generator.c, !do_xfers)
    if (group) await g.finishLeader(e);
    return;
  }
  const w = ctx.out.w;
  const size = st ? Number(st.size) : 0;
  const whole = o.wholeFile === true || ctx.s.checksum === 'none';
  if (!st || whole || size <= 0) {
    encodeSumHead(w, { count: 0, blength: 0, s2length: 0, remainder: 0 }, proto);
    return;
  }
  const path = basisAbs ?? ctx.dest.path(rel);
  const f = openRegular(path);
  if (!f) {
    ctx.message('error', `failed to open ${JSON.stringify(ctx.display(path))}, continuing\n`);
    encodeSumHead(w, { count: 0, blength: 0, s2length: 0, remainder: 0 }, proto);
    return;
  }
  try {
    const sizes = sumSizes(f.size, {
      protocol: proto,
      csumLength: g.csumLength,
      xferSumLen: ctx.checksum.digestLength,
      ...(o.blockSize !== undefined ? { blockSize: o.blockSize } : {}),
    });
    const sig = await createSignature(readChunks(f.fd, f.size), { sizes, checksum: ctx.checksum });
    encodeSumHead(
      w,
      { count: sig.count, blength: sig.blockLength, s2length: sig.s2Length, remainder: sig.remainder },
      proto,
    );
    const s2 = sig.s2Length;
    for (let i = 0; i < sig.count; i++) {
      w.u32(sig.sum1[i]!);
      w.bytes(sig.sum2.subarray(i * s2, i * s2 + s2));
      if (w.length >= 1 << 16) await ctx.out.flush();
    }
  } finally {
    fs.closeSync(f.fd);
  }
}
