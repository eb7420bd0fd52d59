/**
 * Per-file request / echo header (rsync.c:read_ndx_and_attrs(),
 * sender.c/generator.c:write_ndx_and_attrs()).
 *
 *   proto >= 29: ndx | u16 iflags | [u8 fnamecmp_type if BASIS_TYPE_FOLLOWS]
 *                    | [vstring xname if XNAME_FOLLOWS]
 *   proto <  29: ndx only (iflags are implied ITEM_TRANSFER)
 *
 * Negative ndx values (NDX_DONE, NDX_FLIST_EOF, sub-list headers, ...) carry
 * no attributes; decodeItem returns them with iflags 0.
 */
import { FNAMECMP, ITEM, MAXPATHLEN } from '../constants.js';
import { ShortRead } from '../errors.js';
import { decodeNdx, encodeNdx, type NdxState } from '../wire/ndx.js';
import type { WireReader } from '../wire/reader.js';
import type { WireWriter } from '../wire/writer.js';

export interface ItemHeader {
  ndx: number;
  iflags: number;
  /** Present iff iflags & ITEM_BASIS_TYPE_FOLLOWS. */
  fnamecmpType?: number;
  /** Present iff iflags & ITEM_XNAME_FOLLOWS (raw bytes; may be empty). */
  xname?: Uint8Array;
}

export function encodeItem(w: WireWriter, ndxState: NdxState, item: ItemHeader): void {
  encodeNdx(w, ndxState, item.ndx);
  if (ndxState.protocol < 29 || item.ndx < 0) return;
  let iflags = item.iflags & 0xffff;
  if (item.fnamecmpType !== undefined) iflags |= ITEM.BASIS_TYPE_FOLLOWS;
  if (item.xname !== undefined) iflags |= ITEM.XNAME_FOLLOWS;
  w.u16(iflags);
  if (iflags & ITEM.BASIS_TYPE_FOLLOWS) w.u8(item.fnamecmpType ?? FNAMECMP.FNAME);
  if (iflags & ITEM.XNAME_FOLLOWS) w.vstring(item.xname ?? new Uint8Array(0));
}

/** Decode one header. On ShortRead both the reader and the ndx state are restored. */
export function decodeItem(r: WireReader, ndxState: NdxState): ItemHeader {
  const start = r.offset;
  const saved = [ndxState.prevPositive, ndxState.prevNegative] as const;
  try {
    const ndx = decodeNdx(r, ndxState);
    if (ndxState.protocol < 29) return { ndx, iflags: ndx >= 0 ? ITEM.TRANSFER : 0 };
    if (ndx < 0) return { ndx, iflags: 0 };
    const iflags = r.u16();
    const item: ItemHeader = { ndx, iflags };
    if (iflags & ITEM.BASIS_TYPE_FOLLOWS) item.fnamecmpType = r.u8();
    if (iflags & ITEM.XNAME_FOLLOWS) item.xname = r.vstring(MAXPATHLEN - 1).slice();
    return item;
  } catch (e) {
    if (e instanceof ShortRead) {
      r.offset = start;
      ndxState.prevPositive = saved[0];
      ndxState.prevNegative = saved[1];
    }
    throw e;
  }
}
