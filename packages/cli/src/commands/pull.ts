/** `tsrsync pull [options] SRC... DEST`: rsync -a SRC... DEST from an rsync daemon. */
import {
  RsyncError,
  localCopy,
  pullOverShell,
  passwordSource,
  pullFromDaemon,
  type ReceiverHooks,
  type Reporter,
  type TransferOptions,
  type TransferResult,
} from '@tsrsync/protocol';
import { UsageError } from '../args.js';
import { parseCli, type CliOptions } from '../options.js';
import { consoleReporter, summary, type ConsoleOutput, stdio } from '../output.js';
import { parseLocation, sameDaemon, type Location } from '../remote.js';
import { progressBar } from '../progress-bar.js';

export async function runPull(argv: readonly string[], io: ConsoleOutput = stdio): Promise<number> {
  const c = parseCli(argv);
  if (c.args.length < 2) throw new UsageError('usage: tsrsync pull [options] SRC... DEST');
  const dest = c.args[c.args.length - 1]!;
  const sources = c.args.slice(0, -1).map(parseLocation);
  const res = await pull(c, sources, dest, io);
  return res.exitCode;
}

export interface TransferOutput {
  reporter: Reporter;
  /** Ends the progress bar. */
  done(): void;
}

/** The console output of a transfer as the options ask for it (-v, -i, --progress, --no-motd). */
export function transferOutput(c: CliOptions, io: ConsoleOutput): TransferOutput {
  const t = c.transfer;
  const bar = progressBar(io);
  const reporter = consoleReporter(
    {
      verbose: t.verbose,
      itemize: t.itemize,
      outFormat: c.outFormat,
      quiet: t.quiet,
      times: t.times,
      human: c.human,
      progress: c.progress,
    },
    bar?.io ?? io,
  );
  if (bar) bar.attach(reporter);
  if (c.noMotd) {
    const m = reporter.message;
    let handshake = true;
    reporter.message = (level, text) => {
      if (handshake && level === 'info') return;
      m?.(level, text);
    };
    reporter.fileList = (...a) => {
      handshake = false;
      bar?.onList?.(...a);
    };
  }
  return { reporter, done: () => bar?.done() };
}

/** Runs one pull of `sources` (all from one daemon) into `dest`. */
export function pullLocations(
  c: CliOptions,
  sources: readonly Location[],
  r: {
    dest: string;
    options: TransferOptions;
    reporter: Reporter;
    signal?: AbortSignal | undefined;
    hooks?: ReceiverHooks | undefined;
  },
): Promise<TransferResult> {
  if (sources.every((l) => l.kind === 'local'))
    return localCopy({
      sources: sources.map((l) => (l as { path: string }).path),
      dest: r.dest,
      options: r.options,
      reporter: r.reporter,
      hooks: r.hooks,
      signal: r.signal,
    });
  if (sources.every((l) => l.kind === 'shell')) {
    const first = sources[0] as Extract<Location, { kind: 'shell' }>;
    for (const l of sources as Extract<Location, { kind: 'shell' }>[])
      if (l.host !== first.host || l.user !== first.user)
        throw new UsageError('all remote sources must be on the same host');
    return pullOverShell({
      target: { host: first.host, user: first.user, rsh: c.rsh, rsyncPath: c.rsyncPath },
      paths: (sources as Extract<Location, { kind: 'shell' }>[]).map((l) => l.path),
      dest: r.dest,
      options: r.options,
      reporter: r.reporter,
      hooks: r.hooks,
      signal: r.signal,
    });
  }
  const src = sameDaemon(sources);
  return pullFromDaemon({
    signal: r.signal,
    target: {
      host: src.host,
      port: c.port ?? src.port ?? 873,
      module: src.module,
      user: src.user,
      password: passwordSource(c.passwordFile),
      shell: c.rsh !== undefined ? { rsh: c.rsh, rsyncPath: c.rsyncPath } : undefined,
    },
    paths: src.paths,
    dest: r.dest,
    options: r.options,
    reporter: r.reporter,
    hooks: r.hooks,
    contimeoutMs: c.contimeout !== undefined && c.contimeout > 0 ? c.contimeout * 1000 : undefined,
  });
}

export async function pull(
  c: CliOptions,
  sources: ReturnType<typeof parseLocation>[],
  dest: string,
  io: ConsoleOutput = stdio,
): Promise<TransferResult> {
  const t = c.transfer;
  const started = Date.now();
  const out = transferOutput(c, io);
  const stop = interruptOnSignals();
  try {
    const res = await pullLocations(c, sources, {
      dest,
      options: t,
      reporter: out.reporter,
      signal: stop.signal,
    });
    out.done();
    if ((t.verbose > 0 || t.stats) && !t.quiet && !t.listOnly) {
      io.out(
        summary(res.stats, {
          stats: t.stats,
          protocol: res.settings?.protocol ?? t.protocol,
          human: c.human,
          elapsedSec: (Date.now() - started) / 1000,
          dryRun: t.dryRun,
        }),
      );
    }
    return res;
  } finally {
    stop.dispose();
    out.done();
  }
}

/** SIGINT/SIGTERM/SIGHUP end the transfer cleanly with rsync's code 20 (temp files removed). */
export function interruptOnSignals(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const h = () => ac.abort(new RsyncError(`received ${sig}, exiting`, 'ERR_RSYNC_SIGNAL', 20));
    process.on(sig, h);
    return [sig, h];
  });
  return {
    signal: ac.signal,
    dispose: () => {
      for (const [sig, h] of handlers) process.off(sig, h);
    },
  };
}
