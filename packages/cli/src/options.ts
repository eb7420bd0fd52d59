/**
 * rsync's options (options.c long_options[]) mapped onto TransferOptions,
 * plus what only the client uses (output, connection). `tsrsync pull` starts
 * from -a; every part of it can be turned off with its --no-X form.
 */
import { readFileSync } from 'node:fs';
import {
  ARCHIVE,
  cvsRules,
  makeOptions,
  parseChmod,
  parseFilterRule,
  ruleFileLines,
  simpleRule,
  type CompressName,
  type FilterRule,
  type TransferOptions,
} from '@tsrsync/protocol';
import { parseArgs, parseIntArg, parseSize, UsageError, type OptSpec } from './args.js';

export interface CliOptions {
  transfer: TransferOptions;
  port: number | undefined;
  passwordFile: string | undefined;
  contimeout: number | undefined;
  progress: boolean;
  /** -h count (human-readable numbers); rsync 3 defaults to 1. */
  human: number;
  outFormat: string | undefined;
  noMotd: boolean;
  /** -e / --rsh */
  rsh: string | undefined;
  rsyncPath: string | undefined;
  /** Positional arguments. */
  args: string[];
}

function readRuleFile(path: string, what: string): string[] {
  try {
    const text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
    return ruleFileLines(text);
  } catch (e) {
    throw new UsageError(`failed to open ${what} file ${path}: ${(e as Error).message}`);
  }
}

function filterRules(text: string, depth = 0): FilterRule[] {
  const p = parseFilterRule(text);
  if (p.mergeFile) {
    if (depth > 8) throw new UsageError(`merge files nested too deep: ${p.mergeFile.path}`);
    const out: FilterRule[] = [];
    for (const line of readRuleFile(p.mergeFile.path, 'merge')) {
      if (p.mergeFile.mods.includes('-')) out.push(simpleRule(false, line));
      else if (p.mergeFile.mods.includes('+')) out.push(simpleRule(true, line));
      else out.push(...filterRules(line, depth + 1));
    }
    return out;
  }
  if (p.rule?.mergeMods === 'C' && !p.rule.dirMerge) return cvsRules(process.env['CVSIGNORE'] ?? '');
  return p.rule ? [p.rule] : [];
}

export function parseCli(
  argv: readonly string[],
  base: Partial<TransferOptions> = ARCHIVE,
  extra: readonly OptSpec[] = [],
): CliOptions {
  const t = makeOptions(base);
  const c: CliOptions = {
    transfer: t,
    port: undefined,
    passwordFile: undefined,
    contimeout: undefined,
    progress: false,
    human: 1,
    outFormat: undefined,
    noMotd: false,
    rsh: undefined,
    rsyncPath: undefined,
    args: [],
  };
  let fCount = 0;
  const flag = (long: string, short: string | undefined, f: () => void): OptSpec => ({
    long,
    ...(short ? { short } : {}),
    set: f,
  });
  const val = (long: string, short: string | undefined, f: (v: string) => void): OptSpec => ({
    long,
    ...(short ? { short } : {}),
    arg: true,
    set: (v) => f(v!),
  });
  const bool = (
    long: string,
    short: string | undefined,
    key: keyof TransferOptions,
    ...aliases: string[]
  ): OptSpec[] => [
    flag(long, short, () => ((t as unknown as Record<string, unknown>)[key] = true)),
    flag(`no-${long}`, undefined, () => ((t as unknown as Record<string, unknown>)[key] = false)),
    ...aliases.map((a) => flag(a, undefined, () => ((t as unknown as Record<string, unknown>)[key] = false))),
  ];
  const compress = (v: string): void => {
    const n = v.toLowerCase();
    if (!['zlib', 'zlibx', 'zstd', 'lz4', 'none'].includes(n))
      throw new UsageError(`Invalid compress choice: ${v}`);
    t.compress = n as CompressName;
  };
  const specs: OptSpec[] = [
    flag('verbose', 'v', () => t.verbose++),
    flag('no-verbose', undefined, () => (t.verbose = 0)),
    flag('quiet', 'q', () => (t.quiet = true)),
    flag('archive', 'a', () => Object.assign(t, ARCHIVE)),
    ...bool('recursive', 'r', 'recursive', 'no-r'),
    ...bool('relative', 'R', 'relative', 'no-R'),
    ...bool('dirs', 'd', 'dirs', 'no-d'),
    ...bool('links', 'l', 'links', 'no-l'),
    ...bool('perms', 'p', 'perms', 'no-p'),
    flag('executability', 'E', () => (t.executability = true)),
    val('chmod', undefined, (v) => addChmod(t, v)),
    ...bool('times', 't', 'times', 'no-t'),
    ...bool('omit-dir-times', 'O', 'omitDirTimes', 'no-O'),
    ...bool('omit-link-times', 'J', 'omitLinkTimes', 'no-J'),
    ...bool('group', 'g', 'group', 'no-g'),
    ...bool('owner', 'o', 'owner', 'no-o'),
    flag('D', 'D', () => (t.devices = t.specials = true)),
    flag('no-D', undefined, () => (t.devices = t.specials = false)),
    ...bool('devices', undefined, 'devices'),
    ...bool('specials', undefined, 'specials'),
    ...bool('hard-links', 'H', 'hardLinks', 'no-H'),
    ...bool('numeric-ids', undefined, 'numericIds'),
    flag('dry-run', 'n', () => (t.dryRun = true)),
    ...bool('checksum', 'c', 'checksum', 'no-c'),
    flag('ignore-times', 'I', () => (t.ignoreTimes = true)),
    flag('size-only', undefined, () => (t.sizeOnly = true)),
    flag('update', 'u', () => (t.update = true)),
    flag('existing', undefined, () => (t.existing = true)),
    flag('ignore-non-existing', undefined, () => (t.existing = true)),
    flag('ignore-existing', undefined, () => (t.ignoreExisting = true)),
    flag('whole-file', 'W', () => (t.wholeFile = true)),
    flag('no-whole-file', undefined, () => (t.wholeFile = false)),
    flag('no-W', undefined, () => (t.wholeFile = false)),
    ...bool('inplace', undefined, 'inplace'),
    ...bool('partial', undefined, 'partial'),
    val('partial-dir', undefined, () => {
      throw new UsageError('--partial-dir is not supported yet (use --partial)');
    }),
    flag('P', 'P', () => {
      t.partial = true;
      c.progress = true;
    }),
    flag('progress', undefined, () => (c.progress = true)),
    flag('no-progress', undefined, () => (c.progress = false)),
    flag('delete', undefined, () => (t.delete ??= 'default')),
    flag('del', undefined, () => (t.delete = 'during')),
    flag('delete-before', undefined, () => (t.delete = 'before')),
    flag('delete-during', undefined, () => (t.delete = 'during')),
    flag('delete-delay', undefined, () => (t.delete = 'delay')),
    flag('delete-after', undefined, () => (t.delete = 'after')),
    flag('delete-excluded', undefined, () => {
      t.deleteExcluded = true;
      t.delete ??= 'default';
    }),
    flag('force', undefined, () => (t.force = true)),
    val('max-delete', undefined, (v) => (t.maxDelete = parseIntArg(v, 'max-delete'))),
    val('max-size', undefined, (v) => (t.maxSize = parseSize(v, 'max-size'))),
    val('min-size', undefined, (v) => (t.minSize = parseSize(v, 'min-size'))),
    flag('ignore-errors', undefined, () => (t.ignoreErrors = true)),
    flag(
      'compress',
      'z',
      () => (t.compress = t.compress === undefined || t.compress === 'none' ? 'auto' : t.compress),
    ),
    flag('no-compress', undefined, () => (t.compress = undefined)),
    flag('no-z', undefined, () => (t.compress = undefined)),
    flag('old-compress', undefined, () => (t.compress = 'zlib')),
    flag('new-compress', undefined, () => (t.compress = 'zlibx')),
    val('compress-choice', undefined, compress),
    val('zc', undefined, compress),
    val(
      'compress-level',
      undefined,
      (v) => (t.compressLevel = parseIntArg(v, 'compress-level', -131072, 22)),
    ),
    val('zl', undefined, (v) => (t.compressLevel = parseIntArg(v, 'compress-level', -131072, 22))),
    val('checksum-choice', undefined, (v) => (t.checksumChoice = v)),
    val('cc', undefined, (v) => (t.checksumChoice = v)),
    val(
      'checksum-seed',
      undefined,
      (v) => (t.checksumSeed = parseIntArg(v, 'checksum-seed', -0x80000000, 0x7fffffff)),
    ),
    val('block-size', 'B', (v) => (t.blockSize = parseSize(v, 'block-size'))),
    val('link-dest', undefined, (v) => addAltDest(t, 'link', v)),
    val('compare-dest', undefined, (v) => addAltDest(t, 'compare', v)),
    val('copy-dest', undefined, (v) => addAltDest(t, 'copy', v)),
    val('exclude', undefined, (v) => t.filters.push(simpleRule(false, v))),
    val('include', undefined, (v) => t.filters.push(simpleRule(true, v))),
    val('filter', 'f', (v) => t.filters.push(...filterRules(v))),
    val('exclude-from', undefined, (v) =>
      t.filters.push(...readRuleFile(v, 'exclude').map((l) => simpleRule(false, l))),
    ),
    val('include-from', undefined, (v) =>
      t.filters.push(...readRuleFile(v, 'include').map((l) => simpleRule(true, l))),
    ),
    flag('F', 'F', () => {
      fCount++;
      t.filters.push(...filterRules(fCount === 1 ? ': /.rsync-filter' : '- .rsync-filter'));
    }),
    flag('cvs-exclude', 'C', () => (t.cvsExclude = true)),
    val('protocol', undefined, (v) => (t.protocol = parseIntArg(v, 'protocol', 27, 32))),
    val('timeout', undefined, (v) => (t.timeout = parseIntArg(v, 'timeout', 0, 86400 * 365))),
    val('contimeout', undefined, (v) => (c.contimeout = parseIntArg(v, 'contimeout', 0))),
    val(
      'bwlimit',
      undefined,
      (v) => (t.bwlimit = Math.ceil(parseSize(/[a-z]$/i.test(v) ? v : `${v}K`, 'bwlimit') / 1024)),
    ),
    val('port', undefined, (v) => (c.port = parseIntArg(v, 'port', 1, 65535))),
    val('password-file', undefined, (v) => (c.passwordFile = v)),
    flag('itemize-changes', 'i', () => t.itemize++),
    flag('no-itemize-changes', undefined, () => (t.itemize = 0)),
    val('out-format', undefined, (v) => (c.outFormat = v)),
    val('log-format', undefined, (v) => (c.outFormat = v)),
    flag('stats', undefined, () => (t.stats = true)),
    flag('list-only', undefined, () => (t.listOnly = true)),
    flag('human-readable', 'h', () => c.human++),
    flag('no-human-readable', undefined, () => (c.human = 0)),
    flag('safe-links', undefined, () => (t.safeLinks = true)),
    flag('one-file-system', 'x', () => (t.oneFileSystem = true)),
    val('modify-window', '@', (v) => (t.modifyWindow = parseIntArg(v, 'modify-window'))),
    flag('no-motd', undefined, () => (c.noMotd = true)),
    val('rsh', 'e', (v) => (c.rsh = v)),
    val('rsync-path', undefined, (v) => (c.rsyncPath = v)),
    ...extra,
  ];
  c.args = parseArgs(argv, specs);
  if (t.partialDir !== undefined && t.inplace)
    throw new UsageError('--inplace cannot be used with --partial-dir');
  return c;
}

/** --chmod (options.c): each spec's rules follow the earlier ones; the umask is read now, as rsync does. */
function addChmod(t: TransferOptions, spec: string): void {
  const rules = parseChmod(spec, process.umask());
  if (!rules) throw new UsageError(`Invalid argument passed to --chmod (${spec})`);
  t.chmod = [...(t.chmod ?? []), ...rules];
}

function addAltDest(t: TransferOptions, kind: 'link' | 'compare' | 'copy', dir: string): void {
  if (t.altDest && t.altDest.kind !== kind) {
    throw new UsageError(`You may not mix --${t.altDest.kind}-dest and --${kind}-dest`);
  }
  t.altDest ??= { kind, dirs: [] };
  if (t.altDest.dirs.length >= 20)
    throw new UsageError(`You may not specify more than 20 --${kind}-dest options`);
  t.altDest.dirs.push(dir);
}
