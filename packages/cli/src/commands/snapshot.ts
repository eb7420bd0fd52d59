/**
 * `tsrsync snapshot [pull options] SRC... ROOT`: one link-dest snapshot of a
 * source into ROOT/<UTC time>, then retention (--keep). See
 * packages/snapshot/src/snapshot.ts for the guarantees.
 */
import {
  RetentionError,
  SnapshotError,
  TimeError,
  parseKeep,
  parseNow,
  snapshot,
  type KeepPolicy,
  type SnapshotResult,
  type SnapshotSource,
} from '@tsrsync/snapshot';
import { UsageError, parseIntArg, type OptSpec } from '../args.js';
import { parseCli, type CliOptions } from '../options.js';
import { stdio, type ConsoleOutput } from '../output.js';
import { parseLocation } from '../remote.js';
import { VERSION } from '../version.js';
import { interruptOnSignals, pullLocations, transferOutput } from './pull.js';

export interface SnapshotCli {
  keep: KeepPolicy | undefined;
  timeZone: string | undefined;
  now: Date | undefined;
  allowEmpty: boolean;
  waitSec: number;
  json: boolean;
  dryRun: boolean;
}

/** Options shared by snapshot and prune. */
export function snapshotSpecs(s: SnapshotCli): OptSpec[] {
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof RetentionError || e instanceof TimeError) throw new UsageError(e.message);
      throw e;
    }
  };
  return [
    { long: 'keep', arg: true, set: (v) => (s.keep = wrap(() => parseKeep(v!))) },
    { long: 'tz', arg: true, set: (v) => (s.timeZone = v) },
    { long: 'time-zone', arg: true, set: (v) => (s.timeZone = v) },
    { long: 'now', arg: true, set: (v) => (s.now = wrap(() => parseNow(v!))) },
    { long: 'allow-empty', set: () => (s.allowEmpty = true) },
    {
      long: 'wait',
      optionalArg: true,
      set: (v) => (s.waitSec = v === undefined ? Infinity : parseIntArg(v, 'wait', 0)),
    },
    { long: 'json', set: () => (s.json = true) },
  ];
}

export function newSnapshotCli(): SnapshotCli {
  return {
    keep: undefined,
    timeZone: undefined,
    now: undefined,
    allowEmpty: false,
    waitSec: 0,
    json: false,
    dryRun: false,
  };
}

/** A pull source for the snapshot engine from the command line's SRC arguments. */
export function cliSource(c: CliOptions, args: readonly string[]): SnapshotSource {
  const locs = args.map(parseLocation);
  if (locs.some((l) => l.kind !== 'daemon'))
    throw new UsageError(
      'tsrsync snapshot needs an rsync daemon source (HOST::MODULE or rsync://HOST/MODULE)',
    );
  return {
    description: args.join(' '),
    run: (r) => pullLocations(c, locs, r),
  };
}

export async function runSnapshot(argv: readonly string[], io: ConsoleOutput = stdio): Promise<number> {
  const s = newSnapshotCli();
  const c = parseCli(argv, undefined, snapshotSpecs(s));
  if (c.args.length < 2) throw new UsageError('usage: tsrsync snapshot [options] SRC... ROOT');
  const root = c.args[c.args.length - 1]!;
  const source = cliSource(c, c.args.slice(0, -1));
  const out = transferOutput(c, io);
  const stop = interruptOnSignals();
  const t = c.transfer;
  try {
    const res = await snapshot({
      root,
      source,
      transfer: t,
      reporter: out.reporter,
      note: (level, text) => {
        if (level === 'info' && t.quiet) return;
        io.err(`tsrsync snapshot: ${text}\n`);
      },
      keep: s.keep,
      timeZone: s.timeZone,
      now: s.now,
      allowEmpty: s.allowEmpty,
      waitSec: s.waitSec,
      signal: stop.signal,
      tool: `tsrsync ${VERSION}`,
      step: crashStep(),
    });
    out.done();
    report(res, s, t.quiet, io);
    return res.exitCode;
  } catch (e) {
    if (e instanceof SnapshotError) {
      io.err(`tsrsync snapshot: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  } finally {
    stop.dispose();
    out.done();
  }
}

function report(res: SnapshotResult, s: SnapshotCli, quiet: boolean, io: ConsoleOutput): void {
  if (s.json) {
    io.out(
      `${JSON.stringify({
        name: res.name,
        committed: res.committed,
        exitCode: res.exitCode,
        resumed: res.resumed,
        manifest: res.manifest,
        pruned: res.pruned,
      })}\n`,
    );
    return;
  }
  if (quiet || !res.committed || !res.manifest) return;
  const m = res.manifest;
  io.out(
    `snapshot ${m.name}: ${m.entries} entries, ${m.transferredFiles} transferred, ` +
      `${m.linkedFiles} linked, ${m.copiedFiles} copied, ${m.bytesReceived} bytes received\n`,
  );
  for (const p of res.pruned) io.out(`pruned ${p}\n`);
}

/**
 * Fault injection for the crash tests: TSRSYNC_TEST_KILL_AT=<step> makes the
 * process kill itself with SIGKILL when it reaches that step.
 */
function crashStep(): ((name: string) => void) | undefined {
  const at = process.env['TSRSYNC_TEST_KILL_AT'];
  if (!at) return undefined;
  return (name) => {
    if (name === at) process.kill(process.pid, 'SIGKILL');
  };
}
