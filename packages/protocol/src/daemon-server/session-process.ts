/**
 * A daemon session in a process of the module's user. rsync's daemon forks
 * per connection and its child calls setgid/setgroups/setuid before the
 * transfer (clientserver.c:rsync_module()); Node cannot fork, so after the
 * text phase the daemon starts a process (as root, so it can load the code),
 * hands it the client's socket over the IPC channel with the job, and that
 * process drops to the module's ids for good before it touches a file.
 * The client says nothing between its arguments and the server's first
 * binary bytes, so no byte is in flight while the socket changes hands.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { preloadHashBuilds } from '@tsrsync/delta';
import { loadZstdEncoder } from '../compress/token-writer.js';
import { EXIT } from '../errors.js';
import { closeAfterError, duplexTransport } from '../transport/transport.js';
import { assumeIdentity } from './identity.js';
import { serveJob, type SessionJob } from './session-job.js';
import type { DaemonHooks } from './session.js';

interface JobMessage {
  job: SessionJob;
  leftover: Uint8Array;
}

/**
 * Runs `job` in a new process started as `command` (argv; it must call
 * serveSessionProcess()). Resolves with the session's exit code.
 */
export function runSessionProcess(
  command: readonly string[],
  job: SessionJob,
  socket: net.Socket,
  leftover: Uint8Array,
  log: (line: string) => void,
  track: (child: ChildProcess) => void,
): Promise<number> {
  // bytes the socket already read but nobody consumed go along with it
  const extra: Buffer[] = [];
  for (let c = socket.read() as Buffer | null; c !== null; c = socket.read() as Buffer | null) extra.push(c);
  // and nothing more is read here: what the client sends from now on stays in the kernel and
  // goes to the session process with the descriptor (reading restarted with each read() above;
  // a chunk read before the handle left would be lost). Node has no public call for this.
  (socket as unknown as { _handle?: { readStop?: () => number } | null })._handle?.readStop?.();
  const bytes = extra.length > 0 ? Buffer.concat([leftover, ...extra]) : leftover;
  return new Promise((resolve) => {
    let code: number | undefined;
    const child = spawn(command[0]!, command.slice(1), {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      cwd: '/',
    });
    track(child);
    let errText = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      errText += s;
      let nl;
      while ((nl = errText.indexOf('\n')) >= 0) {
        log(`session process ${child.pid}: ${errText.slice(0, nl)}`);
        errText = errText.slice(nl + 1);
      }
    });
    child.on('message', (m: { code?: unknown }) => {
      if (typeof m?.code === 'number') code = m.code;
    });
    child.on('error', (e) => {
      log(`cannot start a session process: ${e.message}`);
      socket.destroy();
      resolve(EXIT.IPC);
    });
    child.on('exit', (c, sig) => {
      if (errText) log(`session process ${child.pid}: ${errText}`);
      if (code === undefined) log(`session process ${child.pid} ended ${sig ? `by ${sig}` : `with ${c}`}`);
      // rsync's RERR_SIGNAL for a session ended by a signal
      resolve(code ?? c ?? EXIT.SIGNAL);
    });
    const msg: JobMessage = { job, leftover: bytes };
    child.send(msg, socket, (err) => {
      if (err) {
        log(`cannot hand the connection to a session process: ${err.message}`);
        socket.destroy();
        child.kill('SIGKILL');
      }
    });
  });
}

/**
 * clientserver.c:rsync_module() enters the module's directory while still
 * root and works from there: the module's user needs no access to the
 * directories above it. Paths inside the module become relative to it. A
 * snapshot module keeps its absolute paths (its layout and lock use them).
 */
function enterModule(job: SessionJob): void {
  const root = path.resolve(job.module.path);
  if (job.module.snapshot || root === '/') return;
  process.chdir(root);
  const rel = (p: string): string => {
    const abs = path.resolve(p);
    const slash = p.endsWith('/') ? '/' : '';
    if (abs === root) return `.${slash}`;
    return abs.startsWith(`${root}/`) ? `.${abs.slice(root.length)}${slash}` : p;
  };
  job.inv.args = job.inv.args.map((a, i) => (i === 0 ? a : rel(a)));
  // --link-dest and friends must stay absolute (a relative one is taken from the destination):
  // Linux's /proc/self/cwd names the module without walking the directories above it
  const alt = job.inv.options.altDest;
  if (alt && fs.existsSync('/proc/self/cwd'))
    alt.dirs = alt.dirs.map((d) => {
      const r = rel(d);
      return r === d ? d : `/proc/self/cwd${r.slice(1)}`;
    });
}

/**
 * The session process's side: waits for the job and the socket, becomes the
 * module's user, serves, reports the exit code. Resolves with that code.
 */
export function serveSessionProcess(snapshotPush?: DaemonHooks['snapshotPush']): Promise<number> {
  return new Promise((resolve) => {
    if (!process.send) {
      resolve(EXIT.IPC);
      return;
    }
    process.once('message', (m: JobMessage, socket: net.Socket | undefined) => {
      void (async () => {
        if (!socket) {
          process.disconnect?.();
          resolve(EXIT.IPC);
          return;
        }
        const job = m.job;
        try {
          enterModule(job);
          // what loads lazily is loaded now: the module's uid may not read our node_modules
          preloadHashBuilds();
          await loadZstdEncoder();
          if (job.identity) assumeIdentity(job.identity);
        } catch (e) {
          process.stderr.write(`${(e as Error).message}\n`);
          job.refuse ??= { message: `@ERROR: ${(e as Error).message}`, code: EXIT.STARTCLIENT };
        }
        const t = duplexTransport(socket);
        // the daemon stopping ends the transfer as an in-process session's would
        process.once('SIGTERM', () => t.destroy(new Error('the daemon is stopping')));
        let code: number;
        try {
          code = await serveJob(job, t, m.leftover, snapshotPush);
        } catch (e) {
          process.stderr.write(`session failed: ${(e as Error).message}\n`);
          code = EXIT.PARTIAL;
        }
        // as an in-process session (session.ts): let a client that is still sending read why we stop
        if (code !== 0) await closeAfterError(t);
        t.destroy();
        process.send!({ code }, () => {
          process.disconnect?.();
          resolve(code);
        });
      })();
    });
  });
}
