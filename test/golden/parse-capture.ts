/**
 * Parses a captured daemon pull (real rsync client as receiver, real daemon as
 * sender) of a single file with `-t -I --no-whole-file`, using our codecs.
 * Returns the generator's requests (sum_head + block sums) and the sender's
 * replies (sum_head echo + token stream + whole-file digest).
 */
import { DIGEST_LENGTHS, type StrongAlgorithm } from '@tsrsync/delta';
import {
  CF,
  FileListDecoder,
  MSG,
  MuxDecoder,
  NDX_DONE,
  NdxState,
  WireReader,
  decodeBlockSums,
  decodeCompatFlags,
  decodeItem,
  decodeNameList,
  decodeSumHead,
  decodeToken,
  type BlockSum,
  type FileEntry,
  type SumHead,
} from '@tsrsync/protocol';

export interface ParsedRequest {
  ndx: number;
  iflags: number;
  head: SumHead;
  sums: BlockSum[];
}
export type ReplyToken = { type: 'literal'; data: Uint8Array } | { type: 'block'; index: number };
export interface ParsedReply {
  ndx: number;
  iflags: number;
  head: SumHead;
  tokens: ReplyToken[];
  digest: Uint8Array;
}
export interface ParsedPull {
  protocol: number;
  compat: number;
  seed: number;
  algorithm: StrongAlgorithm;
  flist: FileEntry[];
  requests: ParsedRequest[];
  replies: ParsedReply[];
}

function lineEnd(b: Uint8Array, from: number): number {
  const i = b.indexOf(0x0a, from);
  if (i < 0) throw new Error('capture: missing line end');
  return i + 1;
}

/** Offset just past the argument vector (NUL-separated for >= 30, newline below). */
function skipArgs(b: Uint8Array, from: number, protocol: number): number {
  const sep = protocol >= 30 ? 0 : 0x0a;
  let p = from;
  for (;;) {
    const e = b.indexOf(sep, p);
    if (e < 0) throw new Error('capture: unterminated argument vector');
    if (e === p) return e + 1;
    p = e + 1;
  }
}

function demux(b: Uint8Array): Uint8Array {
  const dec = new MuxDecoder();
  const parts: Uint8Array[] = [];
  for (const f of dec.push(b)) if (f.tag === MSG.DATA) parts.push(f.payload.slice());
  return Uint8Array.from(Buffer.concat(parts));
}

export function parsePullCapture(
  c2s: Uint8Array,
  s2c: Uint8Array,
  choice: StrongAlgorithm | undefined,
): ParsedPull {
  // text phase: S greeting, "@RSYNCD: OK"; C greeting, module, args
  let sp = lineEnd(s2c, 0);
  const sGreet = Buffer.from(s2c.subarray(0, sp)).toString('latin1');
  let cp = lineEnd(c2s, 0);
  const cGreet = Buffer.from(c2s.subarray(0, cp)).toString('latin1');
  const protocol = Math.min(
    Number(/^@RSYNCD: (\d+)/.exec(sGreet)?.[1]),
    Number(/^@RSYNCD: (\d+)/.exec(cGreet)?.[1]),
  );
  while (Buffer.from(s2c.subarray(sp, lineEnd(s2c, sp))).toString('latin1') !== '@RSYNCD: OK\n')
    sp = lineEnd(s2c, sp);
  sp = lineEnd(s2c, sp);
  cp = lineEnd(c2s, cp); // module
  cp = skipArgs(c2s, cp, protocol);

  const s = new WireReader(s2c, sp);
  const c = new WireReader(c2s, cp);
  let compat = 0;
  let algorithm: StrongAlgorithm = protocol >= 30 ? 'md5' : 'md4';
  if (protocol >= 30) {
    compat = decodeCompatFlags(s);
    if (compat & CF.VARINT_FLIST_FLAGS) {
      if (choice === undefined) {
        const ours = decodeNameList(c);
        const theirs = decodeNameList(s);
        const pick = ours.find((n) => theirs.includes(n));
        if (!pick) throw new Error('capture: no common checksum');
        algorithm = pick as StrongAlgorithm;
      } else algorithm = choice;
    }
  }
  const seed = s.i32();
  const sData = new WireReader(demux(s2c.subarray(s.offset)));
  const cData = new WireReader(protocol >= 30 ? demux(c2s.subarray(c.offset)) : c2s.subarray(c.offset));

  // sender: file list
  const dec = new FileListDecoder({ protocol, varintFlistFlags: (compat & CF.VARINT_FLIST_FLAGS) !== 0 });
  const flist: FileEntry[] = [];
  for (let e = dec.decode(sData); e !== 'end'; e = dec.decode(sData)) flist.push(e);
  if (protocol < 30) sData.i32(); // io_error

  const sumLen = DIGEST_LENGTHS[algorithm];
  // generator: filter list terminator, then requests until the first NDX_DONE
  if (cData.i32() !== 0) throw new Error('capture: non-empty filter list');
  const requests: ParsedRequest[] = [];
  const gNdx = new NdxState(protocol);
  for (;;) {
    const it = decodeItem(cData, gNdx);
    if (it.ndx === NDX_DONE) break;
    const head = decodeSumHead(cData, protocol, sumLen);
    requests.push({ ndx: it.ndx, iflags: it.iflags, head, sums: decodeBlockSums(cData, head) });
  }
  const replies: ParsedReply[] = [];
  const sNdx = new NdxState(protocol);
  for (;;) {
    const it = decodeItem(sData, sNdx);
    if (it.ndx === NDX_DONE) break;
    const head = decodeSumHead(sData, protocol, sumLen);
    const tokens: ReplyToken[] = [];
    for (;;) {
      const t = decodeToken(sData, { blockCount: head.count });
      if (t.kind === 'end') break;
      if (t.kind === 'literal') tokens.push({ type: 'literal', data: sData.bytes(t.length).slice() });
      else tokens.push({ type: 'block', index: t.index });
    }
    replies.push({ ndx: it.ndx, iflags: it.iflags, head, tokens, digest: sData.bytes(sumLen).slice() });
  }
  return { protocol, compat, seed, algorithm, flist, requests, replies };
}
