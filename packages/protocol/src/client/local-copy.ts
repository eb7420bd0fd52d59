/**
 * `rsync SRC... DEST` with both ends local (main.c: local_child()): the
 * sender runs as the client and a receiving server runs in the same process,
 * speaking the same protocol as over a socket. The sender runs in a worker
 * thread (local-copy-worker.ts), so scanning and reading the sources overlap
 * with writing the copies as rsync's separate processes do; the receiving
 * side stays in this thread, where the reporter and the hooks live. With a
 * `tokens` factory (a function, which cannot cross threads) both halves share
 * this thread, joined by an in-memory pipe.
 */
import { Worker } from 'node:worker_threads';
import { clientAllowsIncRecurse } from '../options/server-args.js';
import type { TransferOptions } from '../options/transfer-options.js';
import { TransferStats, type MessageLevel, type Reporter } from '../receiver/reporter.js';
import type { TokenSink } from '../sender/sender.js';
import { DataIn } from '../session/data-in.js';
import { DataOut } from '../session/data-out.js';
import { clientInfo, clientSetup } from '../session/setup.js';
import type { SessionSettings } from '../session/settings.js';
import { runServerReceiving } from '../server/receive-server.js';
import { StreamError } from '../errors.js';
import { portTransport, reviveError, type SerializedError } from '../transport/port-transport.js';
import { memoryTransportPair, type Transport } from '../transport/transport.js';
import type { ReceiverHooks, TransferResult } from './receive-session.js';
import { runLocalSender, type LocalSenderJob } from './local-sender.js';

export interface LocalCopyOptions {
  sources: readonly string[];
  dest: string;
  options: TransferOptions;
  reporter: Reporter;
  hooks?: ReceiverHooks | undefined;
  signal?: AbortSignal | undefined;
  tokens?: ((s: SessionSettings) => TokenSink) | undefined;
}

/** What the sender worker posts besides protocol bytes. */
export type SenderWorkerMessage =
  | { k: 'message'; level: MessageLevel; text: string }
  | {
      k: 'done';
      result: { exitCode: number; stats: Record<string, number>; settings: SessionSettings | undefined };
    }
  | { k: 'failed'; err: SerializedError };

/** rsync's exit-code precedence: the first fatal code, then 23, then 24, then 0. */
function worst(a: number, b: number): number {
  const fatal = [a, b].find((c) => c !== 0 && c !== 23 && c !== 24);
  if (fatal !== undefined) return fatal;
  if (a === 23 || b === 23) return 23;
  if (a === 24 || b === 24) return 24;
  return 0;
}

function senderReporter(r: Reporter): Reporter {
  const { item: _item, deleted: _deleted, ...rest } = r;
  return rest;
}

/** The sending half as the receiving half sees it. */
interface SenderHalf {
  /** The receiving server's end of the pipe. */
  transport: Transport;
  result: Promise<TransferResult>;
  /** The receiving side failed with `err` (or the run was aborted): end the sender. */
  stop(err: Error, abort: boolean): void;
}

/** A worker that has been idle (nothing else to end it) this long after stop() is terminated. */
const STOP_GRACE_MS = 3000;

function senderInThread(job: LocalSenderJob, p: LocalCopyOptions): SenderHalf {
  const [ca, sb] = memoryTransportPair({ highWaterMark: 256 * 1024 });
  return {
    transport: sb,
    // the receiving side reports items and deletions (as rsync's generator does)
    result: runLocalSender(job, ca, senderReporter(p.reporter), p.tokens),
    stop: (err, abort) => {
      ca.destroy(err);
      if (abort) sb.destroy(err);
    },
  };
}

function senderInWorker(job: LocalSenderJob, p: LocalCopyOptions, entry: URL): SenderHalf {
  const worker = new Worker(entry, {
    workerData: job,
    stdout: false,
    stderr: false,
    // not the parent's flags: under vitest they resolve @tsrsync/* to .ts sources a worker cannot load
    execArgv: [],
  });
  let settle: ((r: TransferResult | Error) => void) | undefined;
  const result = new Promise<TransferResult>((resolve, reject) => {
    settle = (r) => {
      settle = undefined;
      if (r instanceof Error) reject(r);
      else resolve(r);
      void worker.terminate();
    };
  });
  const message = p.reporter.message;
  const transport = portTransport(worker, {
    onOther: (m) => {
      const msg = m as SenderWorkerMessage;
      if (msg.k === 'message') message?.(msg.level, msg.text);
      else if (msg.k === 'done') {
        const stats = Object.assign(new TransferStats(), msg.result.stats);
        settle?.({ exitCode: msg.result.exitCode, stats, settings: msg.result.settings });
      } else if (msg.k === 'failed') settle?.(reviveError(msg.err));
    },
  });
  // the worker ended without a result (after one, the receiving side has read everything)
  const gone = (err: Error) => {
    if (!settle) return;
    transport.fail(err);
    settle(err);
  };
  worker.on('error', (e) => gone(new StreamError(`sender thread failed: ${e.message}`, { cause: e })));
  worker.on('exit', () => gone(new StreamError('connection reset by peer (the sender thread ended)')));
  let timer: NodeJS.Timeout | undefined;
  void result.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
  return {
    transport,
    result,
    stop: (err, abort) => {
      transport.destroy(err);
      if (abort) void worker.terminate();
      else if (settle && !timer) {
        timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
        timer.unref();
      }
    },
  };
}

/**
 * The worker's entry: local-copy-worker.js beside this module when built. Run from the
 * TypeScript sources (vitest), a worker cannot load .ts files on Node 20: it runs the built
 * entry in ../../dist (tests build first, as the CLI tests do).
 */
function senderWorkerEntry(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/client/local-copy-worker.js', here)
    : new URL('./local-copy-worker.js', here);
}

export async function localCopy(p: LocalCopyOptions): Promise<TransferResult> {
  // rsync copies whole files between local paths unless told --no-whole-file
  const o: TransferOptions = { ...p.options, wholeFile: p.options.wholeFile ?? true };
  const protocol = o.protocol;
  const info = clientInfo(clientAllowsIncRecurse(o, true, protocol));
  const job: LocalSenderJob = { sources: p.sources, options: o, protocol, info };
  p.signal?.throwIfAborted();
  // TSRSYNC_LOCAL_COPY_WORKER=0: both halves in this thread (for comparisons)
  const half =
    p.tokens !== undefined || process.env['TSRSYNC_LOCAL_COPY_WORKER'] === '0'
      ? senderInThread(job, p)
      : senderInWorker(job, p, senderWorkerEntry());
  const sb = half.transport;
  const onAbort = () => {
    const err = p.signal?.reason instanceof Error ? p.signal.reason : new Error('aborted');
    half.stop(err, true);
    sb.destroy(err);
  };
  p.signal?.addEventListener('abort', onAbort, { once: true });
  const server = (async () => {
    const input = new DataIn(sb, new Uint8Array(0));
    const out = new DataOut(sb);
    const settings = await clientSetup(input, out, {
      exchangeVersions: true,
      protocol,
      info,
      options: o,
      server: { allowIncRecurse: clientAllowsIncRecurse(o, false, protocol), checksumSeed: o.checksumSeed },
    });
    await out.startMultiplex();
    const r = await runServerReceiving({
      input,
      out,
      settings,
      // the sender alone applies --chmod (pipe.c:local_child() clears it in the child)
      options: { ...o, chmod: undefined },
      dest: p.dest,
      reporter: p.reporter,
      localServer: true,
      basisFinder: p.hooks?.basisFinder,
      breakSharedInodes: p.hooks?.breakSharedInodes,
    });
    await out.flush();
    await sb.end();
    return r;
  })();
  server.catch((e: unknown) => half.stop(e instanceof Error ? e : new Error(String(e)), false));
  try {
    const client = await half.result;
    const srv = await server;
    const stats = client.stats;
    // what the receiver knows: created and deleted counts
    stats.createdFiles = srv.stats.createdFiles;
    stats.createdDirs = srv.stats.createdDirs;
    stats.createdSymlinks = srv.stats.createdSymlinks;
    stats.deletedFiles = srv.stats.deletedFiles;
    stats.deletedDirs = srv.stats.deletedDirs;
    stats.linkedFiles = srv.stats.linkedFiles;
    stats.localCopies = srv.stats.localCopies;
    return { ...client, exitCode: worst(client.exitCode, srv.exitCode), stats };
  } catch (e) {
    const srvErr = await server.then(
      () => undefined,
      (x: unknown) => x,
    );
    // the side that failed first explains it; the other only saw the pipe break
    if (
      srvErr !== undefined &&
      e instanceof Error &&
      /reset by peer|closed connection|destroyed/.test(e.message)
    )
      throw srvErr;
    throw e;
  } finally {
    p.signal?.removeEventListener('abort', onAbort);
  }
}
