/**
 * `tsrsync daemon` in-process for interop tests: the same generated
 * rsyncd.conf as startRsyncDaemon() (test/interop/harness.ts), parsed by our
 * parser and served on 127.0.0.1 on a port the kernel picks.
 */
import { readFileSync } from 'node:fs';
import { logLine, parseRsyncdConf } from '@tsrsync/protocol';
import { startDaemon } from 'tsrsync';
import { daemonHandle, writeDaemonConfig, type RsyncDaemon, type StartDaemonOptions } from './harness.js';

export interface TsrsyncDaemon extends RsyncDaemon {
  /** Sessions in progress. */
  readonly active: number;
}

export async function startTsrsyncDaemon(
  opts: StartDaemonOptions & { handshakeTimeoutMs?: number },
): Promise<TsrsyncDaemon> {
  const files = await writeDaemonConfig(opts);
  const config = parseRsyncdConf(readFileSync(files.configFile, 'utf8'), files.configFile);
  // the generated config uses only parameters rsync knows: a warning is a parser bug
  if (config.warnings.length > 0) throw new Error(`rsyncd.conf warnings: ${JSON.stringify(config.warnings)}`);
  const server = await startDaemon(config, {
    port: 0,
    address: '127.0.0.1',
    log: logLine(files.logFile),
    handshakeTimeoutMs: opts.handshakeTimeoutMs,
  });
  const handle = daemonHandle(server.port, files, () => server.close());
  return Object.defineProperty(handle, 'active', { get: () => server.active }) as TsrsyncDaemon;
}
