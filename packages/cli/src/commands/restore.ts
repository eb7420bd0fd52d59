/**
 * `tsrsync restore ROOT[/SNAPSHOT] PATH --to DEST`: copies PATH out of a
 * snapshot (the newest unless ROOT/SNAPSHOT names one) into DEST.
 */
import path from 'node:path';
import {
  SnapshotError,
  openRoot,
  parseSnapshotName,
  resolveSnapshot,
  restore,
  type RestoreAction,
} from '@tsrsync/snapshot';
import { UsageError, parseArgs } from '../args.js';
import { stdio, type ConsoleOutput } from '../output.js';
import { humanSize } from './snapshots.js';

const USAGE = 'usage: tsrsync restore ROOT[/SNAPSHOT] PATH --to DEST [--dry-run] [--overwrite] [--json]';

/** ROOT/SNAPSHOT when the last component is a snapshot name (or `latest`), else ROOT. */
export function splitRootArg(arg: string): { root: string; snapshot: string | undefined } {
  const trimmed = arg.replace(/\/+$/, '');
  const base = path.basename(trimmed);
  if (trimmed !== '' && (parseSnapshotName(base) !== undefined || base === 'latest'))
    return { root: path.dirname(trimmed), snapshot: base };
  return { root: arg, snapshot: undefined };
}

export async function runRestore(argv: readonly string[], io: ConsoleOutput = stdio): Promise<number> {
  let to: string | undefined;
  let dryRun = false;
  let overwrite = false;
  let json = false;
  const args = parseArgs(argv, [
    { long: 'to', arg: true, set: (v) => (to = v) },
    { long: 'dry-run', short: 'n', set: () => (dryRun = true) },
    { long: 'overwrite', set: () => (overwrite = true) },
    { long: 'json', set: () => (json = true) },
  ]);
  if (args.length !== 2 || to === undefined) throw new UsageError(USAGE);
  const { root, snapshot } = splitRootArg(args[0]!);
  try {
    const name = resolveSnapshot(openRoot(root), snapshot);
    const actions = restore(root, { snapshot: name, path: args[1]!, to, dryRun, overwrite });
    if (json) {
      io.out(`${JSON.stringify({ snapshot: name, dryRun, actions }, null, 2)}\n`);
      return 0;
    }
    for (const a of actions) io.out(actionLine(a));
    const copied = actions.filter((a) => a.op === 'copy');
    const bytes = copied.reduce((n, a) => n + (a.size ?? 0), 0);
    const skipped = actions.filter((a) => a.op === 'skip').length;
    io.out(
      `${dryRun ? 'dry run: would restore' : 'restored'} ${actions.length - skipped} entries ` +
        `(${copied.length} files, ${humanSize(bytes)}) from ${name} to ${path.resolve(to)}` +
        `${skipped > 0 ? `; ${skipped} skipped` : ''}\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof SnapshotError) {
      io.err(`tsrsync restore: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

function actionLine(a: RestoreAction): string {
  const tail =
    a.op === 'symlink'
      ? ` -> ${a.target}`
      : a.op === 'link'
        ? ` => ${a.target}`
        : a.op === 'skip'
          ? ` (${a.note})`
          : '';
  return `${a.op.padEnd(7)} ${a.to}${a.op === 'mkdir' ? '/' : ''}${tail}${a.replace ? (a.op === 'mkdir' ? ' (exists)' : ' (replaced)') : ''}\n`;
}
