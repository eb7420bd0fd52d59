/**
 * The argument vector a client sends to its server (options.c:server_options()).
 * Only options TransferOptions models are sent; the order follows rsync.
 */
import { allowIncRecurse, effectiveDelete, type TransferOptions } from './transfer-options.js';

export interface ServerArgsOptions {
  /** The client sends the files (push); else the server is the sender (pull). */
  amSender: boolean;
  /** -e capability string including the leading '.', e.g. ".iLfxCIvu" (protocol >= 30 only). */
  info: string | undefined;
  /** Protocol we asked for (pre-negotiation); selects the delete default sent with --delete. */
  protocol: number;
}

/** `--server [--sender] -<letters>e<info> [--long...]` (the caller appends "." and the paths). */
export function serverArgs(o: TransferOptions, a: ServerArgsOptions): string[] {
  const args = ['--server'];
  if (!a.amSender) args.push('--sender');
  let s = '-';
  s += 'v'.repeat(Math.min(o.verbose, 9));
  if (o.dryRun) s += 'n';
  if (o.update) s += 'u';
  if (o.links) s += 'l';
  if (o.dirs && !o.recursive && (o.listOnly || (o.delete !== undefined && a.amSender))) s += 'd';
  if (a.amSender) {
    if (o.omitDirTimes) s += 'O';
    if (o.omitLinkTimes) s += 'J';
  }
  if (o.wholeFile === true) s += 'W';
  if (o.hardLinks) s += 'H';
  if (o.owner) s += 'o';
  if (o.group) s += 'g';
  if (o.devices) s += 'D';
  if (o.times) s += 't';
  if (o.perms) s += 'p';
  else if (o.executability && a.amSender) s += 'E';
  if (o.recursive) s += 'r';
  if (o.checksum) s += 'c';
  if (o.cvsExclude) s += 'C';
  if (o.ignoreTimes) s += 'I';
  if (o.relative) s += 'R';
  if (o.oneFileSystem) s += 'x';
  // 'z' for -z (negotiated or classic zlib); other explicit choices go as long options
  if (o.compress === 'auto' || o.compress === 'zlib') s += 'z';
  if (a.info !== undefined && a.protocol >= 30) s += `e${a.info}`;
  if (s.length > 1) args.push(s);

  if (o.listOnly) args.push('--list-only');
  if (o.compress !== undefined && o.compress !== 'none' && o.compressLevel !== undefined) {
    args.push(`--compress-level=${o.compressLevel}`);
  }
  if (o.devices) {
    if (!o.specials) args.push('--no-specials');
  } else if (o.specials) args.push('--specials');
  if (o.blockSize !== undefined) args.push(`-B${o.blockSize}`);
  if (o.timeout > 0) args.push(`--timeout=${o.timeout}`);
  if (o.bwlimit > 0) args.push(`--bwlimit=${o.bwlimit}`);
  if (o.checksumChoice !== undefined) args.push(`--checksum-choice=${o.checksumChoice}`);
  if (o.compress === 'zlibx') args.push('--new-compress');
  else if (o.compress === 'zlib') args.push('--old-compress');
  else if (o.compress === 'zstd' || o.compress === 'lz4' || o.compress === 'none') {
    args.push(`--compress-choice=${o.compress}`);
  }
  if (a.amSender) {
    if (o.maxDelete !== undefined)
      args.push(o.maxDelete > 0 ? `--max-delete=${o.maxDelete}` : '--max-delete=-1');
    if (o.minSize !== undefined) args.push(`--min-size=${o.minSize}`);
    if (o.maxSize !== undefined) args.push(`--max-size=${o.maxSize}`);
    const del = o.delete === 'default' ? undefined : o.delete;
    if (del === 'before') args.push('--delete-before');
    else if (del === 'delay') args.push('--delete-delay');
    else if (del === 'during') args.push('--delete-during');
    else if (del === 'after') args.push('--delete-after');
    else if (o.delete === 'default' && !o.deleteExcluded) args.push('--delete');
    if (o.deleteExcluded) args.push('--delete-excluded');
    if (o.force) args.push('--force');
    if (o.sizeOnly) args.push('--size-only');
    if (o.stats) args.push('--stats');
  }
  if (o.modifyWindow !== 0 && a.amSender) args.push(`--modify-window=${o.modifyWindow}`);
  if (o.checksumSeed !== undefined && o.checksumSeed !== 0) args.push(`--checksum-seed=${o.checksumSeed}`);
  if (a.amSender) {
    if (o.partialDir !== undefined) args.push('--partial-dir', o.partialDir);
    else if (o.partial) args.push('--partial');
  }
  if (o.ignoreErrors) args.push('--ignore-errors');
  if (o.safeLinks) args.push('--safe-links');
  if (o.numericIds) args.push('--numeric-ids');
  if (a.amSender) {
    if (o.ignoreExisting) args.push('--ignore-existing');
    if (o.existing) args.push('--existing');
    if (o.altDest) {
      for (const d of o.altDest.dirs) args.push(`--${o.altDest.kind}-dest`, d);
    }
  }
  if (o.inplace) args.push('--inplace');
  return args;
}

/** Whether the client may send 'i' (compat.c:set_allow_inc_recurse(), client side). */
export function clientAllowsIncRecurse(o: TransferOptions, amSender: boolean, protocol: number): boolean {
  if (protocol < 30) return false;
  if (!allowIncRecurse(o, amSender)) return false;
  const del = effectiveDelete(o, protocol);
  if (!amSender && (del === 'before' || del === 'after')) return false;
  return true;
}
