/**
 * Starting the remote side of a transfer over a remote shell (ssh, rsh, or any
 * `-e` command), as rsync's main.c:do_cmd() and pipe.c:piped_child() do: the
 * remote-shell command is split into words, `-l user`, the host, the remote
 * rsync path and the server arguments are appended, and the child's stdout and
 * stdin become the protocol stream. Its stderr passes through to ours.
 *
 * Arguments reach the remote rsync through a remote *shell* (ssh joins its
 * arguments with spaces and runs them with `$SHELL -c`), so each server
 * argument is backslash-escaped the way rsync >= 3.2.4 does by default
 * (options.c:safe_arg()): shell-active characters everywhere, wildcards only
 * in option values (so `host:dir/*.txt` still expands remotely), a leading `-`
 * in a file name becomes `./-`. `--secluded-args` (-s) and `--old-args` are
 * not supported.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EXIT, RsyncError, StreamError } from '../errors.js';
import { sysMessage } from '../local/sys-error.js';
import { duplexTransport, type Transport } from './transport.js';

export interface RemoteShellOptions {
  /** -e / --rsh value (default: RSYNC_RSH env, else 'ssh'); split into words like rsync does. */
  rsh?: string | undefined;
  /** Remote host; an IPv6 literal may be given with or without brackets. */
  host: string;
  /** Passed as `-l user` before the host (do_cmd()). */
  user?: string | undefined;
  /** --rsync-path (default 'rsync'); one argument, split into words by the remote shell. */
  rsyncPath?: string | undefined;
  /** The server argv without the program name: ['--server', '--sender', '-vlogDtpre.iLsfxCIvu', '.', 'path']. */
  serverArgs: string[];
  /** -4 / -6: added for a remote shell named `ssh` (do_cmd()). */
  family?: 4 | 6 | undefined;
  /** --trust-sender: a leading `~` in a file name is then left for the remote shell to expand. */
  trustSender?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Called with each chunk the remote shell writes to stderr (default: passed through to our stderr). */
  onStderr?: ((chunk: Buffer) => void) | undefined;
}

export interface RemoteShellTransport extends Transport {
  /** Resolves with the child's exit status when it has exited (code, or 128+signal). */
  readonly exited: Promise<number>;
  /** The full command that was spawned (for messages and tests). */
  readonly argv: readonly string[];
}

function syntaxError(message: string): RsyncError {
  return new RsyncError(message, 'ERR_RSYNC_SYNTAX', EXIT.SYNTAX);
}

/**
 * Splits a remote-shell command into words as do_cmd() does: words end at a
 * space (only a space), single or double quotes group, and a doubled quote
 * character inside a quoted part stands for that character.
 */
export function splitRemoteShell(cmd: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < cmd.length) {
    if (cmd[i] === ' ') {
      i++;
      continue;
    }
    let word = '';
    let quote = '';
    while (i < cmd.length && (cmd[i] !== ' ' || quote)) {
      const c = cmd[i]!;
      if (c === "'" || c === '"') {
        if (!quote) {
          quote = c;
          i++;
          continue;
        }
        if (c === quote) {
          if (cmd[i + 1] !== quote) {
            quote = '';
            i++;
            continue;
          }
          i++; // a doubled quote: keep one
        }
      }
      word += cmd[i]!;
      i++;
    }
    if (quote) throw syntaxError(`Missing trailing-${quote} in remote-shell command.`);
    words.push(word);
  }
  return words;
}

const SHELL_CHARS = '!#$&;|<>(){}"\'` \t\n\r\\';
const WILD_CHARS = '*?[]';

export interface SafeArgContext {
  /** The local side sends the files (a push): file names are then never tilde-escaped. */
  amSender?: boolean;
  /** -R was given. */
  relative?: boolean;
  /** --trust-sender. */
  trustSender?: boolean;
}

/**
 * Backslash-escapes one argument for the remote shell (options.c:safe_arg()).
 * `'filename'` args keep wildcards active and get `./` before a leading `-`;
 * `'option'` values escape wildcards too.
 */
export function safeArg(arg: string, kind: 'filename' | 'option', ctx: SafeArgContext = {}): string {
  const isName = kind === 'filename';
  const escapes = isName ? SHELL_CHARS : WILD_CHARS + SHELL_CHARS;
  let out = isName && arg.startsWith('-') ? './' : '';
  // a bare "~name" (or any "~..." under -R without "/./") would be expanded by the remote shell
  // into names the receiver did not ask for; a receiving client keeps it literal
  if (
    isName &&
    arg.startsWith('~') &&
    !ctx.amSender &&
    !ctx.trustSender &&
    ((ctx.relative && !arg.includes('/./')) || !arg.includes('/'))
  ) {
    out += '\\';
  }
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i]!;
    if (c === '\\') {
      // in a file name "\*" stays an escaped wildcard, so that backslash is not doubled
      const next = arg[i + 1];
      if (!isName || next === undefined || !WILD_CHARS.includes(next)) out += '\\';
    } else if (escapes.includes(c)) out += '\\';
    // a "~" after "=" or ":" in a word shaped like NAME=VALUE is expanded by bash (rsync sends a
    // separate option value bare, so "--link-dest" "a=~/b" would arrive as "a=/home/u/b"); a
    // leading "~" stays live, as rsync leaves it (a remote "~/dir" is asked for on purpose)
    else if (!isName && c === '~' && i > 0 && (arg[i - 1] === '=' || arg[i - 1] === ':')) out += '\\';
    out += c;
  }
  return out;
}

/** Server options that take their value as the next argument (options.c:server_options()). */
const SEPARATE_VALUE = new Set([
  '--backup-dir',
  '--partial-dir',
  '--temp-dir',
  '--compare-dest',
  '--copy-dest',
  '--link-dest',
]);

/** Escapes a server argv: options and their values up to the "." that ends them, file names after it. */
function escapeServerArgs(args: readonly string[], trustSender: boolean): string[] {
  const end = optionsEnd(args);
  const opts = args.slice(0, end);
  const cluster = opts.find((a) => /^-[^-]/.test(a)) ?? '';
  const ctx: SafeArgContext = {
    amSender: !opts.includes('--sender'),
    relative: cluster.split('e')[0]!.includes('R'),
    trustSender,
  };
  return args.map((a, i) => safeArg(a, i < end ? 'option' : 'filename', ctx));
}

function optionsEnd(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    if (SEPARATE_VALUE.has(args[i]!)) i++;
    else if (args[i] === '.') return i + 1;
  }
  return args.length;
}

/** The command do_cmd() runs: rsh words, [-l user], [-4|-6], host, rsync path, escaped server args. */
export function remoteShellArgv(o: RemoteShellOptions): string[] {
  const words = splitRemoteShell(o.rsh ?? process.env['RSYNC_RSH'] ?? 'ssh');
  if (words.length === 0) throw syntaxError('the remote-shell command is empty');
  const prog = path.posix.basename(words[0]!);
  const args = [...words];
  const daemon = o.serverArgs[0] === '--server' && o.serverArgs[1] === '--daemon';
  // over-rsh daemon connections leave a "-l user" given in the rsh command alone
  const dashL = words.some((w, i) => w === '-l' && i + 1 < words.length && !words[i + 1]!.startsWith('-'));
  if (o.user !== undefined && !(daemon && dashL)) args.push('-l', o.user);
  if (o.family !== undefined && prog === 'ssh') args.push(`-${o.family}`);
  const host = /^\[.*\]$/.test(o.host) ? o.host.slice(1, -1) : o.host;
  args.push(host, o.rsyncPath ?? 'rsync', ...escapeServerArgs(o.serverArgs, o.trustSender === true));
  return args;
}

/** Spawns the remote shell; its stdout/stdin carry the protocol. */
export function spawnRemoteShell(o: RemoteShellOptions): RemoteShellTransport {
  const argv = remoteShellArgv(o);
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['pipe', 'pipe', o.onStderr ? 'pipe' : 'inherit'],
  });
  if (o.onStderr) child.stderr?.on('data', o.onStderr);

  let spawnError: RsyncError | undefined;
  let destroyed: { err: Error | undefined } | undefined;
  let inner: { r: Transport; w: Transport } | undefined;
  // settles once the child exists (pipe.c:piped_child() forks, then execs)
  const started = new Promise<void>((resolve) => {
    child.once('spawn', () => {
      // two halves (Node's stdio pipes are net.Sockets): Node destroys the child's stdin when it
      // exits while its stdout may still hold data, so they must not be tied together
      inner = { r: duplexTransport(child.stdout as Socket), w: duplexTransport(child.stdin as Socket) };
      if (destroyed) for (const t of [inner.r, inner.w]) t.destroy(destroyed.err);
      resolve();
    });
    child.once('error', (e) => {
      if (child.pid !== undefined) return; // a failed kill(), not a failed exec
      // piped_child(): "Failed to exec ..." and exit_cleanup(RERR_IPC)
      const msg = `rsync: ${sysMessage(`Failed to exec ${argv[0]!}`, e)}`;
      spawnError = new RsyncError(msg, 'ERR_RSYNC_IPC', EXIT.IPC, { cause: e });
      resolve();
    });
  });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, sig) => resolve(code ?? 128 + (sig ? (os.constants.signals[sig] ?? 0) : 0)));
    // the forked child of a failed exec exits with RERR_IPC
    void started.then(() => spawnError && resolve(EXIT.IPC));
  });
  // EPIPE and friends surface through the transport; keep them from becoming uncaught
  child.stdin!.on('error', () => {});
  child.stdout!.on('error', () => {});

  const ready = async (): Promise<{ r: Transport; w: Transport }> => {
    await started;
    if (spawnError) throw destroyed?.err ?? spawnError;
    return inner!;
  };
  const onAbort = () => {
    const r: unknown = o.signal?.reason;
    transport.destroy(r instanceof RsyncError ? r : new StreamError('remote shell aborted', { cause: r }));
  };
  const transport: RemoteShellTransport = {
    argv,
    exited,
    async read() {
      return (await ready()).r.read();
    },
    async readInto(sink) {
      const r = (await ready()).r;
      if (r.readInto) return r.readInto(sink);
      const c = await r.read();
      if (c === null) return false;
      sink(c);
      return true;
    },
    async write(data) {
      return (await ready()).w.write(data);
    },
    async end() {
      await started;
      if (inner) await inner.w.end();
    },
    destroy(err) {
      destroyed ??= { err };
      inner?.r.destroy(err);
      inner?.w.destroy(err);
      // cleanup.c:_exit_cleanup() kills its children (kill_all(SIGUSR1)) when ending abnormally;
      // at a normal end (no error) closing the pipes lets the remote side exit by itself
      if (
        err !== undefined &&
        child.pid !== undefined &&
        child.exitCode === null &&
        child.signalCode === null
      ) {
        child.kill('SIGUSR1');
      }
    },
  };
  if (o.signal) {
    if (o.signal.aborted) onAbort();
    else {
      o.signal.addEventListener('abort', onAbort, { once: true });
      void exited.then(() => o.signal?.removeEventListener('abort', onAbort));
    }
  }
  return transport;
}
