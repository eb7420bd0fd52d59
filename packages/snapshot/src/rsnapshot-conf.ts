/**
 * Pure parser for rsnapshot.conf. The format and its checks follow snapshot-tools.md §2.1 (rsnapshot 1.5
 * behaviour). tsrsync deliberately rejects the parts it does not implement (backup_script, backup_exec, lvm://,
 * include_conf with a command), and it records the cmd_* programs without running them.
 */

export interface ConfWarning {
  file: string;
  line: number;
  message: string;
}
export interface RsnapshotLevel {
  name: string;
  count: number;
  line: number;
}
/** local absolute path, `[user@]host:/path` (ssh), `[user@]host::module[/path]` (daemon), `rsync://…` */
export type BackupSourceKind = 'local' | 'ssh' | 'daemon' | 'rsync-url';
export interface RsnapshotBackup {
  kind: 'backup';
  source: string;
  sourceKind: BackupSourceKind;
  /** relative to `<level>.0/`, normalised: no `.`/empty segments and no trailing slash */
  dest: string;
  options: Record<string, string>;
  line: number;
  file: string;
}
export interface RsnapshotConfig {
  configVersion: string;
  /** absolute, trailing slashes stripped */
  snapshotRoot: string;
  /** in cascade order, most frequent first (§2.1) */
  levels: RsnapshotLevel[];
  backups: RsnapshotBackup[];
  linkDest: boolean;
  syncFirst: boolean;
  useLazyDeletes: boolean;
  lockfile?: string;
  stopOnStaleLockfile: boolean;
  rsyncNumtries: number;
  rsyncWaitBetweenTries: number;
  preexec?: string;
  postexec?: string;
  rsyncShortArgs: string;
  rsyncLongArgs: string;
  /** global include/exclude (rsnapshot appends them to rsync_long_args as --include=… etc., §2.1) */
  includes: string[];
  excludes: string[];
  includeFiles: string[];
  excludeFiles: string[];
  duArgs: string;
  sshArgs?: string;
  oneFs: boolean;
  noCreateRoot: boolean;
  verbose?: number;
  loglevel?: number;
  logfile?: string;
  /** cmd_rsync, cmd_ssh, cmd_cp, … exactly as configured; tsrsync never runs them */
  commands: Record<string, string>;
  /** the main file and every include_conf file, in reading order */
  files: string[];
  warnings: ConfWarning[];
}

export class RsnapshotConfError extends Error {
  override readonly name = 'RsnapshotConfError';
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, detail: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
    this.file = file;
    this.line = line;
  }
}

export const DEFAULT_RSYNC_SHORT_ARGS = '-a';
export const DEFAULT_RSYNC_LONG_ARGS = '--delete --numeric-ids --relative --delete-excluded';
export const DEFAULT_DU_ARGS = '-csh';

/** §2.1: level names that would clash with rsnapshot sub-commands */
export const RESERVED_LEVEL_NAMES: ReadonlySet<string> = new Set(
  (
    'archive check-config-version configtest diff delete du get-latest-snapshot help history list print-config ' +
    'restore rollback sync upgrade-config-file version version-only'
  ).split(' '),
);

/** §2.1 per-backup-point OPTS keys (linux_lvm_* are accepted and ignored, lvm not being supported) */
const BACKUP_OPTION_KEYS = new Set(
  'one_fs rsync_short_args rsync_long_args ssh_args include exclude include_file exclude_file'.split(' '),
);

/** programs rsnapshot shells out to; tsrsync does the work itself, so these are recorded with a warning */
const RECORDED_COMMANDS: Record<string, string> = {
  cmd_rsync: 'tsrsync transfers with its built-in engine',
  cmd_ssh: 'tsrsync opens its remote shell itself',
  cmd_cp: 'tsrsync makes hard-link copies itself',
  cmd_rm: 'tsrsync deletes snapshots itself',
  cmd_du: 'tsrsync computes du itself',
  cmd_rsnapshot_diff: 'tsrsync computes diffs itself',
  cmd_logger: 'syslog logging is not supported',
};

const MAX_INCLUDE_DEPTH = 16;

/** §2.1: skip `#` comments and blank lines; an indented line continues the previous directive (joined by TAB). */
function logicalLines(text: string, file: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let canContinue = false;
  text.split('\n').forEach((raw, idx) => {
    const physical = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (/^\s*$/.test(physical) || physical.startsWith('#')) {
      canContinue = false;
    } else if (/^[\t ]/.test(physical)) {
      const last = out[out.length - 1];
      if (canContinue && last) last.text += '\t' + physical.trim();
      else if (!/^\s*#/.test(physical))
        throw new RsnapshotConfError(file, idx + 1, 'continuation line does not follow a directive');
    } else {
      out.push({ text: physical.trimEnd(), line: idx + 1 });
      canContinue = true;
    }
  });
  return out;
}

/** split(/\t+/, line, 4): at most 4 fields, the last keeps any further tabs */
function splitFields(line: string): string[] {
  const fields: string[] = [];
  let rest = line;
  while (fields.length < 3) {
    const m = /\t+/.exec(rest);
    if (!m) break;
    fields.push(rest.slice(0, m.index));
    rest = rest.slice(m.index + m[0].length);
  }
  fields.push(rest);
  return fields;
}

/** `[user@]host` where host may be a bracketed IPv6 address */
const HOST = String.raw`(?:[^@/:\s]+@)?(?:[^@/:\s[\]]+|\[[0-9A-Fa-f:.]+\])`;
const DAEMON_SOURCE = new RegExp(String.raw`^${HOST}::[^/]+(?:/.*)?$`);
const SSH_SOURCE = new RegExp(String.raw`^${HOST}:/`);

function classifySource(src: string): BackupSourceKind | undefined {
  if (src.startsWith('/')) return 'local';
  if (/^rsync:\/\/[^/\s]+/.test(src)) return 'rsync-url';
  if (DAEMON_SOURCE.test(src)) return 'daemon';
  if (SSH_SOURCE.test(src)) return 'ssh';
  return undefined;
}

/** One parsed directive line: its fields plus error/warning reporters that name `file:line`. */
interface DirectiveCtx {
  key: string;
  val: string;
  fields: string[];
  file: string;
  line: number;
  fail: (detail: string) => never;
  warn: (message: string) => void;
}
type Directive = (cfg: RsnapshotConfig, c: DirectiveCtx) => unknown;

function bool(c: DirectiveCtx): boolean {
  if (c.val !== '0' && c.val !== '1')
    c.fail(`"${c.val}" is not a legal value for ${c.key}, must be 0 or 1 only`);
  return c.val === '1';
}
function int(c: DirectiveCtx, min: number, max: number): number {
  const n = /^\d+$/.test(c.val) ? Number(c.val) : NaN;
  return n >= min && n <= max
    ? n
    : c.fail(`"${c.val}" is not a legal value for ${c.key} (integer ${min}..${max})`);
}
function absPath(c: DirectiveCtx, v = c.val): string {
  if (!v.startsWith('/')) c.fail(`${c.key} must be an absolute path, got "${v}"`);
  if (v.split('/').includes('..')) c.fail(`Directory traversal attempted in ${v}`);
  return v;
}
function script(c: DirectiveCtx): string {
  const prog = c.val.split(/\s+/)[0] ?? '';
  if (!prog.startsWith('/'))
    c.fail(`"${prog}" is not executable or can't be found. Please use an absolute path.`);
  return c.val;
}

/** §2.1 global directives that take exactly one value */
const DIRECTIVES: Record<string, Directive> = {
  config_version: (cfg, c) =>
    (cfg.configVersion =
      c.val === '1.2' ? c.val : c.fail(`config_version "${c.val}" not recognized (only 1.2 is)`)),
  snapshot_root: (cfg, c) => {
    if (!c.val.startsWith('/')) c.fail(`snapshot_root must be a full (absolute, local) path, got "${c.val}"`);
    cfg.snapshotRoot = c.val.replace(/\/+$/, '') || '/';
  },
  link_dest: (cfg, c) => (cfg.linkDest = bool(c)),
  sync_first: (cfg, c) => (cfg.syncFirst = bool(c)),
  use_lazy_deletes: (cfg, c) => (cfg.useLazyDeletes = bool(c)),
  one_fs: (cfg, c) => (cfg.oneFs = bool(c)),
  no_create_root: (cfg, c) => (cfg.noCreateRoot = bool(c)),
  stop_on_stale_lockfile: (cfg, c) => (cfg.stopOnStaleLockfile = bool(c)),
  lockfile: (cfg, c) => (cfg.lockfile = absPath(c)),
  logfile: (cfg, c) => (cfg.logfile = absPath(c)),
  rsync_numtries: (cfg, c) => (cfg.rsyncNumtries = int(c, 0, 1000)),
  rsync_wait_between_tries: (cfg, c) => (cfg.rsyncWaitBetweenTries = int(c, 0, 86400)),
  verbose: (cfg, c) => (cfg.verbose = int(c, 1, 5)),
  loglevel: (cfg, c) => (cfg.loglevel = int(c, 1, 5)),
  include: (cfg, c) => cfg.includes.push(c.val),
  exclude: (cfg, c) => cfg.excludes.push(c.val),
  include_file: (cfg, c) => cfg.includeFiles.push(absPath(c)),
  exclude_file: (cfg, c) => cfg.excludeFiles.push(absPath(c)),
  rsync_short_args: (cfg, c) =>
    (cfg.rsyncShortArgs = /^-[A-Za-z0-9]+$/.test(c.val)
      ? c.val
      : c.fail(`rsync_short_args "${c.val}" not in correct format (like -abc)`)),
  rsync_long_args: (cfg, c) => (cfg.rsyncLongArgs = c.val),
  du_args: (cfg, c) => (cfg.duArgs = c.val),
  ssh_args: (cfg, c) =>
    (cfg.sshArgs =
      cfg.sshArgs === undefined ? c.val : c.fail('global ssh_args can only be set once, but is already set')),
  cmd_preexec: (cfg, c) => (cfg.preexec = script(c)),
  cmd_postexec: (cfg, c) => (cfg.postexec = script(c)),
};
for (const [key, why] of Object.entries(RECORDED_COMMANDS)) {
  DIRECTIVES[key] = (cfg, c) => {
    cfg.commands[key] = absPath(c);
    c.warn(`${key} is recorded but not run: ${why}`);
  };
}

/** §2.1 `retain NAME COUNT` (`interval` is the deprecated alias) */
function parseLevel(levels: readonly RsnapshotLevel[], c: DirectiveCtx): RsnapshotLevel {
  const { key, val: name } = c;
  const fail: (detail: string) => never = c.fail;
  const countText = c.fields[2];
  if (key === 'interval') c.warn('"interval" is deprecated, use "retain"');
  if (RESERVED_LEVEL_NAMES.has(name)) fail(`"${name}" is not a valid ${key} name, reserved word conflict`);
  if (!/^\w+$/.test(name)) fail(`"${name}" is not a valid ${key} name, must be alphanumeric characters only`);
  if (countText === undefined) return fail(`"${name}" number can not be blank`);
  if (!/^\d+$/.test(countText)) fail(`"${countText}" is not a legal value for a retention count`);
  const count = Number(countText);
  if (count < 1) fail(`"${name}" must be at least 1 or higher`);
  if (levels.some((l) => l.name === name)) fail(`backup level "${name}" is defined twice`);
  if (levels[0]?.count === 1)
    fail(
      `Can not have first backup level's retention count set to 1 (${levels[0].name}), and have a second backup level`,
    );
  return { name, count, line: c.line };
}

/** §2.1 `backup SRC DEST [OPTS]` */
function parseBackup(snapshotRoot: string, c: DirectiveCtx): RsnapshotBackup {
  const fail: (detail: string) => never = c.fail;
  const [, source = '', dest, opts] = c.fields;
  if (!snapshotRoot) fail('snapshot_root needs to be defined before backup points');
  if (/^lvm:\/\//.test(source)) fail(`lvm:// backup points (${source}) are not supported by tsrsync`);
  const sourceKind = classifySource(source);
  if (!sourceKind)
    fail(
      `backup source "${source}" must be an absolute local path, host::module, rsync://… or [user@]host:/path`,
    );
  if (sourceKind === 'local' && source.split('/').includes('..'))
    fail(`Directory traversal attempted in ${source}`);
  if (dest === undefined || dest === '') return fail('no destination path specified for backup point');
  if (dest.startsWith('/')) fail(`Backup destination ${dest} must be a local, relative path`);
  const parts = dest.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) fail(`Directory traversal attempted in ${dest}`);
  if (parts.length === 0) fail(`Backup destination "${dest}" must name a directory inside the snapshot`);
  const options: Record<string, string> = {};
  for (const item of opts === undefined ? [] : opts.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) fail(`Syntax error in extra opts: "${item}" is not key=value`);
    const [k, v] = [item.slice(0, eq).trim(), item.slice(eq + 1)];
    if (k.startsWith('linux_lvm_')) {
      c.warn(`backup option ${k} ignored: lvm is not supported by tsrsync`);
      continue;
    }
    if (!BACKUP_OPTION_KEYS.has(k)) fail(`unknown backup option "${k}"`);
    if (k === 'one_fs' && v !== '0' && v !== '1')
      fail(`"${v}" is not a legal value for one_fs, must be 0 or 1`);
    if (k in options) c.warn(`backup option ${k} given twice, the last one wins`);
    options[k] = v;
  }
  return { kind: 'backup', source, sourceKind, dest: parts.join('/'), options, line: c.line, file: c.file };
}

export function parseRsnapshotConf(
  text: string,
  file: string,
  readInclude?: (path: string) => string,
): RsnapshotConfig {
  const cfg: RsnapshotConfig = {
    configVersion: '',
    snapshotRoot: '',
    levels: [],
    backups: [],
    linkDest: false,
    syncFirst: false,
    useLazyDeletes: false,
    stopOnStaleLockfile: false,
    rsyncNumtries: 1,
    rsyncWaitBetweenTries: 0,
    rsyncShortArgs: DEFAULT_RSYNC_SHORT_ARGS,
    rsyncLongArgs: DEFAULT_RSYNC_LONG_ARGS,
    includes: [],
    excludes: [],
    includeFiles: [],
    excludeFiles: [],
    duArgs: DEFAULT_DU_ARGS,
    oneFs: false,
    noCreateRoot: false,
    commands: {},
    files: [],
    warnings: [],
  };
  const stack: string[] = [];

  const parseFile = (src: string, name: string): void => {
    stack.push(name);
    cfg.files.push(name);
    for (const { text: lineText, line } of logicalLines(src, name)) parseLine(lineText, name, line);
    stack.pop();
  };

  const parseLine = (lineText: string, name: string, line: number): void => {
    const fail: (detail: string) => never = (detail) => {
      throw new RsnapshotConfError(name, line, detail);
    };
    const warn = (message: string): void => void cfg.warnings.push({ file: name, line, message });
    const fields = splitFields(lineText);
    const [key = '', val] = fields;
    if (val === undefined) {
      if (/\s/.test(lineText)) fail(`${lineText} - missing tabs to separate words - change spaces to tabs`);
      return fail(`${lineText} - could not find second word on this line`);
    }
    for (const f of fields.slice(1)) if (f.startsWith(' ')) warn(`extra space found between tab and "${f}"`);
    const arity = (max: number): void => {
      if (fields.length > max + 1)
        warn(`${key}: extra field(s) ignored: "${fields.slice(max + 1).join('\t')}"`);
    };
    const c: DirectiveCtx = { key, val, fields, file: name, line, fail, warn };
    const directive = DIRECTIVES[key];
    if (directive) {
      arity(1);
      directive(cfg, c);
    } else if (key.startsWith('linux_lvm_')) {
      warn(`${key} ignored: lvm:// backup points are not supported by tsrsync`);
    } else if (key === 'retain' || key === 'interval') {
      arity(2);
      cfg.levels.push(parseLevel(cfg.levels, c));
    } else if (key === 'backup') {
      cfg.backups.push(parseBackup(cfg.snapshotRoot, c));
    } else if (key === 'include_conf') {
      arity(1);
      if (/^`.*`$/.test(val)) fail(`include_conf with a command (${val}) is not supported by tsrsync`);
      absPath(c);
      if (!readInclude) fail(`include_conf ${val}: no reader for included files was given`);
      if (stack.includes(val)) fail(`include_conf ${val} includes itself (${[...stack, val].join(' -> ')})`);
      if (stack.length >= MAX_INCLUDE_DEPTH) fail(`include_conf nested deeper than ${MAX_INCLUDE_DEPTH}`);
      let included = '';
      try {
        included = readInclude(val);
      } catch (e) {
        fail(`can't find or read file '${val}': ${e instanceof Error ? e.message : String(e)}`);
      }
      parseFile(included, val);
    } else if (key === 'backup_script' || key === 'backup_exec') {
      fail(`${key} is not supported by tsrsync`);
    } else {
      fail(
        `unknown directive "${key}"` +
          (/\s/.test(key) ? ' (fields must be separated by tabs, not spaces)' : ''),
      );
    }
  };

  parseFile(text, file);

  const missing: (detail: string) => never = (detail) => {
    throw new RsnapshotConfError(file, undefined, detail);
  };
  if (!cfg.configVersion) missing('config_version was not defined (config_version\t1.2 is required)');
  if (!cfg.snapshotRoot) missing('snapshot_root was not defined');
  if (cfg.levels.length === 0) missing('At least one backup level (retain) must be set');
  if (cfg.backups.length === 0) missing('At least one backup point must be set');
  return cfg;
}
