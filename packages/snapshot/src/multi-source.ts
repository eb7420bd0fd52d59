/**
 * Several backup points in one snapshot (rsnapshot's `backup SRC DEST/`
 * lines): each point is pulled into its own subdirectory `<staging>/<dest>/`,
 * in order, and links against the same subdirectory of the earlier snapshots.
 * A point's --delete works inside its own directory only, so no point can
 * delete another's files; entries of the staging tree that belong to no point
 * (left by an earlier, interrupted run of a different job) are removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RsyncError, TransferStats, type TransferResult } from '@tsrsync/protocol';
import { SnapshotError } from './errors.js';
import type { SnapshotSource, SourceRun } from './snapshot.js';

export interface SnapshotPoint {
  /** Relative directory inside the snapshot ('websites', 'hosts/db'). */
  dest: string;
  source: SnapshotSource;
}

export interface MultiPointOptions {
  /** Accept a point that sent no files (an unmounted or emptied source otherwise). */
  allowEmpty?: boolean | undefined;
}

/** Why `dest` cannot be a point's directory, or undefined when it can. Use after normalizeDest. */
export function destProblem(dest: string): string | undefined {
  if (dest === '') return 'must not be empty';
  if (dest.startsWith('/')) return 'must be relative to the snapshot, not absolute';
  if (dest.includes('\0')) return 'must not contain a NUL byte';
  for (const seg of dest.split('/')) {
    if (seg === '..') return "must not contain '..'";
    if (seg === '' || seg === '.') return "must not contain empty or '.' components";
  }
  return undefined;
}

/** Strips trailing slashes ('websites/' → 'websites'). */
export function normalizeDest(dest: string): string {
  return dest.length > 1 ? dest.replace(/\/+$/, '') : dest;
}

/** True when directory `a` is `b` or lies inside it. */
export function destWithin(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`);
}

/** rsync's precedence: a fatal code (not 0/23/24) wins (the first one), then 23, then 24, then 0. */
export function worstExitCode(codes: readonly number[]): number {
  const fatal = codes.find((c) => c !== 0 && c !== 23 && c !== 24);
  if (fatal !== undefined) return fatal;
  if (codes.includes(23)) return 23;
  if (codes.includes(24)) return 24;
  return 0;
}

/** The results of the points as one: worst exit code, stats summed, settings of the first. */
export function combineResults(results: readonly TransferResult[]): TransferResult {
  const stats = new TransferStats();
  const sum = stats as unknown as Record<string, number>;
  for (const r of results) {
    for (const [k, v] of Object.entries(r.stats)) if (typeof v === 'number') sum[k] = (sum[k] ?? 0) + v;
  }
  return {
    exitCode: worstExitCode(results.map((r) => r.exitCode)),
    stats,
    settings: results[0]?.settings,
  };
}

function checkPoints(points: readonly SnapshotPoint[]): string[] {
  if (points.length === 0) throw new SnapshotError('a snapshot needs at least one backup point');
  const dests = points.map((p) => normalizeDest(p.dest));
  dests.forEach((d, i) => {
    const bad = destProblem(d);
    if (bad) throw new SnapshotError(`backup point dest '${points[i]!.dest}' ${bad}`);
    for (const e of dests.slice(0, i)) {
      if (destWithin(d, e) || destWithin(e, d))
        throw new SnapshotError(`backup point dests '${e}' and '${d}' overlap`);
    }
  });
  return dests;
}

/** Removes what lies on no point's path: `a/x` goes when the points are `a/b` and `c`. */
function removeStrays(root: string, dests: readonly string[], prefix = ''): void {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(root, prefix));
  } catch {
    return;
  }
  for (const n of names) {
    const rel = prefix === '' ? n : `${prefix}/${n}`;
    const full = path.join(root, rel);
    if (dests.includes(rel)) {
      if (!fs.lstatSync(full).isDirectory()) fs.rmSync(full, { force: true });
      continue;
    }
    if (dests.some((d) => destWithin(d, rel)) && fs.lstatSync(full).isDirectory())
      removeStrays(root, dests, rel);
    else fs.rmSync(full, { recursive: true, force: true });
  }
}

function suffixAltDirs(r: SourceRun, dest: string): SourceRun['options'] {
  const alt = r.options.altDest;
  if (!alt) return r.options;
  return {
    ...r.options,
    altDest: { ...alt, dirs: alt.dirs.map((d) => `${d.replace(/\/+$/, '')}/${dest}`) },
  };
}

/** A source that runs every point, in order, into its own subdirectory of the staging tree. */
export function multiPointSource(
  points: readonly SnapshotPoint[],
  o: MultiPointOptions = {},
): SnapshotSource {
  const dests = checkPoints(points);
  return {
    description: points.map((p, i) => `${p.source.description} -> ${dests[i]}/`).join(', '),
    async run(r: SourceRun): Promise<TransferResult> {
      const root = r.dest.replace(/\/+$/, '');
      if (!r.options.dryRun) removeStrays(root, dests);
      const results: TransferResult[] = [];
      const empty: string[] = [];
      for (const [i, p] of points.entries()) {
        if (r.signal?.aborted) {
          // the points not run yet must keep this snapshot from being committed
          const reason = r.signal.reason as unknown;
          const code = reason instanceof RsyncError ? reason.exitCode : 20;
          results.push({ exitCode: code, stats: new TransferStats(), settings: undefined });
          break;
        }
        const dest = dests[i]!;
        const dir = path.join(root, dest);
        fs.mkdirSync(dir, { recursive: true });
        let res: TransferResult;
        try {
          res = await p.source.run({ ...r, dest: `${dir}/`, options: suffixAltDirs(r, dest) });
        } catch (e) {
          if (!(e instanceof RsyncError)) throw e;
          r.reporter.message?.('error', `${dest}/: ${e.message.replace(/\n$/, '')}\n`);
          res = { exitCode: e.exitCode, stats: new TransferStats(), settings: undefined };
        }
        results.push(res);
        if ((res.exitCode === 0 || res.exitCode === 24) && res.stats.numFiles <= 1) empty.push(dest);
      }
      const all = combineResults(results);
      const committable = all.exitCode === 0 || all.exitCode === 24;
      if (committable && !r.options.dryRun && !o.allowEmpty && empty.length > 0) {
        throw new SnapshotError(
          `backup point${empty.length > 1 ? 's' : ''} ${empty.map((d) => `${d}/`).join(', ')} ` +
            'received no files: refusing to make a snapshot with an empty point ' +
            '(an unmounted or emptied source?); use --allow-empty if this is intended',
        );
      }
      return all;
    },
  };
}
