/**
 * End-of-run stats written by a server sender (main.c: the stats block
 * after the final NDX_DONE).
 *
 *   proto >= 30: varlong(3) x 5 | proto 29: longint x 5 | proto < 29: longint x 3
 */
import { ProtocolError, ShortRead } from '../errors.js';
import type { WireReader } from '../wire/reader.js';
import type { WireWriter } from '../wire/writer.js';

/** The stats record a server sender writes after its last NDX_DONE. */
export interface StatsRecord {
  totalRead: number;
  totalWritten: number;
  totalSize: number;
  /** proto >= 29, milliseconds */
  flistBuildTime?: number;
  /** proto >= 29, milliseconds */
  flistXferTime?: number;
}

export function encodeStats(w: WireWriter, s: StatsRecord, protocol: number): void {
  const put = (v: number): void => {
    if (protocol >= 30) w.varlong(v, 3);
    else w.longint(v);
  };
  put(s.totalRead);
  put(s.totalWritten);
  put(s.totalSize);
  if (protocol >= 29) {
    put(s.flistBuildTime ?? 0);
    put(s.flistXferTime ?? 0);
  }
}

export function decodeStats(r: WireReader, protocol: number): StatsRecord {
  const start = r.offset;
  try {
    const get = (what: string): number => {
      const v = protocol >= 30 ? r.varlong(3) : r.longint();
      if (v < 0) throw new ProtocolError(`negative ${what} in stats`);
      return v;
    };
    const s: StatsRecord = {
      totalRead: get('total_read'),
      totalWritten: get('total_written'),
      totalSize: get('total_size'),
    };
    if (protocol >= 29) {
      s.flistBuildTime = get('flist_buildtime');
      s.flistXferTime = get('flist_xfertime');
    }
    return s;
  } catch (e) {
    if (e instanceof ShortRead) r.offset = start;
    throw e;
  }
}
