/**
 * The sender's file lists (flist.c: send_file_list(), send_directory(),
 * send_extra_file_list(), add_dirs_to_tree()). Entries are sent in rsync's
 * sorted order, so the index a peer computes after sorting is the one we
 * assign. With incremental recursion the first list holds the top-level
 * entries (and the contents of "." dirs); every other directory's contents
 * follow as a sub-list, depth first, a few at a time as the transfer asks.
 */
import { isDir } from '../flist/file-entry.js';
import { FileListEncoder, type FlistOptions } from '../flist/file-entry.js';
import { encodeFlistTrailer } from '../flist/id-list.js';
import { sortDirContents, sortFileList } from '../flist/sort.js';
import { XMIT, IOERR, NDX_FLIST_EOF, NDX_FLIST_OFFSET } from '../constants.js';
import type { FilterList } from '../filter/filter-list.js';
import { joinPath } from '../local/fs-names.js';
import { checkHeap, HEAP_CHECK_EVERY } from '../session/heap-guard.js';
import type { WireWriter } from '../wire/writer.js';
import { DirScanner, FIELDS, type ScanError } from './dir-scanner.js';
import { entryFromFields, entryFromStat, statPath, type ScanOptions, type SendEntry } from './scan.js';

export interface SendListsOptions {
  protocol: number;
  incRecurse: boolean;
  recursive: boolean;
  /** -d */
  dirs: boolean;
  oneFileSystem: boolean;
  numericIds: boolean;
  owner: boolean;
  group: boolean;
  filters: FilterList;
  scan: ScanOptions;
  flist: FlistOptions;
  /** --checksum: the whole-file sum of a regular file. */
  fileSum?: ((e: SendEntry) => Uint8Array | undefined) | undefined;
  /**
   * Read directories ahead on a worker thread (default). Off for a local copy, whose sender
   * already has a thread of its own: on two cores a third one costs more than it gives.
   */
  readAhead?: boolean | undefined;
  message: (level: 'info' | 'warning' | 'error' | 'error-xfer', text: string) => void;
  writeNdx: (ndx: number) => void;
}

export interface SendList {
  ndxStart: number;
  entries: SendEntry[];
  /** Index in `dirs` of the directory whose contents this is (-1: the first list). */
  parentDir: number;
}

interface DirNode {
  entry: SendEntry;
  /** Every local directory merged under this name (duplicate dir args). */
  sources: Buffer[];
  parent: number;
  firstChild: number;
  nextSibling: number;
}

const SLASH = 0x2f;
const DOT = Uint8Array.of(0x2e);

/** A command-line source split as send_file_list() does: the dir to work in and the name to send. */
export interface TopArg {
  dir: Buffer;
  name: Buffer;
  dotDir: boolean;
}

export function splitSourceArg(arg: string | Buffer): TopArg {
  let b = Buffer.isBuffer(arg) ? Buffer.from(arg) : Buffer.from(arg);
  let dotDir = false;
  const n = b.length;
  if (n === 0 || b[n - 1] === SLASH) {
    b = n === 2 && b[0] === 0x2e ? Buffer.from('.') : Buffer.concat([b, DOT]);
    dotDir = true;
  } else if (n > 1 && b[n - 1] === 0x2e && b[n - 2] === 0x2e && (n === 2 || b[n - 3] === SLASH)) {
    b = Buffer.concat([b, Buffer.from('/.')]);
    dotDir = true;
  } else if (b[n - 1] === 0x2e && (n === 1 || b[n - 2] === SLASH)) dotDir = true;
  const p = b.lastIndexOf(SLASH);
  if (p < 0) return { dir: Buffer.alloc(0), name: b, dotDir };
  return { dir: p === 0 ? Buffer.from('/') : b.subarray(0, p), name: b.subarray(p + 1), dotDir };
}

export class SendFileLists {
  readonly lists: SendList[] = [];
  readonly dirs: DirNode[] = [];
  readonly enc: FileListEncoder;
  eof = false;
  /** Entries in the lists not yet freed (file_total) and in lists before the current one (file_old_total). */
  fileTotal = 0;
  fileOldTotal = 0;
  ioError = 0;
  /** io_error could not travel in an end marker (protocol 30 without safe lists): send MSG_IO_ERROR. */
  ioErrorUnsent = false;
  /** Stats of what was listed. */
  numDirs = 0;
  numFiles = 0;
  totalSize = 0;
  #nextNdxStart: number;
  #sendDirNdx = -1;
  #filesystemDev: bigint | undefined;
  /** Entries made so far (for the heap check). */
  #made = 0;
  /** Reads the directories the lists need next on a worker thread (dir-scanner.ts). */
  readonly #scanner: DirScanner;

  constructor(readonly o: SendListsOptions) {
    this.enc = new FileListEncoder(o.flist);
    this.#scanner = new DirScanner(o.readAhead ?? true, o.scan.hardLinks || o.oneFileSystem);
    this.#nextNdxStart = o.incRecurse ? 1 : 0;
  }

  #err(what: string, p: Buffer, e: NodeJS.ErrnoException | ScanError | undefined): void {
    const err = e ?? { code: undefined, errno: undefined, message: 'unknown error' };
    if (err.code === 'ENOENT') {
      this.ioError |= IOERR.VANISHED;
      this.o.message('warning', `file has vanished: ${JSON.stringify(p.toString())}\n`);
      return;
    }
    this.ioError |= IOERR.GENERAL;
    this.o.message(
      'error-xfer',
      `rsync: [sender] ${what} ${JSON.stringify(p.toString())} failed: ${err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ .*$/, '')} (${-(err.errno ?? 0)})\n`,
    );
  }

  /** The rest of make_file(): whether a directory's contents are listed, sums, sizes. */
  #finish(e: SendEntry): SendEntry {
    if (isDir(e.mode)) {
      e.contentDir = this.o.recursive;
      if (this.o.oneFileSystem && this.#filesystemDev !== undefined && e.dev !== this.#filesystemDev)
        e.contentDir = false;
    } else {
      if (this.o.fileSum && (e.mode & 0o170000) === 0o100000) setSum(e, this.o.fileSum(e));
      this.totalSize += e.size;
    }
    if (++this.#made % HEAP_CHECK_EVERY === 0) checkHeap('make_file');
    return e;
  }

  /** The contents of one local directory, named under `prefix` ('' for "."): make_file() for each. */
  #readDir(src: Buffer, prefix: Uint8Array): SendEntry[] {
    const d = this.#scanner.read(src);
    if (d.error) {
      this.#err('opendir', src, d.error);
      return [];
    }
    const errs = d.errs.length > 0 ? new Map(d.errs) : undefined;
    const links = d.links.length > 0 ? new Map(d.links) : undefined;
    const out: SendEntry[] = [];
    const num = d.num;
    const ids = this.o.scan.hardLinks || this.o.oneFileSystem;
    let start = 0;
    for (let i = 0; i < d.ends.length; i++) {
      const end = d.ends[i]!;
      // latin1: the name's bytes one to one
      const n = Buffer.from(d.names.slice(start, end), 'latin1');
      start = end;
      const abs = joinPath(src, n);
      const o = i * FIELDS;
      const mode = num[o]!;
      if (mode === -1) {
        this.#err('readlink_stat', abs, errs?.get(i));
        continue;
      }
      if (mode === -2) {
        this.#err('readlink_stat', abs, { code: 'ENOENT', errno: -2, message: 'gone' });
        continue;
      }
      const name = prefix.length === 0 ? n : childName(prefix, n);
      if (this.o.filters.excluded(name, isDir(mode), 'sender')) continue;
      const linkErr = errs?.get(i);
      if (linkErr) {
        this.#err('readlink', abs, linkErr);
        continue;
      }
      const fields = {
        mode,
        size: num[o + 1]!,
        mtime: num[o + 2]!,
        mtimeNsec: num[o + 3]!,
        uid: num[o + 4]!,
        gid: num[o + 5]!,
        nlink: num[o + 6]!,
        rdev: num[o + 7]!,
        // BigInts cost an allocation each: read only when -H or -x looks at them
        dev: ids ? d.big[i * 2]! : 0n,
        ino: ids ? d.big[i * 2 + 1]! : 0n,
      };
      out.push(this.#finish(entryFromFields(abs, name, fields, links?.get(i), this.o.scan)));
    }
    return out;
  }

  /** Merges duplicates (same name): a dir wins over a non-dir; duplicate dirs keep every source. */
  #dedupe(sorted: SendEntry[], extraSources: Map<SendEntry, Buffer[]>): SendEntry[] {
    const out: SendEntry[] = [];
    for (const e of sorted) {
      const prev = out[out.length - 1];
      if (prev && Buffer.compare(prev.nameBytes, e.nameBytes) === 0) {
        if (isDir(e.mode) && isDir(prev.mode)) {
          const l = extraSources.get(prev) ?? [];
          l.push(e.abs, ...(extraSources.get(e) ?? []));
          extraSources.set(prev, l);
        } else if (isDir(e.mode)) out[out.length - 1] = e;
        continue;
      }
      out.push(e);
    }
    return out;
  }

  /** Builds and sends the first list (and, without inc-recurse, everything). */
  sendFirst(w: WireWriter, args: readonly TopArg[]): void {
    const o = this.o;
    const entries: SendEntry[] = [];
    const extra = new Map<SendEntry, Buffer[]>();
    for (const a of args) {
      const abs = a.dir.length === 0 ? Buffer.from(a.name) : joinPath(a.dir, a.name);
      let st;
      try {
        st = statPath(abs, a.dotDir);
      } catch (e) {
        this.#err('link_stat', abs, e as NodeJS.ErrnoException);
        continue;
      }
      if (!st) {
        this.ioError |= IOERR.GENERAL;
        o.message(
          'error-xfer',
          `rsync: [sender] link_stat ${JSON.stringify(abs.toString())} failed: No such file or directory (2)\n`,
        );
        continue;
      }
      if (!a.dotDir && o.filters.excluded(a.name, st.isDirectory(), 'sender')) continue;
      if (st.isDirectory() && !o.recursive && !o.dirs) {
        o.message('info', `skipping directory ${a.name.toString()}\n`);
        continue;
      }
      this.#filesystemDev = st.dev;
      const top = entryFromStat(abs, a.name, st, o.scan);
      if (st.isDirectory()) {
        top.flags = XMIT.TOP_DIR;
        top.contentDir = o.recursive || a.dotDir;
        entries.push(top);
        if (o.incRecurse) {
          // only a "." dir is opened now; others are sub-lists later
          if (a.dotDir) entries.push(...this.#readDir(abs, new Uint8Array(0)));
        } else if (o.recursive) this.#recurseAll(entries, top);
        else if (a.dotDir) entries.push(...this.#readDir(abs, new Uint8Array(0)));
      } else {
        if ((top.mode & 0o170000) === 0o100000) {
          if (o.fileSum) setSum(top, o.fileSum(top));
          this.totalSize += top.size;
        }
        entries.push(top);
      }
    }
    const list = this.#emit(w, entries, -1, extra);
    if (!o.incRecurse) {
      encodeFlistTrailer(
        w,
        {
          protocol: o.protocol,
          incRecurse: false,
          sendUidList: o.owner && !o.numericIds,
          sendGidList: o.group && !o.numericIds,
        },
        this.enc.uidNames,
        this.enc.gidNames,
        this.ioError,
      );
      this.eof = true;
      this.#scanner.close();
      return;
    }
    this.#addDirsToTree(-1, list, extra);
    // the first list belongs to its "." (send_file_list(): parent_ndx stays 0)
    const first = list.entries[0];
    if (first && isDir(first.mode) && isDot(first.nameBytes)) list.parentDir = 0;
    if (this.#sendDirNdx < 0) {
      o.writeNdx(NDX_FLIST_EOF);
      this.eof = true;
      this.#scanner.close();
    } else if (this.fileTotal === 1) this.sendExtra(w, 1);
  }

  /** send_if_directory() without inc-recurse: the whole tree under `dir`. */
  #recurseAll(into: SendEntry[], dir: SendEntry): void {
    const stack = [dir];
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (!d.contentDir) continue;
      const kids = this.#readDir(d.abs, isDot(d.nameBytes) ? new Uint8Array(0) : d.nameBytes);
      const next: Buffer[] = [];
      for (const k of kids) {
        into.push(k);
        if (isDir(k.mode)) {
          stack.push(k);
          if (k.contentDir) next.push(k.abs);
        }
      }
      // the stack pops the last first
      this.#scanner.announce(next.reverse());
    }
  }

  /** Sorts, merges duplicates, encodes and records one list. */
  #emit(w: WireWriter, raw: SendEntry[], parentDir: number, extra: Map<SendEntry, Buffer[]>): SendList {
    // a sub-list is one directory's contents: sorted on base names
    const sorted = this.#dedupe(
      parentDir >= 0 ? sortDirContents(raw, this.o.protocol) : sortFileList(raw, this.o.protocol),
      extra,
    );
    const list: SendList = { ndxStart: this.#nextNdxStart, entries: sorted, parentDir };
    this.#nextNdxStart += sorted.length + 1;
    this.enc.startList(list.ndxStart);
    for (const e of sorted) {
      if (isDir(e.mode)) {
        e.flags = ((e.flags ?? 0) & XMIT.TOP_DIR) | (e.contentDir ? 0 : XMIT.NO_CONTENT_DIR);
        this.numDirs++;
      }
      this.enc.encode(w, e);
    }
    this.numFiles += sorted.length;
    if (!this.enc.end(w, this.ioError) && this.o.protocol >= 30) this.ioErrorUnsent = true;
    this.lists.push(list);
    this.fileTotal += sorted.length;
    return list;
  }

  /** add_dirs_to_tree(): the list's directories join dir_flist; all but "." become children of `parent`. */
  #addDirsToTree(parent: number, list: SendList, extra: Map<SendEntry, Buffer[]>): void {
    let prev = -1;
    // these are read next, depth first: the worker starts on them now
    const next: Buffer[] = [];
    for (const e of list.entries) {
      if (!isDir(e.mode)) continue;
      const idx = this.dirs.length;
      const sources = [e.abs, ...(extra.get(e) ?? [])];
      this.dirs.push({ entry: e, sources, parent, firstChild: -1, nextSibling: -1 });
      if (isDot(e.nameBytes)) continue;
      if (e.contentDir) next.push(...sources);
      if (prev >= 0) this.dirs[prev]!.nextSibling = idx;
      else if (parent >= 0) this.dirs[parent]!.firstChild = idx;
      else this.#sendDirNdx = idx;
      prev = idx;
    }
    this.#scanner.announce(next);
  }

  /** send_extra_file_list(): more sub-lists until `atLeast` entries are ahead of the current list. */
  sendExtra(w: WireWriter, atLeast: number): boolean {
    let sent = false;
    while (!this.eof && this.fileTotal - this.fileOldTotal < atLeast) {
      const d = this.#sendDirNdx;
      const node = this.dirs[d]!;
      this.o.writeNdx(NDX_FLIST_OFFSET - d);
      const raw: SendEntry[] = [];
      const extra = new Map<SendEntry, Buffer[]>();
      if (node.entry.contentDir) {
        for (const src of node.sources) {
          if (this.o.oneFileSystem) {
            const st = statPath(src);
            if (st) this.#filesystemDev = st.dev;
          }
          raw.push(...this.#readDir(src, node.entry.nameBytes));
        }
      }
      const list = this.#emit(w, raw, d, extra);
      this.#addDirsToTree(d, list, extra);
      sent = true;
      if (node.firstChild >= 0) this.#sendDirNdx = node.firstChild;
      else {
        let cur = d;
        while (this.dirs[cur]!.nextSibling < 0) {
          cur = this.dirs[cur]!.parent;
          if (cur < 0) {
            this.o.writeNdx(NDX_FLIST_EOF);
            this.eof = true;
            this.#scanner.close();
            return sent;
          }
        }
        this.#sendDirNdx = this.dirs[cur]!.nextSibling;
      }
    }
    return sent;
  }

  /** Stops reading ahead (the transfer ended, whether or not the lists are complete). */
  close(): void {
    this.#scanner.close();
  }

  /** The list holding `ndx`, or undefined. */
  listFor(ndx: number): SendList | undefined {
    for (const l of this.lists)
      if (ndx >= l.ndxStart - (this.o.incRecurse ? 1 : 0) && ndx < l.ndxStart + l.entries.length) return l;
    return undefined;
  }

  /** The entry for `ndx`; a list's pseudo index ndxStart - 1 is its directory. */
  entry(ndx: number): SendEntry | undefined {
    const l = this.listFor(ndx);
    if (!l) return undefined;
    if (ndx < l.ndxStart) return l.parentDir >= 0 ? this.dirs[l.parentDir]!.entry : undefined;
    return l.entries[ndx - l.ndxStart];
  }

  /** The generator is done with the oldest list (inc-recurse NDX_DONE). Returns whether lists remain. */
  freeFirst(): boolean {
    const l = this.lists.shift();
    if (l) {
      this.fileTotal -= l.entries.length;
      this.fileOldTotal = Math.max(0, this.fileOldTotal - l.entries.length);
    }
    return this.lists.length > 0;
  }

  /** The transfer moved to the list holding `ndx`: entries before it are "old". */
  setCurrent(list: SendList): void {
    let old = 0;
    for (const l of this.lists) {
      if (l === list) break;
      old += l.entries.length;
    }
    this.fileOldTotal = old;
  }
}

/** `prefix/base` in one allocation. */
function childName(prefix: Uint8Array, base: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + 1 + base.length);
  out.set(prefix, 0);
  out[prefix.length] = SLASH;
  out.set(base, prefix.length + 1);
  return out;
}

function isDot(name: Uint8Array): boolean {
  return name.length === 1 && name[0] === 0x2e;
}

function setSum(e: SendEntry, sum: Uint8Array | undefined): void {
  if (sum !== undefined) e.checksum = sum;
}
