/**
 * `tsrsync daemon` in-process for interop tests: the same generated
 * rsyncd.conf as startRsyncDaemon() (test/interop/harness.ts), parsed by our
 * parser and served on 127.0.0.1 on a port the kernel picks.
 */
import { readFileSync } from 'node:fs';
import { logLine, parseRsyncdConf } from '@tsrsync/protocol';
import { startDaemon } from 'tsrsync';
import { writeDaemonConfig, type RsyncDaemon, type StartDaemonOptions } from './harness.js';

export interface TsrsyncDaemon extends RsyncDaemon {
  /** Sessions in progress. */
  readonly active: number;
}

export async function startTsrsyncDaemon(
  opts: StartDaemonOptions & { handshakeTimeoutMs?: number },
): Promise<TsrsyncDaemon> {
  const { dir, configFile, logFile } = await writeDaemonConfig(opts);
  const config = parseRsyncdConf(readFileSync(configFile, 'utf8'), configFile);
  // the generated config uses only parameters rsync knows: a warning is a parser bug
  if (config.warnings.length > 0) throw new Error(`rsyncd.conf warnings: ${JSON.stringify(config.warnings)}`);
  const server = await startDaemon(config, {
    port: 0,
    address: '127.0.0.1',
    log: logLine(logFile),
    handshakeTimeoutMs: opts.handshakeTimeoutMs,
  });
  const port = server.port;
  return {
    host: '127.0.0.1',
    port,
    dir,
    configFile,
    logFile,
    url: (module, subpath) =>
      `rsync://127.0.0.1:${port}/${module}${subpath === undefined ? '' : `/${subpath}`}`,
    log: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    get active() {
      return server.active;
    },
    stop: () => server.close(),
  };
}
