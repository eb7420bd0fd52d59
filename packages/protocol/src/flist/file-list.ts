/**
 * The receiving side's file lists (flist.c: recv_file_list(),
 * flist_sort_and_clean(); rsync's first_flist chain and dir_flist).
 *
 * Without incremental recursion there is one list and ndx = sorted position.
 * With it, list k starts at ndxStart = prev.ndxStart + prev.count + 1 (the
 * first at 1); `ndxStart - 1` names the directory the list belongs to, and
 * every directory received is appended (sorted per list) to `dirs`, whose
 * index a sub-list announcement (-101 - d) refers to.
 */
import { ProtocolError } from '../errors.js';
import { XMIT } from '../constants.js';
import { isDir, type FileEntry } from './file-entry.js';
import { findDuplicates, findDuplicatesInDir, sortDirContents, sortFileList } from './sort.js';

/** Receiver-side flags (rsync.h FLAG_*), kept in ListEntry.fl. */
export const FL = {
  TOP_DIR: 1 << 0,
  CONTENT_DIR: 1 << 1,
  IMPLIED_DIR: 1 << 2,
  /** duplicate removed by flist_sort_and_clean(): keeps its index, never transferred */
  CLEARED: 1 << 3,
  MISSING_DIR: 1 << 4,
  DIR_CREATED: 1 << 5,
  /** a transfer was requested (a second request is a redo) */
  FILE_SENT: 1 << 6,
  HLINK_DONE: 1 << 7,
  GOT_DIR_FLIST: 1 << 8,
  /** the generator finished with this entry (attributes final) */
  DONE: 1 << 9,
  /** receiver: a transfer of this entry failed verification once (the next one is the redo) */
  RECV_REDO: 1 << 10,
} as const;

export interface ListEntry extends FileEntry {
  fl: number;
  /** The entry's ndx (ndxStart + sorted position). */
  index: number;
  /** Hard-link group number: transmission index of the group's first member. */
  gnum?: number;
}

function isDot(e: FileEntry): boolean {
  return isDir(e.mode) && e.nameBytes.length === 1 && e.nameBytes[0] === 0x2e;
}

export class SubList {
  /** Sorted entries; `entries[i].index === ndxStart + i`. */
  readonly entries: ListEntry[];
  /** Transfers requested and not finished (rsync's in_progress). */
  inProgress = 0;
  /** Redo requests queued for this list. */
  toRedo = 0;
  /** Generator wrote this list's NDX_DONE (inc-recurse). */
  doneSent = false;
  constructor(
    readonly ndxStart: number,
    entries: ListEntry[],
    /** Index in FileListSet.dirs of the owning directory, -1 for the first list. */
    readonly parentDir: number,
  ) {
    this.entries = entries;
  }
  get end(): number {
    return this.ndxStart + this.entries.length;
  }

  /**
   * Drops the entries of a finished list (recv_files(): flist_free() at each NDX_DONE): with
   * incremental recursion a transfer's memory then follows its lists in flight, not the tree.
   * Directories stay in FileListSet.dirs; the list's indexes are no longer valid.
   */
  release(): void {
    this.entries.length = 0;
  }
}

export interface FileListSetOptions {
  protocol: number;
  incRecurse: boolean;
  recursive: boolean;
}

export class FileListSet {
  readonly lists: SubList[] = [];
  /** dir_flist (inc-recurse): every directory received, sorted per list. */
  readonly dirs: ListEntry[] = [];
  /** No more lists will come (NDX_FLIST_EOF, or the single non-incremental list). */
  eof = false;
  /** Sum of all entries received. */
  total = 0;
  #inDelHier = false;

  constructor(readonly opts: FileListSetOptions) {}

  get nextNdxStart(): number {
    const last = this.lists[this.lists.length - 1];
    if (!last) return this.opts.incRecurse ? 1 : 0;
    return last.ndxStart + last.entries.length + 1;
  }

  /** The directory a sub-list announcement names; validates it (recv_file_list()). */
  dirForAnnouncement(d: number): ListEntry {
    const e = this.dirs[d];
    if (e === undefined || d < 0) {
      throw new ProtocolError(`Invalid dir index: ${-101 - d} (${-101} - ${-101 - this.dirs.length + 1})`);
    }
    if (e.fl & FL.CLEARED) throw new ProtocolError(`refusing flist for cleared dir_ndx ${d}`);
    if (e.fl & FL.GOT_DIR_FLIST) throw new ProtocolError(`refusing malicious duplicate flist for dir ${d}`);
    if (this.eof) throw new ProtocolError('refusing sub-flist after the final flist');
    return e;
  }

  /**
   * Adds a received list (entries in transmission order, `ndx` set by the
   * decoder). Sets the content-dir flags, sorts, clears duplicates and assigns
   * indexes.
   */
  add(received: readonly FileEntry[], parentDir: number): SubList {
    const ndxStart = this.nextNdxStart;
    const proto = this.opts.protocol;
    if (parentDir >= 0) this.dirs[parentDir]!.fl |= FL.GOT_DIR_FLIST;
    const items: ListEntry[] = received.map((e) => {
      const le = e as ListEntry;
      le.fl = 0;
      le.index = 0;
      if (e.hardLink?.firstNdx !== undefined) le.gnum = e.hardLink.firstNdx;
      if (isDir(e.mode)) {
        const x = e.flags;
        if (proto >= 30) {
          if (!(x & XMIT.NO_CONTENT_DIR)) {
            if (x & XMIT.TOP_DIR) le.fl |= FL.TOP_DIR;
            le.fl |= FL.CONTENT_DIR;
          } else if (x & XMIT.TOP_DIR) le.fl |= FL.IMPLIED_DIR;
        } else if (x & XMIT.TOP_DIR) {
          this.#inDelHier = this.opts.recursive;
          le.fl |= FL.TOP_DIR | FL.CONTENT_DIR;
        } else if (this.#inDelHier) le.fl |= FL.CONTENT_DIR;
      }
      return le;
    });
    // a sub-list's names all lie directly in its directory (the decoder checked): sorted and
    // cleaned on base names, without a key per entry
    const oneDir = parentDir >= 0 && this.opts.incRecurse;
    const sorted = oneDir ? sortDirContents(items, proto) : sortFileList(items, proto);
    const cleared = oneDir ? findDuplicatesInDir(sorted, proto) : findDuplicates(sorted);
    for (let i = 0; i < sorted.length; i++) {
      const e = sorted[i]!;
      e.index = ndxStart + i;
      if (cleared[i]) e.fl |= FL.CLEARED;
    }
    const firstDir = this.dirs.length;
    if (this.opts.incRecurse) for (const e of sorted) if (isDir(e.mode)) this.dirs.push(e);
    let parent = parentDir;
    if (this.opts.incRecurse && this.lists.length === 0) {
      // the first list's owner is its own "." (ndx 0), when it starts with one
      const f = sorted[0];
      parent = f !== undefined && isDot(f) && this.dirs.length > firstDir ? firstDir : -1;
      if (parent >= 0) this.dirs[parent]!.fl |= FL.GOT_DIR_FLIST;
    }
    const list = new SubList(ndxStart, sorted, parent);
    this.lists.push(list);
    this.total += sorted.length;
    return list;
  }

  /** The list holding `ndx` (also its owning-dir pseudo index ndxStart - 1), or undefined. */
  listFor(ndx: number): SubList | undefined {
    const lists = this.lists;
    let lo = 0;
    let hi = lists.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const l = lists[mid]!;
      if (ndx < l.ndxStart - (this.opts.incRecurse ? 1 : 0)) hi = mid - 1;
      else if (ndx >= l.end) lo = mid + 1;
      else return l;
    }
    return undefined;
  }

  /** The entry for `ndx`; the pseudo index ndxStart - 1 gives the list's directory. */
  entry(ndx: number): ListEntry | undefined {
    const l = this.listFor(ndx);
    if (!l) return undefined;
    if (ndx < l.ndxStart) return l.parentDir >= 0 ? this.dirs[l.parentDir] : undefined;
    return l.entries[ndx - l.ndxStart];
  }

  /** Highest valid ndx + 1. */
  get end(): number {
    const last = this.lists[this.lists.length - 1];
    return last ? last.end : 0;
  }
}
