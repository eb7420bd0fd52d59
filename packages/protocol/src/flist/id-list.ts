/**
 * uid/gid name lists sent after a non-incremental file list
 * (uidlist.c:send_id_lists() / recv_id_list()), plus the proto < 30
 * io_error trailer (flist.c:send_file_list() / recv_file_list()).
 */
import { LIMITS } from '../constants.js';
import { ProtocolError, ShortRead } from '../errors.js';
import type { WireReader } from '../wire/reader.js';
import type { WireWriter } from '../wire/writer.js';
import { readIdName } from './file-entry.js';
import { encodeUtf8 } from './names.js';

export interface IdListOptions {
  protocol: number;
  /** CF_ID0_NAMES: the terminator carries id 0's name. */
  id0Names?: boolean;
}

export type IdNames = Map<number, string>;

/** One list: `varint30 id, byte len, name` items (id != 0), ended by varint30 0 [+ name of id 0]. */
export function encodeIdList(w: WireWriter, names: ReadonlyMap<number, string>, opts: IdListOptions): void {
  const put = (id: number): void => {
    if (opts.protocol >= 30) w.varint(id);
    else w.i32(id);
  };
  const name = (n: string): void => {
    const b = encodeUtf8(n).subarray(0, LIMITS.MAX_ID_NAME);
    w.u8(b.length).bytes(b);
  };
  for (const [id, n] of names) {
    if (id === 0) continue;
    put(id);
    name(n);
  }
  put(0);
  if (opts.id0Names) name(names.get(0) ?? '');
}

export function decodeIdList(r: WireReader, opts: IdListOptions): IdNames {
  const start = r.offset;
  try {
    const out: IdNames = new Map();
    for (;;) {
      const id = (opts.protocol >= 30 ? r.varint() : r.i32()) >>> 0;
      if (id === 0) break;
      if (out.size >= LIMITS.MAX_ID_LIST) throw new ProtocolError('id list too long');
      const n = readIdName(r);
      if (n !== undefined) out.set(id, n);
    }
    if (opts.id0Names) {
      const n = readIdName(r);
      if (n !== undefined) out.set(0, n);
    }
    return out;
  } catch (e) {
    if (e instanceof ShortRead) r.offset = start;
    throw e;
  }
}

export interface FlistTrailerOptions extends IdListOptions {
  incRecurse?: boolean;
  /** uid list present: (-o or -A) and not --numeric-ids. */
  sendUidList?: boolean;
  /** gid list present: (-g or -A) and not --numeric-ids. */
  sendGidList?: boolean;
}

export interface FlistTrailer {
  uidNames: IdNames;
  gidNames: IdNames;
  /** proto < 30 int32 io_error (masked), else 0. */
  ioError: number;
}

/** What follows the first list's end marker: id lists (not with inc-recurse), then io_error for proto < 30. */
export function encodeFlistTrailer(
  w: WireWriter,
  opts: FlistTrailerOptions,
  uidNames: ReadonlyMap<number, string>,
  gidNames: ReadonlyMap<number, string>,
  ioError = 0,
): void {
  if (!opts.incRecurse) {
    if (opts.sendUidList) encodeIdList(w, uidNames, opts);
    if (opts.sendGidList) encodeIdList(w, gidNames, opts);
  }
  if (opts.protocol < 30) w.i32(ioError);
}

export function decodeFlistTrailer(r: WireReader, opts: FlistTrailerOptions): FlistTrailer {
  const start = r.offset;
  try {
    const t: FlistTrailer = { uidNames: new Map(), gidNames: new Map(), ioError: 0 };
    if (!opts.incRecurse) {
      if (opts.sendUidList) t.uidNames = decodeIdList(r, opts);
      if (opts.sendGidList) t.gidNames = decodeIdList(r, opts);
    }
    if (opts.protocol < 30) t.ioError = r.i32() & 7;
    return t;
  } catch (e) {
    if (e instanceof ShortRead) r.offset = start;
    throw e;
  }
}
