/**
 * One client connection of `tsrsync daemon` (clientserver.c: start_daemon(),
 * rsync_module()): greeting and MOTD, module listing, access rules, max
 * connections, authentication, the argument vector, then the transfer as a
 * server (sender for pulls, receiver for pushes), with the module's filters,
 * read-only/write-only rules, refused options and xfer hooks.
 */
import fs from 'node:fs';
import type net from 'node:net';
import {
  AUTH_DIGESTS,
  SUPPORTED_PROTOCOLS,
  formatGreeting,
  formatModuleLine,
  parseGreeting,
  type NegotiatedAuthDigest,
} from '../daemon/codec.js';
import { EXIT } from '../errors.js';
import { parseFilterRule, simpleRule, type FilterRule } from '../filter/rules.js';
import { parseChmod } from '../options/chmod.js';
import { parseServerArgs, ServerArgsError, type ServerInvocation } from '../options/parse-server-args.js';
import type { ReceiveRun } from '../server/serve.js';
import { ByteReader } from '../transport/byte-reader.js';
import { closeAfterError, type Transport } from '../transport/transport.js';
import type { DaemonConfig, ModuleConfig } from './config.js';
import { authUserMatch, hostAllowed } from './access.js';
import type { AccountDb } from './accounts.js';
import { identityDiffers, moduleIdentity, type ModuleIdentity } from './identity.js';
import { serveJob, type SessionJob } from './session-job.js';
import { checkResponse, makeChallenge } from './challenge.js';
import { readSecrets } from './secrets.js';
import { moduleArgPath, staysInside } from './sanitize.js';
import { refusedOption } from './refuse.js';

const LINE_MAX = 4096;
// rsync 3.5.0's MAX_DAEMON_ARGS; the byte cap bounds one connection's memory
const MAX_ARGS = 16000;
const MAX_ARG_BYTES = 4 * 1024 * 1024;

export interface ConnectionInfo {
  addr: string;
  host: string | undefined;
  /** The client's socket, when the session may be handed to a process of the module's user. */
  socket?: net.Socket | undefined;
}

export interface DaemonHooks {
  log(line: string): void;
  motd(): string | undefined;
  /** Claims a connection slot of a module; false when `max connections` is reached. */
  claimSlot(m: ModuleConfig): boolean;
  releaseSlot(m: ModuleConfig): void;
  /** Users and groups (for @group in auth users, and the modules' uid and gid). */
  accounts(): AccountDb;
  /**
   * Runs a session's transfer in a process of the module's user (a root daemon's module
   * whose uid or gid is not root's); undefined: this process serves it, as that user would.
   */
  runAs?: ((job: SessionJob, socket: net.Socket, leftover: Uint8Array) => Promise<number>) | undefined;
  /** Runs a pre-/post-xfer exec command with rsync's environment; resolves with its exit status. */
  exec(cmd: string, env: Record<string, string>): Promise<number>;
  /** snapshot = yes: wraps a push into a snapshot commit; `tell` sends the client an info line. */
  snapshotPush?:
    | ((
        m: ModuleConfig,
        run: ReceiveRun,
        inv: ServerInvocation,
        who: string,
        tell: (text: string) => void,
      ) => Promise<number>)
    | undefined;
}

class Refused extends Error {}

/** Handles one connection; resolves when it is over (never throws for a bad client). */
export async function handleConnection(
  t: Transport,
  cfg: DaemonConfig,
  conn: ConnectionInfo,
  hooks: DaemonHooks,
  deadlineMs = 60_000,
): Promise<void> {
  const reader = new ByteReader(t);
  const write = (s: string) => t.write(Buffer.from(s, 'utf8'));
  const host = conn.host ?? 'UNDETERMINED';
  let slotModule: ModuleConfig | undefined;
  // the handshake is bounded: a client that says nothing is dropped
  const timer = setTimeout(() => t.destroy(new Error('handshake timed out')), deadlineMs);
  try {
    hooks.log(`connect from ${host} (${conn.addr})`);
    await write(formatGreeting(SUPPORTED_PROTOCOLS.max, AUTH_DIGESTS));
    const motd = hooks.motd();
    if (motd !== undefined) await write(`${motd.replace(/\n?$/, '\n')}\n`);
    const greet = await reader.readLine(LINE_MAX);
    if (greet === null) return;
    let peer;
    try {
      peer = parseGreeting(greet);
    } catch {
      await write('@ERROR: protocol startup error\n');
      return;
    }
    if (peer.protocol < SUPPORTED_PROTOCOLS.min) {
      await write(
        `@ERROR: protocol version mismatch (client ${peer.protocol}, server ${SUPPORTED_PROTOCOLS.min}..${SUPPORTED_PROTOCOLS.max})\n`,
      );
      return;
    }
    const protocol = Math.min(SUPPORTED_PROTOCOLS.max, peer.protocol);
    const line = await reader.readLine(LINE_MAX);
    if (line === null) return;
    if (line === '' || line === '#list') {
      hooks.log(`module-list request from ${host} (${conn.addr})`);
      let listing = '';
      // clientserver.c:send_listing(): every module with `list = yes`, whatever its host rules
      for (const m of cfg.modules)
        if (m.list) listing += formatModuleLine({ name: m.name, comment: m.comment });
      await write(`${listing}@RSYNCD: EXIT\n`);
      return;
    }
    if (line.startsWith('#')) {
      await write(`@ERROR: Unknown command '${line}'\n`);
      return;
    }
    const m = cfg.modules.find((x) => x.name === line);
    if (!m) {
      hooks.log(`unknown module '${line}' tried from ${host} (${conn.addr})`);
      await write(`@ERROR: Unknown module '${line}'\n`);
      return;
    }
    if (!hostAllowed(conn.addr, conn.host, m.hostsAllow, m.hostsDeny)) {
      hooks.log(`rsync denied on module ${m.name} from ${host} (${conn.addr})`);
      await write(`@ERROR: access denied to ${m.name} from ${host} (${conn.addr})\n`);
      return;
    }
    if (!hooks.claimSlot(m)) {
      hooks.log(`max connections (${m.maxConnections}) reached`);
      await write(`@ERROR: max connections (${m.maxConnections}) reached -- try again later\n`);
      return;
    }
    slotModule = m;
    let user = '';
    let readOnly = m.readOnly;
    if (m.authUsers.length > 0) {
      const challenge = makeChallenge();
      await write(`@RSYNCD: AUTHREQD ${challenge}\n`);
      const resp = await reader.readLine(LINE_MAX);
      const sp = resp?.indexOf(' ') ?? -1;
      const name = resp && sp > 0 ? resp.slice(0, sp) : '';
      const answer = resp && sp > 0 ? resp.slice(sp + 1) : '';
      let ok = false;
      if (name !== '') {
        const match = authUserMatch(name, hooks.accounts().groupNamesOf(name), m.authUsers, m.readOnly);
        const access = match?.access;
        if (match && access !== 'deny') {
          try {
            const secrets = m.secretsFile
              ? readSecrets(m.secretsFile, m.strictModes, process.geteuid?.() === 0)
              : new Map<string, string>();
            const digest = chooseServerDigest(peer.digests, protocol) as NegotiatedAuthDigest;
            // authenticate.c:check_secret(): the user's own line, and the matched group's line
            const candidates = [secrets.get(name), match.group ? secrets.get(`@${match.group}`) : undefined];
            ok = candidates.some((pw) => pw !== undefined && checkResponse(challenge, pw, answer, digest));
          } catch (e) {
            hooks.log(`auth failed on module ${m.name}: ${(e as Error).message}`);
          }
          if (ok) readOnly = access === 'ro' ? true : access === 'rw' ? false : m.readOnly;
        }
      }
      if (!ok) {
        hooks.log(`auth failed on module ${m.name} from ${host} (${conn.addr}) for ${name}`);
        await write(`@ERROR: auth failed on module ${m.name}\n`);
        return;
      }
      user = name;
    }
    // clientserver.c:rsync_module(): the module's uid and gid resolve, or the module is refused
    const amRoot = process.geteuid?.() === 0;
    const ids = moduleIdentity(m, amRoot, hooks.accounts());
    if ('error' in ids) {
      hooks.log(`${ids.error.replace(/^invalid/, 'Invalid')}`);
      await write(`@ERROR: ${ids.error}\n`);
      return;
    }
    // clientserver.c:rsync_module(): the module's directory must be there before OK
    // (a snapshot module makes its root, 0700 like a new snapshot ROOT)
    if (!moduleDirReady(m, amRoot ? ids.identity : undefined)) {
      hooks.log(`chdir ${m.path} failed`);
      await write('@ERROR: chdir failed\n');
      return;
    }
    // clientserver.c:rsync_module(): munged links point into /rsyncd-munged/, which must not exist
    if ((m.mungeSymlinks ?? true) && fs.existsSync('/rsyncd-munged/')) {
      hooks.log('Symlink munging is unsafe when a /rsyncd-munged/ directory exists.');
      await write('@ERROR: daemon security issue -- contact admin\n');
      return;
    }
    await write('@RSYNCD: OK\n');
    // option values come backslash-escaped (options.c:safe_arg()); paths after "." do not
    const raw = await readArgs(reader, protocol >= 30 ? '\0' : '\n');
    const dot = raw.indexOf('.');
    const args = raw.map((a, i) => (i < dot ? a.replace(/\\(.)/gs, '$1') : a));
    clearTimeout(timer);
    let inv: ServerInvocation;
    let refuse: { message: string; code: number } | undefined;
    try {
      inv = parseServerArgs(args);
    } catch (e) {
      if (!(e instanceof ServerArgsError)) throw e;
      inv = parseServerArgs(['--server', '.']);
      refuse = { message: `rsync: ${e.message}`, code: EXIT.UNSUPPORTED };
    }
    refuse ??= moduleRefusal(m, inv, readOnly);
    // tsrsync never chroots: symlinks are munged unless the module says `munge symlinks = no`
    // (rsync's default without chroot; see README, daemon)
    inv.options.mungeLinks = m.mungeSymlinks ?? true;
    // clientserver.c:rsync_module(): `outgoing chmod` when sending, `incoming chmod` when
    // receiving, after any rules of the client's; rsync only logs a bad one, we refuse
    const chmodSpec = inv.amSender ? m.outgoingChmod : m.incomingChmod;
    if (chmodSpec) {
      const rules = parseChmod(chmodSpec, process.umask());
      if (rules) {
        inv.options.chmod = [...(inv.options.chmod ?? []), ...rules];
        if (!inv.amSender) inv.options.daemonChmod = rules;
      } else {
        const what = `Invalid "${inv.amSender ? 'outgoing' : 'incoming'} chmod" directive: ${chmodSpec}`;
        hooks.log(what);
        refuse ??= { message: `rsync: ${what}`, code: EXIT.SYNTAX };
      }
    }
    if (m.timeout > 0 && (inv.options.timeout === 0 || inv.options.timeout > m.timeout))
      inv.options.timeout = m.timeout;
    // rsync's daemon run by root switches to the module's uid (default nobody) and gid: a
    // process of that user serves the transfer (runAs). Where none can (a daemon over a remote
    // shell), this root process must not let a pushing client set owners or set-id files.
    const switchTo: ModuleIdentity | undefined =
      amRoot && identityDiffers(ids.identity) ? ids.identity : undefined;
    const handOff = switchTo !== undefined && hooks.runAs !== undefined && conn.socket !== undefined;
    const actAsUser = !inv.amSender && switchTo !== undefined && !handOff;
    if (actAsUser) inv.options.stripSetId = true;
    const moduleDir = m.path;
    // every path names something inside the module
    const paths: string[] = [];
    for (const a of inv.args.slice(1)) {
      const p = moduleArgPath(a, m.name, moduleDir);
      if (p === undefined || !staysInside(p, moduleDir)) {
        refuse ??= {
          message: `rsync: the path ${JSON.stringify(a)} is outside module ${m.name}`,
          code: EXIT.FILESELECT,
        };
        continue;
      }
      paths.push(p);
    }
    if (!inv.amSender && paths.length === 0) paths.push(`${moduleDir}/`);
    confineAltDirs(inv, moduleDir, paths[0] ?? moduleDir);
    inv.args = ['.', ...paths];
    const request = args
      .slice(1)
      .filter((a) => a.startsWith(m.name))
      .join(' ');
    hooks.log(
      `rsync ${inv.amSender ? 'on' : 'to'} ${request} from ${user ? `${user}@` : ''}${host} (${conn.addr})`,
    );
    const env: Record<string, string> = {
      RSYNC_MODULE_NAME: m.name,
      RSYNC_MODULE_PATH: moduleDir,
      RSYNC_HOST_ADDR: conn.addr,
      RSYNC_HOST_NAME: host,
      RSYNC_USER_NAME: user,
      RSYNC_PID: String(process.pid),
    };
    if (!refuse && m.preXferExec) {
      // the request and arguments go to pre-xfer exec only (rsync 3.5.0's post-xfer exec has neither)
      const pre = await hooks.exec(m.preXferExec, {
        ...env,
        RSYNC_REQUEST: request,
        // as rsync 3.5.0 gives them: ARG0 "rsyncd", the paths without the module's name
        RSYNC_ARG0: 'rsyncd',
        ...Object.fromEntries(
          args.map((a, i) => [
            `RSYNC_ARG${i + 1}`,
            i > dot && a.startsWith(`${m.name}/`)
              ? a.slice(m.name.length + 1)
              : i > dot && a === m.name
                ? ''
                : a,
          ]),
        ),
      });
      // rsync prints the raw wait status and drops the connection: its clients end with code 10
      if (pre !== 0)
        refuse = { message: `pre-xfer exec returned failure (${pre << 8})`, code: EXIT.SOCKETIO };
    }
    let serverFilters: FilterRule[] = [];
    try {
      serverFilters = moduleFilters(m);
    } catch (e) {
      refuse ??= {
        message: `rsync: failed to read the module's filter rules: ${(e as Error).message}`,
        code: EXIT.FILEIO,
      };
    }
    const job: SessionJob = {
      module: m,
      inv,
      protocol,
      serverFilters,
      refuse,
      who: `${user ? `${user}@` : ''}${host}`,
      actAsUser,
      identity: handOff ? switchTo : undefined,
    };
    const code = handOff
      ? await hooks.runAs!(job, conn.socket!, reader.takeBuffered())
      : await serveJob(job, t, reader.takeBuffered(), hooks.snapshotPush);
    hooks.log(`finished ${m.name} for ${host} (${conn.addr}) with code ${code}`);
    // the client may still be sending (a file list, data): let it read why we stop
    if (code !== 0 && !handOff) await closeAfterError(t);
    if (m.postXferExec)
      void hooks.exec(m.postXferExec, {
        ...env,
        RSYNC_EXIT_STATUS: String(code),
        RSYNC_RAW_STATUS: String(code << 8),
      });
  } catch (e) {
    if (!(e instanceof Refused))
      hooks.log(`connection from ${host} (${conn.addr}) ended: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
    if (slotModule) hooks.releaseSlot(slotModule);
    t.destroy();
  }
}

function moduleDirReady(m: ModuleConfig, id: ModuleIdentity | undefined): boolean {
  try {
    if (m.snapshot) {
      const root = m.snapshotRoot ?? m.path;
      const made = fs.mkdirSync(root, { recursive: true, mode: 0o700 });
      // the module's user writes its snapshots: a root it did not make is given to it
      if (made !== undefined && id && (id.uid !== undefined || id.gids.length > 0))
        fs.chownSync(root, id.uid ?? -1, id.gids[0] ?? -1);
    }
    return fs.statSync(m.path).isDirectory();
  } catch {
    return false;
  }
}

/** io.c:read_args(): words until an empty one, bounded. */
async function readArgs(reader: ByteReader, sep: '\0' | '\n'): Promise<string[]> {
  const out: string[] = [];
  let total = 0;
  for (;;) {
    const b = await reader.readUntil(sep === '\0' ? 0 : 0x0a, LINE_MAX * 2);
    if (b === null) throw new Refused('client went away during the arguments');
    if (b.length === 0) return out;
    total += b.length;
    if (out.length >= MAX_ARGS || total > MAX_ARG_BYTES) throw new Refused('too many arguments');
    out.push(Buffer.from(b).toString('utf8'));
  }
}

/** The digest a server uses: the client's list in our order (compat.c:negotiate_daemon_auth()). */
function chooseServerDigest(clientDigests: string[] | undefined, protocol: number): string {
  if (clientDigests === undefined) return protocol >= 30 ? 'md5' : 'md4-old';
  const theirs = new Set(clientDigests);
  for (const d of AUTH_DIGESTS) if (theirs.has(d)) return d;
  return 'md5';
}

function moduleRefusal(
  m: ModuleConfig,
  inv: ServerInvocation,
  readOnly: boolean,
): { message: string; code: number } | undefined {
  if (!inv.amSender && readOnly) return { message: 'ERROR: module is read only', code: EXIT.SYNTAX };
  if (inv.amSender && m.writeOnly) return { message: 'ERROR: module is write only', code: EXIT.SYNTAX };
  if (inv.unsupported.length > 0)
    return {
      message: `rsync: tsrsync does not support ${inv.unsupported.join(', ')}`,
      code: EXIT.UNSUPPORTED,
    };
  const refused = refusedOption(inv, m.refuseOptions);
  if (refused)
    return { message: `rsync: The server is configured to refuse ${refused}`, code: EXIT.UNSUPPORTED };
  return undefined;
}

/** --link-dest and friends stay inside the module (relative ones are taken from the destination). */
function confineAltDirs(inv: ServerInvocation, root: string, dest: string): void {
  const alt = inv.options.altDest;
  if (!alt) return;
  // relative ones are from the destination directory, where rsync's receiver works
  const base = dest.endsWith('/') ? dest : `${dest}/`;
  alt.dirs = alt.dirs
    .map((d) => (d.startsWith('/') ? `${root}${d}` : `${base}${d}`))
    .filter((d) => staysInside(d, root));
}

/**
 * The module's own rules, in clientserver.c:rsync_module()'s order: filter,
 * include from, include, exclude from, exclude. `filter`, `include` and
 * `exclude` are split into words; a rule's prefix word joins its pattern.
 */
function moduleFilters(m: ModuleConfig): FilterRule[] {
  const out: FilterRule[] = [];
  // a snapshot module's metadata (staging, manifests, lock) is not part of any snapshot
  if (m.snapshot && (m.snapshotRoot === undefined || m.snapshotRoot === m.path))
    out.push(simpleRule(false, '/.tsrsync/'));
  for (const f of m.filter) for (const r of filterWords(f)) pushRule(out, parseFilterRule(r).rule);
  if (m.includeFrom) for (const l of patternFile(m.includeFrom)) out.push(simpleRule(true, l));
  for (const p of m.include) for (const w of p.split(/\s+/)) if (w) out.push(simpleRule(true, w));
  if (m.excludeFrom) for (const l of patternFile(m.excludeFrom)) out.push(simpleRule(false, l));
  for (const p of m.exclude) for (const w of p.split(/\s+/)) if (w) out.push(simpleRule(false, w));
  return out;
}

function pushRule(out: FilterRule[], r: FilterRule | undefined): void {
  if (r) out.push(r);
}

/** `- *.bak + /keep/ -! x` -> ["- *.bak", "+ /keep/", "-! x"]. */
function filterWords(text: string): string[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    // every rule starts with its prefix word; only a list clear stands alone
    const alone = w === '!' || w === 'C' || w === 'clear' || /^[-+]_/.test(w);
    out.push(alone || i + 1 >= words.length ? w : `${w} ${words[++i]!}`);
  }
  return out;
}

/** An exclude/include file: one pattern a line, `;` and `#` comments (exclude.c:parse_filter_file()). */
function patternFile(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith(';'));
}
