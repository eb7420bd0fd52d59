/**
 * State shared by the generator and the receiver of one transfer (in rsync
 * they are two processes talking over a pipe; here two tasks of one process).
 */
import type { StrongChecksum } from '@tsrsync/delta';
import { FileListSet, type ListEntry } from '../flist/file-list.js';
import type { FilterList } from '../filter/filter-list.js';
import type { DestTree } from '../local/dest-tree.js';
import type { IdMapper } from '../local/ids.js';
import type { TransferOptions } from '../options/transfer-options.js';
import type { DataIn } from '../session/data-in.js';
import type { DataOut } from '../session/data-out.js';
import type { SessionSettings } from '../session/settings.js';
import { NdxState } from '../wire/ndx.js';
import { displayName } from '../local/fs-names.js';
import type { MessageLevel, Reporter } from './reporter.js';
import { TransferStats } from './reporter.js';

/** Receiver → generator notifications (rsync's MSG_DONE / MSG_REDO / MSG_SUCCESS / MSG_NO_SEND). */
export class Signals {
  /** Phase-end markers the receiver saw (msgdone_cnt). */
  msgDone = 0;
  readonly redo: number[] = [];
  /** Finished transfers: ndx and whether they succeeded (for hard links and inc-recurse accounting). */
  readonly finished: { ndx: number; ok: boolean }[] = [];
  /** Bumped by every notify(): a waiter that saw `seq` before checking its condition cannot miss one. */
  seq = 0;
  #waiters: (() => void)[] = [];
  #failed: unknown;

  notify(): void {
    this.seq++;
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  fail(e: unknown): void {
    this.#failed ??= e;
    this.notify();
  }

  /** Waits for a notification after `since` (wait_for_receiver()); returns at once if one already came. */
  wait(since: number): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (this.seq !== since) return Promise.resolve();
    return new Promise((resolve, reject) =>
      this.#waiters.push(() => (this.#failed !== undefined ? reject(this.#failed) : resolve())),
    );
  }
}

export interface ReceiveContextInit {
  options: TransferOptions;
  settings: SessionSettings;
  input: DataIn;
  output: DataOut;
  dest: DestTree;
  /** Single-file mode (main.c:get_local_name()): write the one entry under this name. */
  localName?: Uint8Array | undefined;
  filters: FilterList;
  checksum: StrongChecksum;
  ids: IdMapper;
  reporter: Reporter;
  /** Absolute --link-dest/--compare-dest/--copy-dest directories. */
  altDirs: Buffer[];
  /** Finds a delta basis elsewhere for a file new at its path (renamed files in snapshots). */
  basisFinder?: BasisFinder | undefined;
  /**
   * Never change the attributes of a destination file that has other hard
   * links (a snapshot staging tree linked to older snapshots): give it a new
   * inode instead, so history is never rewritten.
   */
  breakSharedInodes?: boolean | undefined;
  /** Called when every file is in place, before the final goodbye (a daemon commits a snapshot here). */
  beforeGoodbye?: (() => Promise<void>) | undefined;
  /** We are the client (prints and reads stats) rather than a server. */
  amClient: boolean;
  amRoot: boolean;
  umask: number;
}

/** A file outside the destination that may hold an entry's content (same basename and size). */
export interface BasisFinder {
  /** Absolute path of a candidate, or undefined. */
  find(e: ListEntry): Buffer | undefined;
}

export class ReceiveContext {
  readonly o: TransferOptions;
  readonly s: SessionSettings;
  readonly input: DataIn;
  readonly out: DataOut;
  dest: DestTree;
  localName: Uint8Array | undefined;
  readonly filters: FilterList;
  readonly checksum: StrongChecksum;
  readonly ids: IdMapper;
  readonly reporter: Reporter;
  readonly altDirs: Buffer[];
  readonly basisFinder: BasisFinder | undefined;
  readonly breakSharedInodes: boolean;
  readonly beforeGoodbye: (() => Promise<void>) | undefined;
  /** Basis files chosen by the basisFinder, by file index, for the receiver. */
  readonly basisOverride = new Map<number, Buffer>();
  readonly amClient: boolean;
  readonly amRoot: boolean;
  readonly dfltPerms: number;
  readonly flist: FileListSet;
  readonly signals = new Signals();
  /** ndx decoding state of the stream from the sender (shared by whoever reads it). */
  readonly ndxIn: NdxState;
  readonly stats = new TransferStats();
  /** io_error bits (IOERR_*), from the sender and from ourselves. */
  ioError = 0;
  /** An FERROR_XFER-class problem happened (exit 23). */
  gotXferError = false;
  /** Fatal error code received from the peer (MSG_ERROR_EXIT). */
  remoteExit: number | undefined;

  constructor(i: ReceiveContextInit) {
    this.o = i.options;
    this.s = i.settings;
    this.input = i.input;
    this.out = i.output;
    this.dest = i.dest;
    this.localName = i.localName;
    this.filters = i.filters;
    this.checksum = i.checksum;
    this.ids = i.ids;
    this.reporter = i.reporter;
    this.altDirs = i.altDirs;
    this.basisFinder = i.basisFinder;
    this.breakSharedInodes = i.breakSharedInodes ?? false;
    this.beforeGoodbye = i.beforeGoodbye;
    this.amClient = i.amClient;
    this.amRoot = i.amRoot;
    this.dfltPerms = 0o777 & ~i.umask;
    this.ndxIn = new NdxState(i.settings.protocol);
    this.flist = new FileListSet({
      protocol: i.settings.protocol,
      incRecurse: i.settings.incRecurse,
      recursive: i.options.recursive,
    });
  }

  message(level: MessageLevel, text: string): void {
    if (level === 'error-xfer') this.gotXferError = true;
    this.reporter.message?.(level, text);
  }

  /** rsyserr(FERROR_XFER, ...): `rsync: [role] <what>: <strerror> (<errno>)`. */
  sysFail(what: string, err: unknown, role = 'generator'): void {
    const e = err as NodeJS.ErrnoException;
    const text = e?.code ? syserr(e) : String((err as Error)?.message ?? err);
    this.message('error-xfer', `rsync: [${role}] ${what}: ${text}\n`);
  }

  /** Quoted full path of a destination name, for messages. */
  full(name: Uint8Array): string {
    return this.dest.full(name);
  }

  /** The name an entry is written under (single-file mode renames the only entry). */
  nameOf(e: { nameBytes: Uint8Array }): Uint8Array {
    return this.localName ?? e.nameBytes;
  }

  display(name: Uint8Array): string {
    return displayName(name);
  }
}

import { sysError } from '../local/sys-error.js';
function syserr(e: unknown): string {
  const s = sysError(e);
  return `${s.text} (${s.errno})`;
}
