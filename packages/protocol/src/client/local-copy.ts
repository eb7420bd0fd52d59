/**
 * `rsync SRC... DEST` with both ends local (main.c: local_child()): the
 * sender runs as the client and a receiving server runs in the same process,
 * joined by an in-memory pipe, speaking the same protocol as over a socket.
 */
import { clientAllowsIncRecurse } from '../options/server-args.js';
import type { TransferOptions } from '../options/transfer-options.js';
import type { Reporter } from '../receiver/reporter.js';
import type { TokenSink } from '../sender/sender.js';
import { DataIn } from '../session/data-in.js';
import { DataOut } from '../session/data-out.js';
import { clientInfo, clientSetup } from '../session/setup.js';
import type { SessionSettings } from '../session/settings.js';
import { runServerReceiving } from '../server/receive-server.js';
import { memoryTransportPair } from '../transport/transport.js';
import type { ReceiverHooks, TransferResult } from './receive-session.js';
import { runClientSend } from './send-session.js';

export interface LocalCopyOptions {
  sources: readonly string[];
  dest: string;
  options: TransferOptions;
  reporter: Reporter;
  hooks?: ReceiverHooks | undefined;
  signal?: AbortSignal | undefined;
  tokens?: ((s: SessionSettings) => TokenSink) | undefined;
}

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

export async function localCopy(p: LocalCopyOptions): Promise<TransferResult> {
  // rsync copies whole files between local paths unless told --no-whole-file
  const o: TransferOptions = { ...p.options, wholeFile: p.options.wholeFile ?? true };
  const protocol = o.protocol;
  const [ca, sb] = memoryTransportPair({ highWaterMark: 256 * 1024 });
  const info = clientInfo(clientAllowsIncRecurse(o, true, protocol));
  const onAbort = () => {
    const err = p.signal?.reason instanceof Error ? p.signal.reason : new Error('aborted');
    ca.destroy(err);
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
  server.catch((e: unknown) => ca.destroy(e instanceof Error ? e : new Error(String(e))));
  try {
    const client = await runClientSend({
      transport: ca,
      leftover: new Uint8Array(0),
      protocol,
      exchangeVersions: true,
      info,
      options: o,
      sources: p.sources,
      // the receiving side reports items and deletions (as rsync's generator does)
      reporter: senderReporter(p.reporter),
      tokens: p.tokens,
      localServer: true,
      setup: (input, out) => clientSetup(input, out, { exchangeVersions: true, protocol, info, options: o }),
    });
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
