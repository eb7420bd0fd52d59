/**
 * rsyncd.conf as rsync reads it (params.c, loadparm.c, daemon-parm.txt):
 * `[module]` sections, `key = value` lines, `#`/`;` comments, backslash
 * continuations, key names compared without case, spaces or underscores.
 * Parameters before the first section are global: the daemon-only ones
 * (port, address, motd file, pid file, log file) and defaults for every
 * module. Unknown keys are warnings with their line number, as rsync warns.
 * Unlike rsync, a value it would ignore with a log line (a bad boolean or
 * number, an empty name, `&include`) is an error here.
 */
export interface AuthUser {
  /** A user name pattern, or `@` and a group pattern (then `group` is true). */
  name: string;
  group: boolean;
  access: 'ro' | 'rw' | 'deny' | 'default';
}

export interface ModuleConfig {
  name: string;
  path: string;
  comment: string;
  list: boolean;
  readOnly: boolean;
  writeOnly: boolean;
  authUsers: AuthUser[];
  secretsFile: string | undefined;
  strictModes: boolean;
  hostsAllow: string[];
  hostsDeny: string[];
  exclude: string[];
  include: string[];
  filter: string[];
  excludeFrom: string | undefined;
  includeFrom: string | undefined;
  refuseOptions: string[];
  maxConnections: number;
  timeout: number;
  preXferExec: string | undefined;
  postXferExec: string | undefined;
  useChroot: boolean;
  mungeSymlinks: boolean | undefined;
  uid: string | undefined;
  gid: string | undefined;
  incomingChmod: string | undefined;
  outgoingChmod: string | undefined;
  ignoreErrors: boolean;
  /** tsrsync: commit a link-dest snapshot after each successful push. */
  snapshot: boolean;
  snapshotRoot: string | undefined;
  snapshotKeep: string | undefined;
  /** Line of the `[name]` header. */
  line: number;
}

export interface DaemonConfig {
  port: number | undefined;
  address: string | undefined;
  motdFile: string | undefined;
  pidFile: string | undefined;
  logFile: string | undefined;
  modules: ModuleConfig[];
  warnings: { line: number; message: string }[];
}

export class RsyncdConfError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'RsyncdConfError';
  }
}

type Kind = 'str' | 'path' | 'bool' | 'bool3' | 'int' | 'list' | 'multi';
/** Module parameters we act on: normalized key -> [field, kind] (daemon-parm.txt, Locals). */
const MODULE_KEYS: Record<string, [keyof ModuleConfig, Kind]> = {
  path: ['path', 'path'],
  comment: ['comment', 'str'],
  list: ['list', 'bool'],
  readonly: ['readOnly', 'bool'],
  writeonly: ['writeOnly', 'bool'],
  secretsfile: ['secretsFile', 'str'],
  strictmodes: ['strictModes', 'bool'],
  hostsallow: ['hostsAllow', 'list'],
  hostsdeny: ['hostsDeny', 'list'],
  exclude: ['exclude', 'multi'],
  include: ['include', 'multi'],
  filter: ['filter', 'multi'],
  excludefrom: ['excludeFrom', 'str'],
  includefrom: ['includeFrom', 'str'],
  refuseoptions: ['refuseOptions', 'list'],
  maxconnections: ['maxConnections', 'int'],
  timeout: ['timeout', 'int'],
  prexferexec: ['preXferExec', 'str'],
  postxferexec: ['postXferExec', 'str'],
  usechroot: ['useChroot', 'bool3'],
  mungesymlinks: ['mungeSymlinks', 'bool3'],
  uid: ['uid', 'str'],
  gid: ['gid', 'str'],
  incomingchmod: ['incomingChmod', 'str'],
  outgoingchmod: ['outgoingChmod', 'str'],
  ignoreerrors: ['ignoreErrors', 'bool'],
  snapshot: ['snapshot', 'bool'],
  snapshotroot: ['snapshotRoot', 'str'],
  snapshotkeep: ['snapshotKeep', 'str'],
};
type GlobalField = 'port' | 'address' | 'motdFile' | 'pidFile' | 'logFile';
const GLOBAL_KEYS: Record<string, GlobalField> = {
  port: 'port',
  address: 'address',
  motdfile: 'motdFile',
  pidfile: 'pidFile',
  logfile: 'logFile',
};
/** rsync parameters with no effect on what tsrsync serves: accepted silently. */
const IGNORED = new Set(
  [
    'lock file',
    'numeric ids',
    'reverse lookup',
    'forward lookup',
    'dont compress',
    'transfer logging',
    'log format',
    'syslog facility',
    'syslog tag',
    'socket options',
    'listen backlog',
    'max verbosity',
    'open noatime',
    'ignore nonreadable',
    'name',
  ].map(norm),
);
/** rsync parameters that change what rsync would do, and that tsrsync ignores: warned about. */
const UNSUPPORTED = new Set(
  [
    'auth digest',
    'charset',
    'daemon chroot',
    'daemon uid',
    'daemon gid',
    'early exec',
    'fake super',
    'insecure links',
    'name converter',
    'proxy protocol',
    'proxy protocol hosts',
    'temp dir',
  ].map(norm),
);
/** Daemon-wide parameters (daemon-parm.txt, Globals), ignored in a module as rsync does. */
const GLOBAL_ONLY = new Set([
  ...Object.keys(GLOBAL_KEYS),
  ...[
    'daemon chroot',
    'daemon uid',
    'daemon gid',
    'socket options',
    'listen backlog',
    'proxy protocol',
    'proxy protocol hosts',
  ].map(norm),
]);

/** loadparm.c: strwiEQ() compares without case and whitespace; we also drop `_` and `-`. */
function norm(key: string): string {
  return key.toLowerCase().replace(/[\s_-]+/g, '');
}

function defaults(name: string, line: number): ModuleConfig {
  return {
    name,
    path: '',
    comment: '',
    list: true,
    readOnly: true,
    writeOnly: false,
    authUsers: [],
    secretsFile: undefined,
    strictModes: true,
    hostsAllow: [],
    hostsDeny: [],
    exclude: [],
    include: [],
    filter: [],
    excludeFrom: undefined,
    includeFrom: undefined,
    refuseOptions: [],
    maxConnections: 0,
    timeout: 0,
    preXferExec: undefined,
    postXferExec: undefined,
    useChroot: true,
    mungeSymlinks: undefined,
    uid: undefined,
    gid: undefined,
    incomingChmod: undefined,
    outgoingChmod: undefined,
    ignoreErrors: false,
    snapshot: false,
    snapshotRoot: undefined,
    snapshotKeep: undefined,
    line,
  };
}

/** loadparm.c: set_boolean() (yes/true/1, no/false/0; on/off too); `unset` for a BOOL3. */
function parseBool(v: string, allowUnset: boolean): boolean | null | undefined {
  const s = v.toLowerCase().replace(/\s+/g, '');
  if (['yes', 'true', 'on', '1'].includes(s)) return true;
  if (['no', 'false', 'off', '0'].includes(s)) return false;
  if (allowUnset && (s === 'unset' || s === '-1')) return null;
  return undefined;
}

/** util1.c: conf_strtok(): words split on spaces and commas, or on commas alone after a leading comma. */
export function confWords(v: string): string[] {
  const s = v.trimStart();
  if (s.startsWith(','))
    return s
      .slice(1)
      .split(',')
      .map((w) => w.trim())
      .filter((w) => w !== '');
  return s.split(/[\s,]+/).filter((w) => w !== '');
}

/**
 * `auth users = joe:rw, @staff:ro bob` (authenticate.c: auth_server()): the
 * name ends at the first `:`; after it `d...` is deny, `ro`/`rw` set the
 * access (any case), anything else is the module's default.
 */
export function parseAuthUsers(v: string): AuthUser[] {
  return confWords(v).map((w) => {
    const c = w.indexOf(':');
    const name = c < 0 ? w : w.slice(0, c);
    const opt = c < 0 ? '' : w.slice(c + 1, c + 3).toLowerCase();
    const access: AuthUser['access'] = opt.startsWith('d')
      ? 'deny'
      : opt === 'ro' || opt === 'rw'
        ? opt
        : 'default';
    return { name, group: name.startsWith('@'), access };
  });
}

/**
 * params.c: Parse(): the file's statements with the line each starts on.
 * Blank and comment lines end at their newline; a section header or a
 * parameter whose last non-blank character is `\` goes on to the next line
 * (taken as it is, leading blanks included). Carriage returns are dropped.
 */
function statements(text: string): { n: number; text: string }[] {
  const raw = text.replace(/\r/g, '').split('\n');
  const out: { n: number; text: string }[] = [];
  for (let i = 0; i < raw.length; i++) {
    const n = i + 1;
    // a stray leading backslash is skipped (params.c: "Bogus backslash")
    let t = raw[i]!.trimStart().replace(/^\\\s*/, '');
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    while (/\\\s*$/.test(t) && i + 1 < raw.length) t = t.replace(/\\\s*$/, '') + raw[++i]!;
    out.push({ n, text: t.trim() });
  }
  return out;
}

export function parseRsyncdConf(text: string, fileName: string): DaemonConfig {
  const cfg: DaemonConfig = {
    port: undefined,
    address: undefined,
    motdFile: undefined,
    pidFile: undefined,
    logFile: undefined,
    modules: [],
    warnings: [],
  };
  const fail = (n: number, msg: string) => new RsyncdConfError(fileName, n, msg);
  const warn = (line: number, message: string) => cfg.warnings.push({ line, message });
  // loadparm.c: init_section(): a new module starts from the global values set so far
  const global = defaults('', 0);
  let cur: ModuleConfig | undefined;
  for (const { n, text: t } of statements(text)) {
    if (t.startsWith('[')) {
      // params.c: Section(): the name up to `]`, blanks squeezed; the rest of the line is ignored
      const end = t.indexOf(']');
      if (end < 0) throw fail(n, `badly formed section header: ${t}`);
      const name = t.slice(1, end).trim().replace(/\s+/g, ' ');
      if (name === '') throw fail(n, 'empty section name');
      if (norm(name) === 'global') {
        cur = undefined;
        continue;
      }
      // loadparm.c: do_section()
      if (name.includes('/')) throw fail(n, `invalid module name: [${name}]`);
      // loadparm.c: add_a_section(): a name seen before (strwiEQ) goes on with that module
      cur = cfg.modules.find((m) => norm(m.name) === norm(name));
      if (cur)
        warn(
          n,
          `module [${name}] defined again (line ${cur.line}); its parameters are merged, the later ones win`,
        );
      else {
        cur = { ...structuredClone(global), name, line: n };
        cfg.modules.push(cur);
      }
      continue;
    }
    if (t.startsWith('&')) throw fail(n, `directives (${t.split(/[\s=]/)[0]}) are not supported`);
    const eq = t.indexOf('=');
    if (eq < 0) {
      warn(n, `ignoring a badly formed line: ${t}`);
      continue;
    }
    const label = t.slice(0, eq).trim().replace(/\s+/g, ' ');
    if (label === '') throw fail(n, 'empty parameter name');
    const key = norm(label);
    const value = t.slice(eq + 1).trim();
    if (cur && GLOBAL_ONLY.has(key)) {
      // loadparm.c: do_parameter()
      warn(n, `global parameter "${label}" found in module section, ignored`);
      continue;
    }
    const g = Object.hasOwn(GLOBAL_KEYS, key) ? GLOBAL_KEYS[key] : undefined;
    if (g !== undefined) {
      if (g === 'port') cfg.port = parseInteger(value, 65535, () => fail(n, `bad port: ${value}`));
      else cfg[g] = value;
      continue;
    }
    const target = cur ?? global;
    if (key === 'authusers') {
      target.authUsers = parseAuthUsers(value);
      continue;
    }
    const spec = Object.hasOwn(MODULE_KEYS, key) ? MODULE_KEYS[key] : undefined;
    if (!spec) {
      if (UNSUPPORTED.has(key)) warn(n, `parameter "${label}" is not supported by tsrsync and is ignored`);
      else if (!IGNORED.has(key)) warn(n, `unknown parameter "${label}"`);
      continue;
    }
    const [field, kind] = spec;
    const rec = target as unknown as Record<string, unknown>;
    switch (kind) {
      case 'bool':
      case 'bool3': {
        const b = parseBool(value, kind === 'bool3');
        if (b === undefined) throw fail(n, `bad boolean for ${label}: ${value}`);
        // an unset BOOL3 is the default
        rec[field] = b ?? (defaults('', 0) as unknown as Record<string, unknown>)[field];
        break;
      }
      case 'int':
        rec[field] = parseInteger(value, Number.MAX_SAFE_INTEGER, () =>
          fail(n, `bad number for ${label}: ${value}`),
        );
        break;
      case 'list':
        rec[field] = value.split(/[\s,]+/).filter((w) => w !== '');
        break;
      case 'multi':
        rec[field] = value === '' ? [] : [value];
        break;
      case 'path':
        // loadparm.c: do_parameter(), P_PATH: trailing slashes go, a lone "/" stays
        rec[field] = value.replace(/(?<=.)\/+$/, '');
        break;
      default:
        rec[field] = value;
    }
  }
  for (const m of cfg.modules) if (m.path === '') throw fail(m.line, `module [${m.name}] has no path`);
  return cfg;
}

/** A non-negative decimal integer (rsync's atoi() takes anything; we refuse what is not a number). */
function parseInteger(v: string, max: number, err: () => Error): number {
  if (!/^\d+$/.test(v)) throw err();
  const i = Number(v);
  if (i > max) throw err();
  return i;
}
