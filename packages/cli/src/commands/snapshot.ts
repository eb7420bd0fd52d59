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
import { runSnapshotJob } from './snapshot-job.js';
import { configJob, layoutJob, runRsnapshotJob } from './snapshot-rsnapshot.js';

export interface SnapshotCli {
  /** --keep as given (a retention policy, or rsnapshot levels with --layout rsnapshot). */
  keepSpec: string | undefined;
  /** --keep as a retention policy (undefined when it is not one: see keepError). */
  keep: KeepPolicy | undefined;
  keepError: string | undefined;
  layout: 'time' | 'rsnapshot';
  level: string | undefined;
  config: string | undefined;
  job: string | undefined;
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
    {
      long: 'keep',
      arg: true,
      set: (v) => {
        s.keepSpec = v;
        s.keep = undefined;
        s.keepError = undefined;
        try {
          s.keep = parseKeep(v!);
        } catch (e) {
          if (!(e instanceof RetentionError)) throw e;
          s.keepError = e.message;
        }
      },
    },
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
    keepSpec: undefined,
    keep: undefined,
    keepError: undefined,
    layout: 'time',
    level: undefined,
    config: undefined,
    job: undefined,
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
  const local = locs.every((l) => l.kind === 'local');
  if (!local && locs.some((l) => l.kind !== 'daemon'))
    throw new UsageError(
      'tsrsync snapshot needs an rsync daemon source (HOST::MODULE or rsync://HOST/MODULE) or local paths',
    );
  return {
    description: args.join(' '),
    run: (r) => pullLocations(c, locs, r),
  };
}

/** The retention policy of --keep, or a usage error saying why it is not one. */
export function retentionPolicy(s: SnapshotCli): KeepPolicy | undefined {
  if (s.keepError !== undefined) throw new UsageError(s.keepError);
  return s.keep;
}

const USAGE = `usage: tsrsync snapshot [options] SRC... ROOT
       tsrsync snapshot --layout rsnapshot --level L --keep L1=N,L2=N,... [options] SRC... ROOT
       tsrsync snapshot --config rsnapshot.conf LEVEL
       tsrsync snapshot --job FILE`;

export async function runSnapshot(argv: readonly string[], io: ConsoleOutput = stdio): Promise<number> {
  const s = newSnapshotCli();
  const c = parseCli(argv, undefined, [
    ...snapshotSpecs(s),
    {
      long: 'layout',
      arg: true,
      set: (v) => {
        if (v !== 'time' && v !== 'rsnapshot')
          throw new UsageError(`--layout must be time or rsnapshot: ${v}`);
        s.layout = v;
      },
    },
    { long: 'level', arg: true, set: (v) => (s.level = v) },
    { long: 'config', arg: true, set: (v) => (s.config = v) },
    { long: 'job', arg: true, set: (v) => (s.job = v) },
  ]);
  if (s.config !== undefined) {
    if (c.args.length !== 1) throw new UsageError(USAGE);
    return runRsnapshotJob(configJob(s.config, c.args[0]!, s), s, io);
  }
  if (s.job !== undefined) {
    if (c.args.length !== 0) throw new UsageError(USAGE);
    return runSnapshotJob(s.job, s, io, c);
  }
  if (s.layout === 'rsnapshot') return runRsnapshotJob(layoutJob(c, s, s.level), s, io);
  if (c.args.length < 2) throw new UsageError(USAGE);
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
      keep: retentionPolicy(s),
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
export function crashStep(): ((name: string) => void) | undefined {
  const at = process.env['TSRSYNC_TEST_KILL_AT'];
  if (!at) return undefined;
  return (name) => {
    if (name === at) process.kill(process.pid, 'SIGKILL');
  };
}
