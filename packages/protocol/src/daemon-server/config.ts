/**
 * rsyncd.conf as rsync reads it (params.c, loadparm.c, daemon-parm.txt):
 * `[module]` sections, `key = value` lines, `#`/`;` comments, backslash
 * continuations, key names compared without case, spaces or underscores.
 * Parameters before the first section are global: the daemon-only ones
 * (port, address, motd file, pid file, log file) and defaults for every
 * module. Unknown keys are warnings with their line number, as rsync warns.
 */
export interface AuthUser {
  /** A user name pattern, or a group pattern when `group`. */
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

type Kind = 'str' | 'bool' | 'int' | 'list' | 'multi';
/** Module parameters we act on: normalized key -> [field, kind]. */
const MODULE_KEYS: Record<string, [keyof ModuleConfig, Kind]> = {
  path: ['path', 'str'],
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
  usechroot: ['useChroot', 'bool'],
  mungesymlinks: ['mungeSymlinks', 'bool'],
  uid: ['uid', 'str'],
  gid: ['gid', 'str'],
  incomingchmod: ['incomingChmod', 'str'],
  outgoingchmod: ['outgoingChmod', 'str'],
  ignoreerrors: ['ignoreErrors', 'bool'],
  snapshot: ['snapshot', 'bool'],
  snapshotroot: ['snapshotRoot', 'str'],
  snapshotkeep: ['snapshotKeep', 'str'],
};
const GLOBAL_KEYS: Record<string, 'port' | 'address' | 'motdFile' | 'pidFile' | 'logFile'> = {
  port: 'port',
  address: 'address',
  motdfile: 'motdFile',
  pidfile: 'pidFile',
  logfile: 'logFile',
};
/** rsync parameters accepted and not acted on (daemon-parm.txt). */
const IGNORED = new Set(
  [
    'auth users', // handled separately
    'lock file',
    'numeric ids',
    'reverse lookup',
    'forward lookup',
    'dont compress',
    'transfer logging',
    'log format',
    'syslog facility',
    'syslog tag',
    'fake super',
    'charset',
    'daemon chroot',
    'daemon uid',
    'daemon gid',
    'socket options',
    'listen backlog',
    'proxy protocol',
    'max verbosity',
    'open noatime',
    'early exec',
    'name converter',
    'temp dir',
    'exclude from',
    'include from',
  ].map(norm),
);

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

/** loadparm.c: set_boolean(). */
function parseBool(v: string): boolean | undefined {
  const s = v.toLowerCase();
  if (['yes', 'true', 'on', '1'].includes(s)) return true;
  if (['no', 'false', 'off', '0'].includes(s)) return false;
  return undefined;
}

/** `auth users = joe:rw, @staff:ro bob` (clientserver.c: auth_server() access suffixes). */
export function parseAuthUsers(v: string): AuthUser[] {
  const out: AuthUser[] = [];
  for (const w of v.split(/[\s,]+/)) {
    if (w === '') continue;
    const c = w.lastIndexOf(':');
    let access: AuthUser['access'] = 'default';
    let name = w;
    if (c > 0) {
      const a = w.slice(c + 1).toLowerCase();
      if (a === 'ro' || a === 'rw' || a === 'deny') {
        access = a;
        name = w.slice(0, c);
      }
    }
    const group = name.startsWith('@');
    out.push({ name: group ? name.slice(1) : name, group, access });
  }
  return out;
}

/** Physical lines joined at trailing backslashes, with the line number each starts on. */
function logicalLines(text: string): { n: number; text: string }[] {
  const raw = text.split(/\r?\n/);
  const out: { n: number; text: string }[] = [];
  for (let i = 0; i < raw.length; i++) {
    const n = i + 1;
    let t = raw[i]!;
    while (t.endsWith('\\') && i + 1 < raw.length) t = t.slice(0, -1) + raw[++i]!;
    out.push({ n, text: t });
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
  const global = defaults('', 0);
  const globalSet = new Set<keyof ModuleConfig>();
  const setInModule: Map<ModuleConfig, Set<keyof ModuleConfig>> = new Map();
  let cur: ModuleConfig | undefined;
  for (const { n, text: line } of logicalLines(text)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    if (t.startsWith('[')) {
      const end = t.indexOf(']');
      if (end < 0) throw new RsyncdConfError(fileName, n, `missing ']' in section header: ${t}`);
      const name = t.slice(1, end).trim();
      if (name === '' || name.includes('/'))
        throw new RsyncdConfError(fileName, n, `invalid module name: [${name}]`);
      if (name === 'global') {
        cur = undefined;
        continue;
      }
      const dup = cfg.modules.findIndex((m) => m.name === name);
      if (dup >= 0) {
        cfg.warnings.push({ line: n, message: `module [${name}] defined again; the later definition wins` });
        cfg.modules.splice(dup, 1);
      }
      cur = { ...structuredClone(global), name, line: n };
      setInModule.set(cur, new Set());
      cfg.modules.push(cur);
      continue;
    }
    const eq = t.indexOf('=');
    if (eq < 0) {
      cfg.warnings.push({ line: n, message: `ignoring a line without '=': ${t}` });
      continue;
    }
    const key = norm(t.slice(0, eq));
    const value = t.slice(eq + 1).trim();
    if (!cur && key in GLOBAL_KEYS) {
      const f = GLOBAL_KEYS[key]!;
      if (f === 'port') {
        const p = Number(value);
        if (!Number.isInteger(p) || p < 0 || p > 65535)
          throw new RsyncdConfError(fileName, n, `bad port: ${value}`);
        cfg.port = p;
      } else cfg[f] = value;
      continue;
    }
    const target = cur ?? global;
    if (key === 'authusers') {
      target.authUsers = parseAuthUsers(value);
      continue;
    }
    const spec = MODULE_KEYS[key];
    if (!spec) {
      if (!IGNORED.has(key))
        cfg.warnings.push({ line: n, message: `unknown parameter "${t.slice(0, eq).trim()}"` });
      continue;
    }
    const [field, kind] = spec;
    const rec = target as unknown as Record<string, unknown>;
    switch (kind) {
      case 'bool': {
        const b = parseBool(value);
        if (b === undefined)
          throw new RsyncdConfError(fileName, n, `bad boolean for ${t.slice(0, eq).trim()}: ${value}`);
        rec[field] = b;
        break;
      }
      case 'int': {
        const i = Number(value);
        if (!Number.isInteger(i) || i < 0)
          throw new RsyncdConfError(fileName, n, `bad number for ${t.slice(0, eq).trim()}: ${value}`);
        rec[field] = i;
        break;
      }
      case 'list':
        rec[field] = value.split(/[\s,]+/).filter((w) => w !== '');
        break;
      case 'multi':
        rec[field] = value === '' ? [] : [value];
        break;
      default:
        rec[field] = value;
    }
    (cur ? setInModule.get(cur)! : globalSet).add(field);
  }
  for (const m of cfg.modules) {
    if (m.path === '') throw new RsyncdConfError(fileName, m.line, `module [${m.name}] has no path`);
    if (m.path.length > 1) m.path = m.path.replace(/\/+$/, '');
  }
  return cfg;
}
