/**
 * What the receiving side tells its user: itemized changes, deletions,
 * messages (rsync's rprintf codes), progress. The engine never prints; the
 * CLI (or a library user) formats these events.
 */
import type { ListEntry } from '../flist/file-list.js';

export type MessageLevel = 'info' | 'warning' | 'error' | 'error-xfer';

export interface ItemReport {
  /** Name as displayed (the list name, or the local name in single-file mode). */
  name: Uint8Array;
  entry: ListEntry;
  iflags: number;
  /** Hard-link target shown as ` => xname` (empty when none). */
  hlink?: Uint8Array | undefined;
}

export interface Reporter {
  /** An item rsync would log (log_item / maybe_log_item); `significant` = FINFO rather than FCLIENT. */
  item?(r: ItemReport): void;
  /** A deletion ("deleting x" / "*deleting"). */
  deleted?(name: Uint8Array, isDir: boolean): void;
  /** A message from either side, with rsync's level. */
  message?(level: MessageLevel, text: string): void;
  /** Bytes of the current file written so far (for --progress). */
  progress?(entry: ListEntry, done: number, total: number, finished: boolean): void;
  /** --list-only: one entry of the listing (generator.c:list_file_entry()). */
  list?(entry: ListEntry): void;
  /** A file list (or sub-list) arrived. */
  fileList?(count: number, totalSoFar: number, eof: boolean, totalBytes: number): void;
}

/** rsync's end-of-run counters (rsync.h struct stats), receiving side. */
export class TransferStats {
  numFiles = 0;
  numDirs = 0;
  numSymlinks = 0;
  numDevices = 0;
  numSpecials = 0;
  createdFiles = 0;
  createdDirs = 0;
  createdSymlinks = 0;
  createdDevices = 0;
  createdSpecials = 0;
  deletedFiles = 0;
  deletedDirs = 0;
  deletedSymlinks = 0;
  deletedDevices = 0;
  deletedSpecials = 0;
  xferredFiles = 0;
  totalSize = 0;
  totalTransferredSize = 0;
  literalData = 0;
  matchedData = 0;
  flistSize = 0;
  flistBuildTime = 0;
  flistXferTime = 0;
  totalRead = 0;
  totalWritten = 0;
  /** Files hard-linked from a --link-dest dir. */
  linkedFiles = 0;
  /** Files copied locally (--copy-dest, or a link-dest file whose attributes changed). */
  localCopies = 0;
}
