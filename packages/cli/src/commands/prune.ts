/**
 * `tsrsync prune ROOT --keep SPEC`: applies a retention policy to the
 * snapshots of ROOT, as `tsrsync snapshot --keep` does after a run.
 */
import { RetentionError, SnapshotError, prune, type RetentionDecision } from '@tsrsync/snapshot';
import { UsageError, parseArgs } from '../args.js';
import { stdio, type ConsoleOutput } from '../output.js';
import { newSnapshotCli, retentionPolicy, snapshotSpecs } from './snapshot.js';

const USAGE = 'usage: tsrsync prune ROOT --keep SPEC [--tz ZONE] [--dry-run] [--wait[=SECONDS]] [--json]';
const SHARED = new Set(['keep', 'tz', 'time-zone', 'wait', 'json']);

export async function runPrune(argv: readonly string[], io: ConsoleOutput = stdio): Promise<number> {
  const s = newSnapshotCli();
  const args = parseArgs(argv, [
    ...snapshotSpecs(s).filter((o) => SHARED.has(o.long)),
    { long: 'dry-run', short: 'n', set: () => (s.dryRun = true) },
  ]);
  if (args.length !== 1) throw new UsageError(USAGE);
  const keep = retentionPolicy(s);
  if (!keep) throw new UsageError(`--keep SPEC is required (e.g. --keep last=3,daily=7)\n${USAGE}`);
  try {
    const r = await prune(args[0]!, {
      keep,
      timeZone: s.timeZone,
      dryRun: s.dryRun,
      waitSec: s.waitSec,
      note: (_level, text) => io.err(`tsrsync prune: ${text}\n`),
    });
    if (s.json) {
      io.out(`${JSON.stringify({ dryRun: s.dryRun, decisions: r.decisions, pruned: r.pruned }, null, 2)}\n`);
      return 0;
    }
    for (const d of r.decisions) io.out(decisionLine(d));
    const kept = r.decisions.length - r.pruned.length;
    io.out(
      s.dryRun
        ? `dry run: would keep ${kept} and delete ${r.pruned.length} of ${r.decisions.length} snapshots; nothing deleted\n`
        : `kept ${kept}, deleted ${r.pruned.length} of ${r.decisions.length} snapshots\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof RetentionError) throw new UsageError(e.message);
    if (e instanceof SnapshotError) {
      io.err(`tsrsync prune: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

/** `2026-11-22T031500Z  keep    daily 2026-11-22, weekly 2026-W47` */
export function decisionLine(d: RetentionDecision): string {
  return `${d.id}  ${(d.keep ? 'keep' : 'delete').padEnd(6)}  ${d.reasons.join(', ')}`.trimEnd() + '\n';
}
