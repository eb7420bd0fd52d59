/**
 * rsnapshot users: `tsrsync snapshot --layout rsnapshot --level daily
 * --keep daily=7,weekly=4,monthly=3 SRC ROOT`, and
 * `tsrsync snapshot --config /etc/rsnapshot.conf daily` (does what
 * `rsnapshot daily` would, except that nothing rotates unless the new
 * snapshot succeeded).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  RsnapshotConfError,
  SnapshotError,
  multiPointSource,
  parseLevels,
  parseRsnapshotConf,
  rsnapshotRun,
  type Level,
  type RsnapshotConfig,
  type SnapshotPoint,
  type SnapshotResult,
  type SnapshotSource,
} from '@tsrsync/snapshot';
import { UsageError } from '../args.js';
import { parseCli, type CliOptions } from '../options.js';
import type { ConsoleOutput } from '../output.js';
import { VERSION } from '../version.js';
import { interruptOnSignals, transferOutput } from './pull.js';
import { cliSource, crashStep, type SnapshotCli } from './snapshot.js';

interface RsnapshotJob {
  root: string;
  levels: Level[];
  level: string;
  source: SnapshotSource;
  out: CliOptions;
  allowEmpty: boolean;
  preexec?: string | undefined;
  postexec?: string | undefined;
}

/** --layout rsnapshot from the command line. */
export function layoutJob(c: CliOptions, s: SnapshotCli, level: string | undefined): RsnapshotJob {
  if (!level) throw new UsageError('--layout rsnapshot needs --level NAME');
  if (!s.keepSpec)
    throw new UsageError('--layout rsnapshot needs --keep with the levels, e.g. --keep daily=7,weekly=4');
  const levels = usage(() => parseLevels(s.keepSpec!));
  if (c.args.length < 2 && levels[0]?.name === level)
    throw new UsageError('usage: tsrsync snapshot --layout rsnapshot --level L --keep L=N,... SRC... ROOT');
  const root = c.args[c.args.length - 1]!;
  const isLowest = levels[0]?.name === level;
  return {
    root,
    levels,
    level,
    source: isLowest ? cliSource(c, c.args.slice(0, -1)) : noSource,
    out: c,
    allowEmpty: s.allowEmpty,
  };
}

const noSource: SnapshotSource = {
  description: '(none: a higher level only rotates)',
  run: () => Promise.reject(new Error('a higher level transfers nothing')),
};

/** rsnapshot.conf: its backup points become one multi-point source. */
export function configJob(file: string, level: string, s: SnapshotCli): RsnapshotJob {
  let conf: RsnapshotConfig;
  try {
    conf = parseRsnapshotConf(readFileSync(file, 'utf8'), file, (p) => readFileSync(p, 'utf8'));
  } catch (e) {
    if (e instanceof RsnapshotConfError) throw new SnapshotError(e.message);
    throw new SnapshotError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (conf.syncFirst)
    throw new SnapshotError(
      `${file}: sync_first 1 is not supported (every run stages, then rotates on success)`,
    );
  const points: SnapshotPoint[] = [];
  let first: CliOptions | undefined;
  for (const b of conf.backups) {
    const where = `${b.file}:${b.line}`;
    if (b.sourceKind === 'ssh')
      throw new SnapshotError(
        `${where}: ssh sources are not supported yet (use HOST::MODULE, rsync:// or a local path)`,
      );
    const c = usageAt(where, () => parseCli(pointArgs(conf, b.options)));
    first ??= c;
    let dest = b.dest;
    let source = b.source;
    if (b.sourceKind === 'local') {
      // --relative of a local path: the path is repeated under the point (daily.0/localhost/home/...)
      if (c.transfer.relative) {
        c.transfer.relative = false;
        const rel = source.replace(/^\/+/, '').replace(/\/+$/, '');
        if (rel !== '') dest = `${dest}/${rel}`;
      }
      if (!source.endsWith('/')) source += '/';
    }
    points.push({ dest, source: cliSource(c, [source]) });
  }
  return {
    root: conf.snapshotRoot,
    levels: conf.levels,
    level,
    source: multiPointSource(points, { allowEmpty: s.allowEmpty }),
    out: first ?? parseCli([]),
    allowEmpty: s.allowEmpty,
    preexec: conf.preexec,
    postexec: conf.postexec,
  };
}

/** The rsync arguments of one backup point (snapshot-tools.md §2.1: defaults, `+` appends, include/exclude). */
function pointArgs(conf: RsnapshotConfig, opts: Record<string, string>): string[] {
  const pick = (key: string, global: string) => {
    const v = opts[key];
    if (v === undefined) return global;
    return v.startsWith('+') ? `${global} ${v.slice(1)}` : v;
  };
  const words = (s: string) => s.split(/\s+/).filter((w) => w !== '');
  const args = [
    ...words(pick('rsync_short_args', conf.rsyncShortArgs)),
    ...words(pick('rsync_long_args', conf.rsyncLongArgs)),
  ];
  const list = (v: string | undefined) => (v === undefined ? [] : v.split(',').filter((x) => x !== ''));
  args.push(...conf.includes.map((p) => `--include=${p}`), ...conf.excludes.map((p) => `--exclude=${p}`));
  args.push(
    ...conf.includeFiles.map((p) => `--include-from=${p}`),
    ...conf.excludeFiles.map((p) => `--exclude-from=${p}`),
  );
  args.push(
    ...list(opts['include']).map((p) => `--include=${p}`),
    ...list(opts['exclude']).map((p) => `--exclude=${p}`),
  );
  args.push(...list(opts['include_file']).map((p) => `--include-from=${p}`));
  args.push(...list(opts['exclude_file']).map((p) => `--exclude-from=${p}`));
  if (conf.oneFs || opts['one_fs'] === '1') args.push('--one-file-system');
  return args;
}

export async function runRsnapshotJob(j: RsnapshotJob, s: SnapshotCli, io: ConsoleOutput): Promise<number> {
  const t = j.out.transfer;
  if (j.preexec && runHook(j.preexec, io) !== 0) {
    io.err(`tsrsync snapshot: cmd_preexec failed: ${j.preexec}\n`);
    return 1;
  }
  const out = transferOutput(j.out, io);
  const stop = interruptOnSignals();
  let res: SnapshotResult | undefined;
  let code: number;
  try {
    res = await rsnapshotRun({
      root: j.root,
      levels: j.levels,
      level: j.level,
      source: j.source,
      transfer: t,
      reporter: out.reporter,
      note: (level, text) => {
        if (level === 'info' && t.quiet) return;
        io.err(`tsrsync snapshot: ${text}\n`);
      },
      allowEmpty: j.allowEmpty,
      waitSec: s.waitSec,
      now: s.now,
      signal: stop.signal,
      tool: `tsrsync ${VERSION}`,
      step: crashStep(),
    });
    code = res.exitCode;
  } catch (e) {
    if (!(e instanceof SnapshotError)) throw e;
    io.err(`tsrsync snapshot: ${e.message}\n`);
    code = e.exitCode;
  } finally {
    stop.dispose();
    out.done();
  }
  if (res?.committed && !t.quiet && res.manifest) {
    const m = res.manifest;
    io.out(
      `${path.join(j.root, res.name)}: ${m.entries} entries, ${m.transferredFiles} transferred, ` +
        `${m.linkedFiles} linked, ${m.copiedFiles} copied, ${m.bytesReceived} bytes received\n`,
    );
  }
  if (j.postexec && runHook(j.postexec, io) !== 0) {
    io.err(`tsrsync snapshot: cmd_postexec failed: ${j.postexec}\n`);
    return code === 0 ? 1 : code;
  }
  return code;
}

/** cmd_preexec / cmd_postexec: a program with arguments, run without a shell as rsnapshot does. */
function runHook(cmd: string, io: ConsoleOutput): number {
  const [prog, ...args] = cmd.split(/\s+/).filter((w) => w !== '');
  const r = spawnSync(prog!, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.stdout) io.out(r.stdout);
  if (r.stderr) io.err(r.stderr);
  return r.status ?? 1;
}

function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SnapshotError) throw new UsageError(e.message);
    throw e;
  }
}

function usageAt<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UsageError) throw new SnapshotError(`${where}: ${e.message}`);
    throw e;
  }
}
