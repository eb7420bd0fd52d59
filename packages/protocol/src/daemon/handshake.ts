/**
 * Client side of the daemon text phase, from the greeting up to `@RSYNCD: OK`
 * (clientserver.c:start_inband_exchange(), exchange_protocols();
 * authenticate.c:auth_client()).
 */
import { RsyncError, StreamError, TimeoutError } from '../errors.js';
import { ByteReader } from '../transport/byte-reader.js';
import { connectTcp } from '../transport/tcp.js';
import type { Transport } from '../transport/transport.js';
import {
  AUTH_DIGESTS,
  SUPPORTED_PROTOCOLS,
  authResponse,
  chooseAuthDigest,
  chooseProtocol,
  formatGreeting,
  parseGreeting,
  parseModuleLine,
  type ModuleEntry,
  type NegotiatedAuthDigest,
} from './codec.js';
import { DaemonRefusedError, DaemonStartError } from './errors.js';

/** rsync's line buffer in the text phase (BIGPATHBUFLEN is 4096 + MAXPATHLEN; lines are small). */
export const DAEMON_LINE_MAX = 8192;

export interface DaemonHandshakeOptions {
  /** Module to open; `''` asks for the module listing. Anything after the first '/' is ignored. */
  module: string;
  /** Login name; default $USER, $LOGNAME, then 'nobody' (as auth_client()). */
  user?: string;
  /** Password, or a lazy getter (only called if the daemon asks for auth). */
  password?: string | (() => string | Promise<string>);
  /** Our maximum protocol (default 32; 27..32). */
  protocol?: number;
  /** Every text line the daemon sends that is not an `@` line (MOTD and listing). */
  onMotd?: (line: string) => void;
  /** Bound on the whole text phase in ms; on expiry the transport is destroyed (TimeoutError). */
  timeoutMs?: number;
}

export interface DaemonHandshakeResult {
  /** Negotiated protocol version. */
  protocol: number;
  serverProtocol: number;
  serverSub: number | undefined;
  /** Digest list from the server greeting (`undefined` if none). */
  serverDigests: string[] | undefined;
  /** Digest used for auth, if the daemon asked for it. */
  authDigest?: NegotiatedAuthDigest;
  authUser?: string;
  /** 'ok' = `@RSYNCD: OK` (argument vector next); 'exit' = `@RSYNCD: EXIT` (listing done). */
  status: 'ok' | 'exit';
  /** Non-@ lines seen (MOTD, listing). */
  lines: string[];
}

function defaultUser(): string {
  return process.env['USER'] || process.env['LOGNAME'] || 'nobody';
}

/**
 * Runs the text phase on an open connection. Resolves at `@RSYNCD: OK` (the
 * caller then sends the argument vector) or `@RSYNCD: EXIT`.
 *
 * Errors: `@ERROR` → DaemonRefusedError (exit 5); missing/garbled greeting or
 * early close → DaemonStartError (exit 5); bad version → ProtocolError (exit 2).
 */
export async function daemonHandshake(
  reader: ByteReader,
  transport: Transport,
  opts: DaemonHandshakeOptions,
): Promise<DaemonHandshakeResult> {
  const ours = opts.protocol ?? SUPPORTED_PROTOCOLS.max;
  if (!Number.isInteger(ours) || ours < SUPPORTED_PROTOCOLS.min || ours > SUPPORTED_PROTOCOLS.max) {
    throw new RsyncError(
      `--protocol=${ours} is not supported (use ${SUPPORTED_PROTOCOLS.min}..${SUPPORTED_PROTOCOLS.max})`,
      'ERR_RSYNC_SYNTAX',
      1,
    );
  }
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      transport.destroy(new TimeoutError(`timed out in the daemon handshake after ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
  }
  try {
    return await run(reader, transport, opts, ours);
  } catch (e) {
    if (timedOut && !(e instanceof TimeoutError)) {
      throw new TimeoutError(`timed out in the daemon handshake after ${opts.timeoutMs} ms`, { cause: e });
    }
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

async function readLine(reader: ByteReader): Promise<string | null> {
  try {
    return await reader.readLine(DAEMON_LINE_MAX);
  } catch (e) {
    if (e instanceof StreamError) return null;
    throw e;
  }
}

async function run(
  reader: ByteReader,
  transport: Transport,
  opts: DaemonHandshakeOptions,
  ours: number,
): Promise<DaemonHandshakeResult> {
  // Both sides greet without waiting for the other.
  await transport.write(Buffer.from(formatGreeting(ours, AUTH_DIGESTS), 'latin1'));
  const greetLine = await readLine(reader);
  if (greetLine === null) throw new DaemonStartError('rsync: did not see server greeting');
  let greeting;
  try {
    greeting = parseGreeting(greetLine);
  } catch (e) {
    throw new DaemonStartError(`rsync: ${(e as Error).message}`, { cause: e });
  }
  const protocol = chooseProtocol(ours, greeting);

  const slash = opts.module.indexOf('/');
  const module = slash < 0 ? opts.module : opts.module.slice(0, slash);
  if (/[\n\r\0]/.test(module)) throw new DaemonStartError('module name contains a line break or NUL');
  await transport.write(Buffer.from(`${module}\n`, 'latin1'));

  const result: DaemonHandshakeResult = {
    protocol,
    serverProtocol: greeting.protocol,
    serverSub: greeting.sub,
    serverDigests: greeting.digests,
    status: 'ok',
    lines: [],
  };
  for (;;) {
    const line = await readLine(reader);
    if (line === null) throw new DaemonStartError("rsync: didn't get server startup line");
    if (line.startsWith('@RSYNCD: AUTHREQD ')) {
      const challenge = line.slice(18);
      // auth_client() negotiates with the *negotiated* protocol version.
      const digest = chooseAuthDigest(greeting.digests, protocol);
      const user = opts.user || defaultUser();
      const pw = typeof opts.password === 'function' ? await opts.password() : (opts.password ?? '');
      result.authDigest = digest;
      result.authUser = user;
      await transport.write(Buffer.from(`${user} ${authResponse(digest, pw, challenge)}\n`, 'latin1'));
      continue;
    }
    if (line === '@RSYNCD: OK') return result;
    if (line === '@RSYNCD: EXIT') {
      result.status = 'exit';
      return result;
    }
    if (line.startsWith('@ERROR')) throw new DaemonRefusedError(line);
    result.lines.push(line);
    opts.onMotd?.(line);
  }
}

export interface ListModulesOptions {
  port?: number;
  protocol?: number;
  user?: string;
  password?: DaemonHandshakeOptions['password'];
  /** Connect timeout (--contimeout), ms. */
  contimeoutMs?: number;
  /** Bound on the listing exchange, ms (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Every non-@ line in order (MOTD and listing), for byte-exact printing. */
  onLine?: (line: string) => void;
}

/**
 * Asks a daemon for its module list (`rsync HOST::`). Returns the lines that
 * look like listing entries (`name<spaces>\tcomment`); `onLine` sees all lines.
 */
export async function listModules(host: string, opts: ListModulesOptions = {}): Promise<ModuleEntry[]> {
  const t = await connectTcp(host, opts.port ?? 873, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.contimeoutMs !== undefined ? { timeoutMs: opts.contimeoutMs } : {}),
  });
  try {
    const reader = new ByteReader(t);
    const res = await daemonHandshake(reader, t, {
      module: '',
      ...(opts.protocol !== undefined ? { protocol: opts.protocol } : {}),
      ...(opts.user !== undefined ? { user: opts.user } : {}),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      ...(opts.onLine ? { onMotd: opts.onLine } : {}),
      timeoutMs: opts.timeoutMs ?? 30_000,
    });
    if (res.status !== 'exit') {
      throw new DaemonStartError('daemon did not send a module listing');
    }
    const out: ModuleEntry[] = [];
    for (const l of res.lines) {
      const m = parseModuleLine(l);
      if (m) out.push(m);
    }
    return out;
  } finally {
    t.destroy();
  }
}
