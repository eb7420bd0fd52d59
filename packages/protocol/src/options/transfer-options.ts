/**
 * The rsync options a transfer runs with, as one typed object (rsync keeps
 * them in globals set by options.c). Both ends use it: the client builds it
 * from its command line, a server from the argument vector it received.
 */
import type { FilterRule } from '../filter/rules.js';
import type { ChmodRule } from './chmod.js';

export type DeleteMode = 'before' | 'during' | 'delay' | 'after';
export type CompressName = 'zlib' | 'zlibx' | 'zstd' | 'lz4' | 'none';
export type AltDestKind = 'link' | 'compare' | 'copy';

export interface TransferOptions {
  recursive: boolean;
  /** -d: transfer directories without recursing. */
  dirs: boolean;
  links: boolean;
  perms: boolean;
  /** -E (only meaningful without -p). */
  executability: boolean;
  times: boolean;
  /** -O */
  omitDirTimes: boolean;
  /** -J */
  omitLinkTimes: boolean;
  group: boolean;
  owner: boolean;
  devices: boolean;
  specials: boolean;
  hardLinks: boolean;
  numericIds: boolean;
  /** -R */
  relative: boolean;
  dryRun: boolean;
  /** -c */
  checksum: boolean;
  /** -I */
  ignoreTimes: boolean;
  sizeOnly: boolean;
  /** -u */
  update: boolean;
  /** --existing */
  existing: boolean;
  ignoreExisting: boolean;
  /** true = -W, false = --no-W, undefined = rsync's default (delta for remote, whole for local). */
  wholeFile: boolean | undefined;
  inplace: boolean;
  partial: boolean;
  partialDir: string | undefined;
  /** --delete*: undefined = no deletion. Plain --delete is 'during' (>= 30) or 'before' (< 30). */
  delete: DeleteMode | 'default' | undefined;
  deleteExcluded: boolean;
  force: boolean;
  /** --max-delete=N (undefined = unlimited). */
  maxDelete: number | undefined;
  maxSize: number | undefined;
  minSize: number | undefined;
  ignoreErrors: boolean;
  /** -z, or --compress-choice. undefined = no compression. */
  compress: CompressName | 'auto' | undefined;
  compressLevel: number | undefined;
  /** --checksum-choice (undefined = negotiate). */
  checksumChoice: string | undefined;
  checksumSeed: number | undefined;
  /** --block-size */
  blockSize: number | undefined;
  /** --link-dest / --compare-dest / --copy-dest dirs (one kind only). */
  altDest: { kind: AltDestKind; dirs: string[] } | undefined;
  filters: FilterRule[];
  /** --cvs-exclude */
  cvsExclude: boolean;
  /** --protocol=N: our highest protocol. */
  protocol: number;
  /** --timeout seconds (0 = none). */
  timeout: number;
  /**
   * --munge-links, and a daemon module's `munge symlinks`: symlinks are created with the
   * "/rsyncd-munged/" prefix and sent without it, so none can be followed out of the tree.
   */
  mungeLinks: boolean;
  /** Received files lose their set-user-ID and set-group-ID bits (a root daemon's module run as another user). */
  stripSetId: boolean;
  /**
   * --chmod rules (several accumulate), and a daemon module's `incoming chmod` /
   * `outgoing chmod`: applied to the modes of the file list this side builds or
   * receives (never sent to the other side). undefined = none.
   */
  chmod: ChmodRule[] | undefined;
  /** A daemon module's `incoming chmod`, applied once more to the mode a received file is given. */
  daemonChmod: ChmodRule[] | undefined;
  /** --bwlimit KiB/s (0 = none). */
  bwlimit: number;
  modifyWindow: number;
  /** --list-only */
  listOnly: boolean;
  /** -v count */
  verbose: number;
  /** -i count */
  itemize: number;
  quiet: boolean;
  stats: boolean;
  /** --safe-links */
  safeLinks: boolean;
  /** -x */
  oneFileSystem: boolean;
}

export const DEFAULT_OPTIONS: Readonly<TransferOptions> = Object.freeze({
  recursive: false,
  dirs: false,
  links: false,
  perms: false,
  executability: false,
  times: false,
  omitDirTimes: false,
  omitLinkTimes: false,
  group: false,
  owner: false,
  devices: false,
  specials: false,
  hardLinks: false,
  numericIds: false,
  relative: false,
  dryRun: false,
  checksum: false,
  ignoreTimes: false,
  sizeOnly: false,
  update: false,
  existing: false,
  ignoreExisting: false,
  wholeFile: undefined,
  inplace: false,
  partial: false,
  partialDir: undefined,
  delete: undefined,
  deleteExcluded: false,
  force: false,
  maxDelete: undefined,
  maxSize: undefined,
  minSize: undefined,
  ignoreErrors: false,
  compress: undefined,
  compressLevel: undefined,
  checksumChoice: undefined,
  checksumSeed: undefined,
  blockSize: undefined,
  altDest: undefined,
  filters: [],
  cvsExclude: false,
  protocol: 32,
  timeout: 0,
  mungeLinks: false,
  stripSetId: false,
  chmod: undefined,
  daemonChmod: undefined,
  bwlimit: 0,
  modifyWindow: 0,
  listOnly: false,
  verbose: 0,
  itemize: 0,
  quiet: false,
  stats: false,
  safeLinks: false,
  oneFileSystem: false,
});

/** -a: -rlptgoD (options.c: --archive). */
export const ARCHIVE: Partial<TransferOptions> = {
  recursive: true,
  links: true,
  perms: true,
  times: true,
  group: true,
  owner: true,
  devices: true,
  specials: true,
};

export function makeOptions(over: Partial<TransferOptions> = {}): TransferOptions {
  return { ...DEFAULT_OPTIONS, filters: [], ...over };
}

/** The delete mode in effect for a negotiated protocol (compat.c:setup_protocol()). */
export function effectiveDelete(o: TransferOptions, protocol: number): DeleteMode | undefined {
  if (o.delete === undefined) return undefined;
  if (o.delete === 'default') return protocol >= 30 ? 'during' : 'before';
  return o.delete;
}

/**
 * Incremental recursion is possible (compat.c:set_allow_inc_recurse()): needs -r,
 * and a receiver that does not delete before/after or delay updates.
 */
export function allowIncRecurse(o: TransferOptions, amSender: boolean): boolean {
  if (!o.recursive) return false;
  if (!amSender && (o.delete === 'before' || o.delete === 'after')) return false;
  return true;
}
