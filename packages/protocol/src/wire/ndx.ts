/**
 * File-index (ndx) encoding, io.c:write_ndx()/read_ndx().
 *
 * proto < 30: plain int32. proto >= 30: a byte-oriented delta against the
 * previous positive / negative value. Each direction of a stream needs its
 * own NdxState (one for what we write, one for what we read).
 */
import { NDX_DONE } from '../constants.js';
import { ProtocolError } from '../errors.js';
import type { WireReader } from './reader.js';
import type { WireWriter } from './writer.js';

export class NdxState {
  readonly protocol: number;
  prevPositive = -1;
  prevNegative = 1;
  constructor(protocol: number) {
    this.protocol = protocol;
  }
}

export function encodeNdx(w: WireWriter, state: NdxState, ndx: number): void {
  if (!Number.isInteger(ndx) || ndx > 0x7fffffff || ndx < -0x7fffffff) {
    throw new RangeError(`ndx out of range: ${ndx}`);
  }
  if (state.protocol < 30) {
    w.i32(ndx);
    return;
  }
  let v: number;
  let diff: number;
  if (ndx >= 0) {
    v = ndx;
    diff = v - state.prevPositive;
    state.prevPositive = v;
  } else if (ndx === NDX_DONE) {
    w.u8(0);
    return;
  } else {
    w.u8(0xff);
    v = -ndx;
    diff = v - state.prevNegative;
    state.prevNegative = v;
  }
  if (diff > 0 && diff < 0xfe) {
    w.u8(diff);
  } else if (diff < 0 || diff > 0x7fff) {
    w.u8(0xfe)
      .u8((v >>> 24) | 0x80)
      .u8(v & 0xff)
      .u8((v >>> 8) & 0xff)
      .u8((v >>> 16) & 0xff);
  } else {
    w.u8(0xfe)
      .u8(diff >> 8)
      .u8(diff & 0xff);
  }
}

/**
 * Decode one ndx. On ShortRead the reader offset and the state are left
 * unchanged, so the caller can rewind and retry.
 */
export function decodeNdx(r: WireReader, state: NdxState): number {
  if (state.protocol < 30) return r.i32();
  const start = r.offset;
  try {
    let b0 = r.u8();
    let negative = false;
    if (b0 === 0xff) {
      negative = true;
      b0 = r.u8();
    } else if (b0 === 0) {
      return NDX_DONE;
    }
    const prev = negative ? state.prevNegative : state.prevPositive;
    let num: number;
    if (b0 === 0xfe) {
      const b1 = r.u8();
      const b2 = r.u8();
      if (b1 & 0x80) {
        const b3 = r.u8();
        const b4 = r.u8();
        num = (b2 | (b3 << 8) | (b4 << 16)) + (b1 & 0x7f) * 0x1000000;
      } else {
        num = ((b1 << 8) | b2) + prev;
      }
    } else {
      num = b0 + prev;
    }
    if (num > 0x7fffffff) throw new ProtocolError(`ndx value ${num} overflows int32`);
    if (negative) {
      state.prevNegative = num;
      return -num;
    }
    state.prevPositive = num;
    return num;
  } catch (e) {
    r.offset = start;
    throw e;
  }
}
