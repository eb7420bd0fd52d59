/**
 * `tsrsync snapshot --job FILE`: every backup point of a YAML job (see
 * packages/snapshot/src/job.ts) into its own subdirectory of ONE snapshot,
 * between the job's pre and post hooks, then the job's notification.
 * Command-line settings (--keep, --tz, --now, --allow-empty, --wait, --json)
 * override the job's; command-line output options (-v, -i, -q, -n, --stats,
 * --progress...) apply to every point.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { RsyncError, type TransferOptions } from '@tsrsync/protocol';
import {
  JobError,
  MAX_LINK_DESTS,
  SnapshotError,
  jobStatus,
  multiPointSource,
  notify,
  parseJob,
  snapshot,
  type Job,
  type SnapshotResult,
  type SnapshotSource,
} from '@tsrsync/snapshot';
import { UsageError } from '../args.js';
import { parseCli, type CliOptions } from '../options.js';
import { stdio, type ConsoleOutput } from '../output.js';
import { VERSION } from '../version.js';
import { interruptOnSignals, transferOutput } from './pull.js';
import { cliSource, retentionPolicy, type SnapshotCli } from './snapshot.js';

/** Runs the job in `file`; returns the exit status (rsync's codes; 1 for a bad job file or a failed hook). */
export async function runSnapshotJob(
  file: string,
  s: SnapshotCli,
  io: ConsoleOutput = stdio,
  cli?: CliOptions,
): Promise<number> {
  const say = (text: string): void => io.err(`tsrsync snapshot: ${text}\n`);
  const keep = retentionPolicy(s);
  let job: Job;
  let jobCli: CliOptions;
  let points: { dest: string; source: SnapshotSource }[];
  try {
    job = parseJob(readFileSync(file, 'utf8'), file);
    jobCli = jobOptions(job, job.options, job.optionsLine, cli);
    points = job.points.map((p) => {
      const argv = [
        ...job.options,
        ...p.options,
        ...p.include.map((x) => `--include=${x}`),
        ...p.exclude.map((x) => `--exclude=${x}`),
        ...(p.passwordFile === undefined ? [] : [`--password-file=${p.passwordFile}`]),
      ];
      const c = jobOptions(job, argv, p.line, cli);
      let src: SnapshotSource;
      try {
        src = cliSource(c, [p.source]);
      } catch (e) {
        if (e instanceof UsageError) throw new JobError(e.message, job.file, p.line);
        throw e;
      }
      const extra = c.transfer.altDest?.dirs.slice(jobCli.transfer.altDest?.dirs.length ?? 0) ?? [];
      return {
        dest: p.dest,
        source: {
          description: src.description,
          run: (r) => src.run({ ...r, options: pointTransfer(c.transfer, r.options, extra) }),
        },
      };
    });
  } catch (e) {
    if (e instanceof SnapshotError) {
      say(e.message);
      return e.exitCode;
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EACCES') {
      say(`cannot read the job file: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }

  const t = jobCli.transfer;
  const startedAt = new Date();
  const env = { TSRSYNC_JOB: job.name, TSRSYNC_ROOT: job.root };
  const out = transferOutput(jobCli, io);
  const stop = interruptOnSignals();
  let exitCode = 0;
  let res: SnapshotResult | undefined;
  const errors: string[] = [];
  // the transfer's errors go into the notification too (the first 20)
  const shown = out.reporter.message?.bind(out.reporter);
  out.reporter.message = (level, text) => {
    if ((level === 'error' || level === 'error-xfer') && errors.length < 20) errors.push(text.trimEnd());
    shown?.(level, text);
  };
  const fail = (code: number, text: string): void => {
    exitCode = code;
    errors.push(text);
    say(text);
  };
  try {
    const pre = job.hooks.pre === undefined ? 0 : await runHook(job.hooks.pre, env, io);
    if (pre !== 0) fail(1, `pre hook failed (${hookStatus(pre)}): no snapshot taken`);
    else if (stop.signal.aborted) fail(20, 'interrupted: no snapshot taken');
    else {
      try {
        const allowEmpty = s.allowEmpty || job.allowEmpty === true;
        res = await snapshot({
          root: job.root,
          source: multiPointSource(points, { allowEmpty }),
          transfer: t,
          reporter: out.reporter,
          note: (level, text) => {
            if (level === 'error') errors.push(text);
            if (level === 'info' && t.quiet) return;
            say(text);
          },
          keep: keep ?? job.keep,
          timeZone: s.timeZone ?? job.timeZone,
          now: s.now,
          allowEmpty,
          waitSec: s.waitSec !== 0 ? s.waitSec : (job.waitSec ?? 0),
          signal: stop.signal,
          tool: `tsrsync ${VERSION}`,
        });
        exitCode = res.exitCode;
        out.done();
      } catch (e) {
        out.done();
        if (e instanceof SnapshotError || e instanceof RsyncError) fail(e.exitCode, e.message);
        else fail(12, `internal error: ${(e as Error)?.stack ?? String(e)}`);
      }
    }
    if (job.hooks.post !== undefined) {
      const snap = res?.committed ? res.name : '';
      const post = await runHook(
        job.hooks.post,
        { ...env, TSRSYNC_STATUS: String(exitCode), TSRSYNC_SNAPSHOT: snap },
        io,
      );
      if (post !== 0) {
        const text = `post hook failed (${hookStatus(post)})`;
        fail(exitCode === 0 || exitCode === 24 ? 1 : exitCode, text);
      }
    }
  } finally {
    stop.dispose();
    out.done();
  }
  if (res) report(job, res, s, t.quiet, io);
  if (job.notify) {
    const committed = res?.committed ? res.name : undefined;
    const problems = await notify(job.notify, {
      job: job.name,
      status: jobStatus(exitCode),
      exitCode,
      snapshot: committed,
      message: errors.join('\n') || (committed ? `snapshot ${committed} committed` : 'no snapshot committed'),
      startedAt,
      endedAt: new Date(),
    });
    for (const p of problems) say(`warning: ${p}`);
  }
  return exitCode;
}

/** parseCli over a job's options, with `file:line:` on errors and the command line's output options on top. */
function jobOptions(job: Job, argv: string[], line: number, cli: CliOptions | undefined): CliOptions {
  let c: CliOptions;
  try {
    c = parseCli(argv, undefined, []);
  } catch (e) {
    if (e instanceof UsageError) throw new JobError(e.message, job.file, line);
    throw e;
  }
  if (c.args.length > 0) throw new JobError(`unexpected argument '${c.args[0]}' in options`, job.file, line);
  if (c.transfer.inplace)
    throw new JobError(
      '--inplace cannot be used for snapshots: it would rewrite older snapshots',
      job.file,
      line,
    );
  if (cli) {
    const t = c.transfer;
    const o = cli.transfer;
    t.verbose = Math.max(t.verbose, o.verbose);
    t.itemize = Math.max(t.itemize, o.itemize);
    t.quiet ||= o.quiet;
    t.dryRun ||= o.dryRun;
    t.stats ||= o.stats;
    c.progress ||= cli.progress;
    c.noMotd ||= cli.noMotd;
    c.outFormat ??= cli.outFormat;
    c.human = cli.human;
  }
  return c;
}

/**
 * A point's own transfer options, with what the snapshot imposes: --delete
 * inside the point, its link-dest dirs (already suffixed with the point's
 * dest), the job's dry-run.
 */
function pointTransfer(own: TransferOptions, snap: TransferOptions, extraAlt: string[]): TransferOptions {
  const dirs = [...(snap.altDest?.dirs ?? []), ...extraAlt].slice(0, MAX_LINK_DESTS);
  return {
    ...own,
    delete: own.delete ?? 'default',
    deleteExcluded: true,
    dryRun: snap.dryRun,
    altDest: dirs.length > 0 ? { kind: 'link', dirs } : undefined,
  };
}

/** Runs `cmd` through /bin/sh -c, its output to stderr; resolves with the exit code (128+n for signal n). */
function runHook(cmd: string, env: Record<string, string>, io: ConsoleOutput): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', cmd], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => io.err(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => io.err(d));
    child.on('error', (e) => {
      io.err(`tsrsync snapshot: cannot run hook: ${e.message}\n`);
      resolve(127);
    });
    child.on('close', (code, sig) => resolve(code ?? 128 + (sig ? os.constants.signals[sig] : 0)));
  });
}

function hookStatus(code: number): string {
  return code > 128 ? `killed by signal ${code - 128}` : `exit code ${code}`;
}

/** The same summary as `tsrsync snapshot` prints (with the job's name in --json). */
function report(job: Job, res: SnapshotResult, s: SnapshotCli, quiet: boolean, io: ConsoleOutput): void {
  if (s.json) {
    io.out(
      `${JSON.stringify({
        job: job.name,
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
