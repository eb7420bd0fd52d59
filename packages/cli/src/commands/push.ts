/** `tsrsync push [options] SRC... DEST`: rsync -a SRC... HOST::MODULE[/PATH] (a push to an rsync daemon). */
import { passwordSource, pushOverShell, pushToDaemon, type TransferResult } from '@tsrsync/protocol';
import { UsageError } from '../args.js';
import { parseCli, type CliOptions } from '../options.js';
import { summary, type ConsoleOutput, stdio } from '../output.js';
import { parseLocation, type Location } from '../remote.js';
import { interruptOnSignals, pull, transferOutput } from './pull.js';

export async function runPush(argv: readonly string[], io: ConsoleOutput = stdio): Promise<number> {
  const c = parseCli(argv);
  if (c.args.length < 2) throw new UsageError('usage: tsrsync push [options] SRC... DEST');
  const res = await push(c, c.args.slice(0, -1), c.args[c.args.length - 1]!, io);
  return res.exitCode;
}

export async function push(
  c: CliOptions,
  sources: readonly string[],
  destArg: string,
  io: ConsoleOutput = stdio,
): Promise<TransferResult> {
  const dest = parseLocation(destArg);
  if (dest.kind === 'local') return pull(c, sources.map(parseLocation), destArg, io);
  if (dest.kind === 'shell') return pushShell(c, sources, dest, io);
  if (dest.kind !== 'daemon')
    throw new UsageError(
      'tsrsync push needs a daemon destination (HOST::MODULE[/PATH] or rsync://HOST/MODULE[/PATH])',
    );
  for (const s of sources)
    if (parseLocation(s).kind !== 'local') throw new UsageError(`push sources must be local paths: ${s}`);
  if (dest.module === '') throw new UsageError('push needs a module name in the destination');
  const t = c.transfer;
  const started = Date.now();
  const out = transferOutput(c, io);
  const stop = interruptOnSignals();
  try {
    const res = await pushToDaemon({
      signal: stop.signal,
      target: {
        host: dest.host,
        port: c.port ?? dest.port ?? 873,
        module: dest.module,
        user: dest.user,
        password: passwordSource(c.passwordFile),
        shell: c.rsh !== undefined ? { rsh: c.rsh, rsyncPath: c.rsyncPath } : undefined,
      },
      sources,
      destPath: dest.path,
      options: t,
      reporter: out.reporter,
      contimeoutMs: c.contimeout !== undefined && c.contimeout > 0 ? c.contimeout * 1000 : undefined,
    });
    out.done();
    if ((t.verbose > 0 || t.stats) && !t.quiet) {
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

async function pushShell(
  c: CliOptions,
  sources: readonly string[],
  dest: Extract<Location, { kind: 'shell' }>,
  io: ConsoleOutput,
): Promise<TransferResult> {
  const t = c.transfer;
  const started = Date.now();
  const out = transferOutput(c, io);
  const stop = interruptOnSignals();
  try {
    const res = await pushOverShell({
      target: { host: dest.host, user: dest.user, rsh: c.rsh, rsyncPath: c.rsyncPath },
      sources,
      destPath: dest.path,
      options: t,
      reporter: out.reporter,
      signal: stop.signal,
    });
    out.done();
    if ((t.verbose > 0 || t.stats) && !t.quiet)
      io.out(
        summary(res.stats, {
          stats: t.stats,
          protocol: res.settings?.protocol ?? t.protocol,
          human: c.human,
          elapsedSec: (Date.now() - started) / 1000,
          dryRun: t.dryRun,
        }),
      );
    return res;
  } finally {
    stop.dispose();
    out.done();
  }
}
