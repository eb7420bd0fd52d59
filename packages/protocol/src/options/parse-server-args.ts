/**
 * The argument vector of `rsync --server ...` turned back into options: what
 * a server (ours, started by a real rsync client over a remote shell, or our
 * daemon, which gets the same words over the socket) must do. The inverse of
 * serverArgs(); the option set follows options.c:long_options[] (3.2.7 and
 * 3.5.0) and the checks follow options.c:parse_arguments().
 *
 * The words are taken as the remote shell left them: a daemon must undo the
 * client's backslash quoting of option values first (io.c:read_args()).
 */
import { EXIT } from '../errors.js';
import { scanArgs, ServerArgsError } from './popt-scan.js';
import { DAEMON, DaemonSwitch, freshState, MAIN } from './server-option-table.js';
import type { CompressName, TransferOptions } from './transfer-options.js';

export { ServerArgsError } from './popt-scan.js';

export interface ServerInvocation {
  /** --sender was given: the server sends (a pull by the client). */
  amSender: boolean;
  /** --daemon was given (rsync --server --daemon . : a daemon over a remote shell). */
  daemon: boolean;
  /** With --daemon: the --config and --log-file given (e.g. through --rsync-path or -M). */
  daemonConfig?: string | undefined;
  daemonLogFile?: string | undefined;
  /** From makeOptions({}) plus only what the argv says. */
  options: TransferOptions;
  /** The -e capability string after 'e' in the short-option cluster (e.g. ".iLsfxCIvu"), undefined when absent. */
  info: string | undefined;
  /** Positional args after the options: rsync puts "." first, then the paths. */
  args: string[];
  /** Options the argv had that we accept but ignore, as spelled (e.g. "--log-format=X"). */
  ignored: string[];
  /**
   * Options we do not implement, named like rsync's refusal message does
   * (options.c:create_refuse_error()): "--sparse (-S)", so a caller can say
   * `The server does not support ${name}`. Turned off again by their --no-X.
   */
  unsupported: string[];
  /** false after --no-inc-recursive / --no-i-r / --qsort (options.c: allow_inc_recurse). */
  allowIncRecurse: boolean;
  /**
   * -s (--secluded-args): the rest of the words come over the connection
   * (rsync.c:send_protected_args()); read them, drop their arg0 and parse
   * `[...argv, ...rest]` again (main.c does the same).
   */
  secludedArgs: boolean;
}

const COMPRESS_NAMES: readonly CompressName[] = ['zstd', 'lz4', 'zlibx', 'zlib', 'none'];

/** Parses the words after the program name: `--server [--sender] -vlogDtpre.iLsfxCIvu ... . PATH...`. */
export function parseServerArgs(argv: readonly string[]): ServerInvocation {
  let s = freshState();
  let args: string[];
  try {
    args = scanArgs(argv, MAIN, s);
  } catch (e) {
    if (!(e instanceof DaemonSwitch)) throw e;
    s = freshState(); // options.c: the whole vector again, with the daemon table
    args = scanArgs(argv, DAEMON, s, ' (in daemon mode)');
    if (!s.daemon) throw new ServerArgsError('Daemon option(s) used without --daemon.');
  }
  if (!s.server) throw new ServerArgsError('--server was not given');
  const o = s.o;
  if (s.oneFs > 1) s.ignored.push('-xx');

  // compression (options.c:parse_arguments(), compat.c:parse_compress_choice())
  const asked = (s.zChoice === undefined && s.z > 1 ? 'zlibx' : s.zChoice)?.toLowerCase();
  let choice: CompressName | undefined;
  if (asked !== undefined && asked !== 'auto') {
    choice = COMPRESS_NAMES.find((n) => n === asked);
    if (!choice)
      throw new ServerArgsError(`unknown compress name: ${s.zChoice}`, undefined, EXIT.UNSUPPORTED);
  }
  if (choice !== undefined && choice !== 'none') o.compress = choice;
  else if (s.z > 0 || o.compressLevel !== undefined) o.compress = 'auto';
  else if (choice === 'none') o.compress = 'none';

  const cc = o.checksumChoice?.toLowerCase();
  if (cc === 'auto' || cc === 'auto,auto') o.checksumChoice = undefined;

  const d = s.del;
  if (Number(d.before) + Number(d.during > 0) + Number(d.after) > 1) {
    throw new ServerArgsError('You may not combine multiple --delete-WHEN options.');
  }
  if (d.before) o.delete = 'before';
  else if (d.during) o.delete = d.during === 2 ? 'delay' : 'during';
  else if (d.after) o.delete = 'after';
  else if (d.mode || o.deleteExcluded) o.delete = 'default';
  o.dirs = s.dirs === true;
  const xferDirs = o.recursive || (s.dirs ?? o.listOnly);
  if (o.delete !== undefined && !xferDirs) {
    throw new ServerArgsError('--delete does not work without --recursive (-r) or --dirs (-d).');
  }

  if (o.inplace) {
    if (o.partialDir !== undefined) throw new ServerArgsError('--inplace cannot be used with --partial-dir');
    o.partial = false;
  } else if (o.partialDir === '' || o.partialDir === '.') o.partialDir = undefined;
  else if (o.partialDir !== undefined) o.partial = true;

  return {
    amSender: s.amSender,
    daemon: s.daemon,
    daemonConfig: s.daemonConfig,
    daemonLogFile: s.daemonLogFile,
    options: o,
    info: s.info,
    args,
    ignored: s.ignored,
    unsupported: [...s.unsupported.values()],
    allowIncRecurse: s.allowIncRecurse,
    secludedArgs: s.secluded,
  };
}
