/**
 * One lock per snapshot ROOT, held by the kernel: a listening abstract Unix
 * socket named after the ROOT's real path. The kernel releases it when the
 * process dies (kill -9 included), so there are no stale lock files and no
 * PID guessing (rsnapshot's lockfile problems, snapshot-tools.md §2.5).
 * Linux only; the name space is per network namespace.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SnapshotError } from './errors.js';

export interface RootLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** Seconds to wait for another run to finish (0 = fail at once, Infinity = forever). */
  waitSec?: number | undefined;
  /** Called once when we start waiting. */
  onWait?: ((holder: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

const POLL_MS = 200;

export function lockName(root: string): string {
  let real = path.resolve(root);
  try {
    real = fs.realpathSync(real);
  } catch {
    /* not created yet: the resolved path names it */
  }
  return `\0tsrsync-snapshot:${createHash('sha256').update(real).digest('hex').slice(0, 48)}`;
}

function tryListen(name: string): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((c) => c.destroy());
    srv.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') resolve(undefined);
      else reject(e);
    });
    srv.listen(name, () => {
      srv.unref();
      resolve(srv);
    });
  });
}

/** Who holds the lock, from the informational file beside it. */
function holder(infoFile: string): string {
  try {
    const j = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as { pid?: number; since?: string };
    return `pid ${j.pid ?? '?'}, since ${j.since ?? '?'}`;
  } catch {
    return 'another process';
  }
}

export async function acquireLock(root: string, infoFile: string, o: LockOptions = {}): Promise<RootLock> {
  const name = lockName(root);
  const wait = o.waitSec ?? 0;
  const deadline = Date.now() + wait * 1000;
  let announced = false;
  for (;;) {
    const srv = await tryListen(name);
    if (srv) {
      try {
        fs.writeFileSync(infoFile, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      } catch {
        /* informational only */
      }
      return {
        release: () =>
          new Promise<void>((resolve) => {
            try {
              fs.rmSync(infoFile, { force: true });
            } catch {
              /* ignore */
            }
            srv.close(() => resolve());
          }),
      };
    }
    const who = holder(infoFile);
    if (Date.now() >= deadline || o.signal?.aborted) {
      throw new SnapshotError(
        `${root} is locked by another tsrsync run (${who})` +
          (wait > 0 ? ` and stayed locked for ${wait} s` : '; use --wait[=SECONDS] to wait for it'),
      );
    }
    if (!announced) {
      announced = true;
      o.onWait?.(who);
    }
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
  }
}
