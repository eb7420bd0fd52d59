/**
 * The sending half of a local copy (main.c: local_child()'s parent): the
 * client that sends, talking to the receiving server over `transport`. Runs in
 * the caller's thread or in the local-copy worker (local-copy-worker.ts).
 */
import type { TransferOptions } from '../options/transfer-options.js';
import type { Reporter } from '../receiver/reporter.js';
import type { TokenSink } from '../sender/sender.js';
import { clientSetup } from '../session/setup.js';
import type { SessionSettings } from '../session/settings.js';
import type { Transport } from '../transport/transport.js';
import type { TransferResult } from './receive-session.js';
import { runClientSend } from './send-session.js';

/** What the sending half needs: all structured-cloneable (it may cross to a worker thread). */
export interface LocalSenderJob {
  sources: readonly string[];
  /** The transfer options, --whole-file already defaulted. */
  options: TransferOptions;
  protocol: number;
  /** The client's capability letters (clientInfo()). */
  info: string;
}

export function runLocalSender(
  job: LocalSenderJob,
  transport: Transport,
  reporter: Reporter,
  tokens?: ((s: SessionSettings) => TokenSink) | undefined,
): Promise<TransferResult> {
  const { options: o, protocol, info } = job;
  return runClientSend({
    transport,
    leftover: new Uint8Array(0),
    protocol,
    exchangeVersions: true,
    info,
    options: o,
    sources: job.sources,
    reporter,
    tokens,
    localServer: true,
    setup: (input, out) => clientSetup(input, out, { exchangeVersions: true, protocol, info, options: o }),
  });
}
