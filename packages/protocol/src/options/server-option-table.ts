/**
 * The option table of a server's argument vector: options.c:long_options[]
 * (3.2.7 and 3.5.0, server side, so no popt aliases) and
 * options.c:long_daemon_options[], with what each option does to the
 * TransferOptions being built. parse-server-args.ts runs it and applies the
 * checks that follow the scan in options.c:parse_arguments().
 */
import { FilterSyntaxError, parseFilterRule, simpleRule, type FilterRule } from '../filter/rules.js';
import { parseSizeArg, ServerArgsError, type ArgKind, type OptTable } from './popt-scan.js';
import { ARCHIVE, makeOptions, type AltDestKind, type TransferOptions } from './transfer-options.js';

export interface ServerArgState {
  o: TransferOptions;
  server: boolean;
  amSender: boolean;
  daemon: boolean;
  /** Daemon mode: --config FILE and --log-file FILE. */
  daemonConfig: string | undefined;
  daemonLogFile: string | undefined;
  info: string | undefined;
  ignored: string[];
  unsupported: Map<string, string>;
  allowIncRecurse: boolean;
  secluded: boolean;
  dirs: boolean | undefined;
  del: { mode: boolean; before: boolean; during: 0 | 1 | 2; after: boolean };
  oneFs: number;
  z: number;
  zChoice: string | undefined;
  fOpts: number;
}

type Run = (s: ServerArgState, value: string, word: string) => void;
type Table = OptTable<ServerArgState>;
type BoolKey = {
  [K in keyof TransferOptions]: TransferOptions[K] extends boolean ? K : never;
}[keyof TransferOptions];

/** Thrown by an option that switches rsync to its daemon option table (OPT_DAEMON). */
export class DaemonSwitch extends Error {}

function table(defs: (def: (names: string, kind: ArgKind, run: Run, short?: string) => void) => void): Table {
  const t: Table = { long: new Map(), short: new Map() };
  defs((names, kind, run, short) => {
    const spec = { kind, run };
    for (const n of names.split(' ')) if (n) t.long.set(n, spec);
    if (short) t.short.set(short, spec);
  });
  return t;
}

const ignore: Run = (s, _v, w) => s.ignored.push(w);
const int = (v: string) => Number(v);
const on =
  (k: BoolKey, v = true): Run =>
  (s) => {
    s.o[k] = v;
  };

function addFilter(s: ServerArgState, make: () => FilterRule | undefined, word: string): void {
  try {
    const r = make();
    if (r) s.o.filters.push(r);
    else s.unsupported.set('filter', '--filter (-f)'); // a merge file on the server's disk
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw new ServerArgsError(e.message, word);
    throw e;
  }
}

function altDest(kind: AltDestKind): Run {
  return (s, v) => {
    const cur = s.o.altDest;
    if (cur && cur.kind !== kind) {
      throw new ServerArgsError(
        `ERROR: the --${kind}-dest option conflicts with the --${cur.kind}-dest option`,
      );
    }
    const dirs = cur?.dirs ?? [];
    if (dirs.length >= 20)
      throw new ServerArgsError(`ERROR: at most 20 --${kind}-dest args may be specified`);
    s.o.altDest = { kind, dirs: [...dirs, v] };
  };
}

/** options.c:long_options[] (server side: popt aliases off). */
export const MAIN = table((def) => {
  const flag = (k: BoolKey, yes: string, short: string | undefined, no = '') => {
    def(yes, 'none', on(k), short);
    def(no, 'none', on(k, false));
  };
  // `group`: options sharing one rsync variable (the last one given counts; --no-X clears it)
  const refuse = (name: string, kind: ArgKind, short?: string, no = '', group = name) => {
    def(name, kind, (s) => s.unsupported.set(group, short ? `--${name} (-${short})` : `--${name}`), short);
    def(no, 'none', (s) => void s.unsupported.delete(group));
  };
  const toDaemon: Run = () => {
    throw new DaemonSwitch();
  };
  def('server', 'none', (s) => void (s.server = true));
  def('sender', 'none', (s) => void (s.amSender = true));
  def('config dparam', 'str', toDaemon);
  def('daemon detach no-detach', 'none', toDaemon);
  def('rsh', 'str', (s, v) => void (s.info = v), 'e');
  def('secluded-args protect-args', 'none', (s) => void (s.secluded = true), 's');
  def('no-secluded-args no-protect-args no-s', 'none', (s) => void (s.secluded = false));
  def('protocol', 'int', (s, v) => void (s.o.protocol = int(v)));
  def('verbose', 'none', (s) => void s.o.verbose++, 'v');
  def('no-verbose no-v', 'none', (s) => void (s.o.verbose = 0));
  flag('quiet', 'quiet', 'q');
  flag('stats', 'stats', undefined);
  flag('dryRun', 'dry-run', 'n');
  def('archive', 'none', (s) => void Object.assign(s.o, ARCHIVE), 'a');
  flag('recursive', 'recursive', 'r', 'no-recursive no-r');
  def('inc-recursive i-r', 'none', (s) => void (s.allowIncRecurse = true));
  def('no-inc-recursive no-i-r', 'none', (s) => void (s.allowIncRecurse = false));
  def('dirs', 'none', (s) => void (s.dirs = true), 'd');
  def('no-dirs no-d', 'none', (s) => void (s.dirs = false));
  flag('perms', 'perms', 'p', 'no-perms no-p');
  flag('executability', 'executability', 'E');
  flag('times', 'times', 't', 'no-times no-t');
  flag('omitDirTimes', 'omit-dir-times', 'O', 'no-omit-dir-times no-O');
  flag('omitLinkTimes', 'omit-link-times', 'J', 'no-omit-link-times no-J');
  def('modify-window', 'int', (s, v) => void (s.o.modifyWindow = int(v)), '@');
  flag('owner', 'owner', 'o', 'no-owner no-o');
  flag('group', 'group', 'g', 'no-group no-g');
  def('', 'none', (s) => void (s.o.devices = s.o.specials = true), 'D');
  def('no-D', 'none', (s) => void (s.o.devices = s.o.specials = false));
  flag('devices', 'devices', undefined, 'no-devices');
  flag('specials', 'specials', undefined, 'no-specials');
  flag('links', 'links', 'l', 'no-links no-l');
  flag('safeLinks', 'safe-links', undefined);
  flag('hardLinks', 'hard-links', 'H', 'no-hard-links no-H');
  flag('relative', 'relative', 'R', 'no-relative no-R');
  flag('ignoreTimes', 'ignore-times', 'I');
  flag('sizeOnly', 'size-only', undefined);
  def('one-file-system', 'none', (s) => void ((s.oneFs += 1), (s.o.oneFileSystem = true)), 'x');
  def('no-one-file-system no-x', 'none', (s) => void ((s.oneFs = 0), (s.o.oneFileSystem = false)));
  flag('update', 'update', 'u');
  flag('existing', 'existing ignore-non-existing', undefined);
  flag('ignoreExisting', 'ignore-existing', undefined);
  def(
    'max-size',
    'str',
    (s, v) => void (s.o.maxSize = parseSizeArg(v, 'b', 'max-size', 0, undefined, false)),
  );
  def(
    'min-size',
    'str',
    (s, v) => void (s.o.minSize = parseSizeArg(v, 'b', 'min-size', 0, undefined, false)),
  );
  flag('inplace', 'inplace', undefined, 'no-inplace');
  def('delete', 'none', (s) => void (s.del.mode = true));
  def('delete-before', 'none', (s) => void (s.del.before = true));
  def('del delete-during', 'none', (s) => void (s.del.during = 1));
  def('delete-delay', 'none', (s) => void (s.del.during = 2));
  def('delete-after', 'none', (s) => void (s.del.after = true));
  flag('deleteExcluded', 'delete-excluded', undefined);
  flag('force', 'force', undefined, 'no-force');
  flag('ignoreErrors', 'ignore-errors', undefined, 'no-ignore-errors');
  def('max-delete', 'int', (s, v) => {
    const n = int(v); // negative: no deletions, except INT_MIN (rsync's "unset")
    s.o.maxDelete = n === -2147483648 ? undefined : Math.max(n, 0);
  });
  def('filter', 'str', (s, v, w) => addFilter(s, () => parseFilterRule(v).rule, w), 'f');
  def('exclude', 'str', (s, v, w) => addFilter(s, () => simpleRule(false, v), w));
  def('include', 'str', (s, v, w) => addFilter(s, () => simpleRule(true, v), w));
  def(
    '',
    'none',
    (s, _v, w) => {
      const rule = ++s.fOpts === 1 ? ': /.rsync-filter' : s.fOpts === 2 ? '- .rsync-filter' : undefined;
      if (rule) addFilter(s, () => parseFilterRule(rule).rule, w);
    },
    'F',
  );
  flag('cvsExclude', 'cvs-exclude', 'C');
  def('whole-file', 'none', (s) => void (s.o.wholeFile = true), 'W');
  def('no-whole-file no-W', 'none', (s) => void (s.o.wholeFile = false));
  flag('checksum', 'checksum', 'c', 'no-checksum no-c');
  def('checksum-choice cc', 'str', (s, v) => void (s.o.checksumChoice = v));
  def(
    'block-size',
    'str',
    (s, v) => {
      const max = s.o.protocol < 30 ? 1 << 29 : 1 << 17;
      s.o.blockSize = parseSizeArg(v, 'b', 'block-size', 0, max, false);
    },
    'B',
  );
  def('compare-dest', 'str', altDest('compare'));
  def('copy-dest', 'str', altDest('copy'));
  def('link-dest', 'str', altDest('link'));
  def('compress', 'none', (s) => void s.z++, 'z');
  def('old-compress', 'none', (s) => void (s.zChoice = 'zlib'));
  def('new-compress', 'none', (s) => void (s.zChoice = 'zlibx'));
  def('no-compress no-z', 'none', (s) => void ((s.z = 0), (s.zChoice = undefined)));
  def('compress-choice zc', 'str', (s, v) => void (s.zChoice = v));
  def('compress-level zl', 'int', (s, v) => void (s.o.compressLevel = int(v)));
  def('', 'none', (s) => void ((s.o.partial = true), s.ignored.push('--progress')), 'P');
  flag('partial', 'partial', undefined, 'no-partial');
  def('partial-dir', 'str', (s, v) => void (s.o.partialDir = v));
  def('itemize-changes', 'none', (s) => void s.o.itemize++, 'i');
  def('no-itemize-changes no-i', 'none', (s) => void (s.o.itemize = 0));
  def('log-format out-format', 'str', (s, v, w) => {
    // options.c: a server only learns from this whether the client itemizes
    if (/%'*-?[0-9]*I/.test(v)) s.o.itemize = 2;
    else if (/%'*-?[0-9]*i/.test(v)) s.o.itemize = Math.max(s.o.itemize, 1);
    else s.ignored.push(w);
  });
  def('bwlimit', 'str', (s, v) => {
    s.o.bwlimit = Math.floor((parseSizeArg(v, 'K', 'bwlimit', 512, undefined, true) + 512) / 1024);
  });
  def('no-bwlimit', 'none', (s) => void (s.o.bwlimit = 0));
  flag('listOnly', 'list-only', undefined);
  flag('numericIds', 'numeric-ids', undefined, 'no-numeric-ids');
  def('timeout', 'int', (s, v) => void (s.o.timeout = int(v)));
  def('no-timeout', 'none', (s) => void (s.o.timeout = 0));
  def('checksum-seed', 'int', (s, v) => void (s.o.checksumSeed = int(v)));
  // server_options() sends --use-qsort, a name rsync's own table lacks; take both
  def('qsort use-qsort', 'none', (s, _v, w) => void ((s.allowIncRecurse = false), s.ignored.push(w)));

  // accepted; nothing for a server to do (client-side output, connection and tuning knobs)
  def('info debug stderr outbuf address sockopts password-file early-input rsync-path', 'str', ignore);
  def('skip-compress max-alloc write-batch read-batch', 'str', ignore);
  def('port contimeout compress-threads zt', 'int', ignore);
  def('msgs2stderr no-msgs2stderr motd no-motd progress no-progress no-human-readable no-h', 'none', ignore);
  def('human-readable', 'none', ignore, 'h');
  def('8-bit-output', 'none', ignore, '8');
  def('ipv4', 'none', ignore, '4');
  def('ipv6', 'none', ignore, '6');
  def('from0', 'none', ignore, '0');
  def('no-8-bit-output no-8 blocking-io no-blocking-io no-contimeout trust-sender', 'none', ignore);
  def('old-args no-old-args fsync preallocate open-noatime no-open-noatime no-from0', 'none', ignore);

  // options TransferOptions does not model
  refuse('sparse', 'none', 'S', 'no-sparse no-S');
  refuse('acls', 'none', 'A', 'no-acls no-A');
  refuse('xattrs', 'none', 'X', 'no-xattrs no-X');
  refuse('atimes', 'none', 'U', 'no-atimes no-U');
  refuse('crtimes', 'none', 'N', 'no-crtimes no-N');
  refuse('copy-links', 'none', 'L');
  refuse('copy-dirlinks', 'none', 'k');
  refuse('keep-dirlinks', 'none', 'K');
  refuse('fuzzy', 'none', 'y', 'no-fuzzy no-y');
  refuse('prune-empty-dirs', 'none', 'm', 'no-prune-empty-dirs no-m');
  refuse('backup', 'none', 'b', 'no-backup');
  refuse('temp-dir', 'str', 'T');
  refuse('remote-option', 'str', 'M');
  refuse('version', 'none', 'V');
  refuse('super', 'none', undefined, 'no-super');
  refuse('fake-super', 'none', undefined, 'no-super', 'super');
  refuse('append', 'none', undefined, 'no-append');
  refuse('append-verify', 'none', undefined, 'no-append', 'append');
  refuse('delay-updates', 'none', undefined, 'no-delay-updates');
  refuse('write-devices', 'none', undefined, 'no-write-devices');
  refuse('drop-D', 'none', undefined, 'no-drop-D');
  refuse('insecure-links', 'none', undefined, 'no-insecure-links');
  refuse('munge-links', 'none', undefined, 'no-munge-links');
  refuse('mkpath', 'none', undefined, 'no-mkpath');
  refuse('iconv', 'str', undefined, 'no-iconv');
  refuse('no-implied-dirs', 'none', undefined, 'implied-dirs i-d');
  refuse('no-i-d', 'none', undefined, 'implied-dirs i-d', 'no-implied-dirs');
  const refuseAll = (kind: ArgKind, names: string) => names.split(' ').forEach((n) => refuse(n, kind));
  refuseAll('none', 'copy-devices copy-unsafe-links delete-missing-args ignore-missing-args help');
  refuseAll('none', 'remove-source-files old-dirs');
  refuse('remove-sent-files', 'none', undefined, '', 'remove-source-files');
  refuse('old-d', 'none', undefined, '', 'old-dirs');
  refuseAll('str', 'confine-root chmod exclude-from include-from backup-dir suffix log-file log-file-format');
  refuseAll('str', 'only-write-batch files-from usermap groupmap chown copy-as');
  refuse('stop-after', 'str');
  refuse('time-limit', 'str', undefined, '', 'stop-after');
  refuse('stop-at', 'str', undefined, '', 'stop-after');
});

/** options.c:long_daemon_options[]: what `rsync --server --daemon .` is parsed with. */
export const DAEMON = table((def) => {
  const refuse =
    (name: string): Run =>
    (s) =>
      void s.unsupported.set(name, name);
  def('server', 'none', (s) => void (s.server = true));
  def('daemon', 'none', (s) => void (s.daemon = true));
  def('protocol', 'int', (s, v) => void (s.o.protocol = int(v)));
  def('bwlimit', 'int', (s, v) => void (s.o.bwlimit = int(v)));
  def('verbose', 'none', (s) => void s.o.verbose++, 'v');
  def('no-verbose no-v', 'none', (s) => void (s.o.verbose = 0));
  def('address sockopts', 'str', ignore);
  def('port', 'int', ignore);
  def('detach no-detach', 'none', ignore);
  def('ipv4', 'none', ignore, '4');
  def('ipv6', 'none', ignore, '6');
  def('config', 'str', (s, v) => void (s.daemonConfig = v));
  def('log-file', 'str', (s, v) => void (s.daemonLogFile = v));
  def('log-file-format', 'str', ignore);
  def('dparam', 'str', refuse('--dparam (-M)'), 'M');
  def('temp-dir', 'str', refuse('--temp-dir (-T)'), 'T');
  def('help', 'none', refuse('--help (-h)'), 'h');
});

export function freshState(): ServerArgState {
  return {
    o: makeOptions({}),
    server: false,
    amSender: false,
    daemon: false,
    daemonConfig: undefined,
    daemonLogFile: undefined,
    info: undefined,
    ignored: [],
    unsupported: new Map(),
    allowIncRecurse: true,
    secluded: false,
    dirs: undefined,
    del: { mode: false, before: false, during: 0, after: false },
    oneFs: 0,
    z: 0,
    zChoice: undefined,
    fOpts: 0,
  };
}
