/**
 * The transfer half of every snapshot, whatever the layout: pre-flight
 * checks, then the pull into ROOT/.tsrsync/staging with earlier snapshots as
 * --link-dest (newest first, at most 20), rename-friendly bases, and
 * copy-on-write for shared inodes. A staging tree left by an interrupted run
 * is resumed: the transfer runs with --delete inside it, so the result is the
 * source as it is now.
 */
import fs from 'node:fs';
import { makeOptions, type TransferOptions, type TransferResult } from '@tsrsync/protocol';
import { SnapshotError } from './errors.js';
import { writeFileAtomic, type Layout } from './layout.js';
import { checkHardLinks, otherDevices } from './preflight.js';
import { RenameIndex } from './rename-index.js';
import type { SnapshotOptions } from './snapshot.js';

/** rsync allows at most 20 --link-dest dirs. */
export const MAX_LINK_DESTS = 20;

interface StagingInfo {
  startedAt: string;
  source: string;
}

export interface Staged {
  res: TransferResult;
  resumed: boolean;
  startedAt: string;
  /** What the transfer's exit code allows: commit or not. */
  accept: boolean;
}

/**
 * Runs the transfer into staging. `bases` are absolute snapshot dirs,
 * newest first. Throws SnapshotError for an empty source (after the
 * transfer, which only touched staging).
 */
export async function stage(
  l: Layout,
  o: SnapshotOptions,
  bases: readonly string[],
  started: Date,
  finish?: (res: TransferResult, staged: Omit<Staged, 'res' | 'accept'>) => Promise<void>,
): Promise<Staged> {
  const note = o.note ?? (() => undefined);
  const t0 = o.transfer ?? makeOptions();
  if (t0.inplace)
    throw new SnapshotError('--inplace cannot be used for snapshots: it would rewrite older snapshots');
  const linkCheck = checkHardLinks(l.meta);
  if (!linkCheck.ok)
    note(
      'warning',
      `WARNING: hard links do not work in ${l.root} (${linkCheck.reason}): ` +
        'every snapshot will be a FULL COPY of the source',
    );
  const resumed = fs.existsSync(l.staging);
  let info: StagingInfo = { startedAt: started.toISOString(), source: o.source.description };
  if (resumed) {
    try {
      info = JSON.parse(fs.readFileSync(l.stagingInfo, 'utf8')) as StagingInfo;
    } catch {
      /* keep the new info */
    }
    note('info', `resuming the snapshot interrupted at ${info.startedAt}`);
  } else {
    fs.mkdirSync(l.staging);
  }
  writeFileAtomic(l.stagingInfo, JSON.stringify(info));
  const far = otherDevices(l.staging, bases);
  if (far.length > 0)
    note('warning', `WARNING: ${far.join(', ')} on another filesystem: files there cannot be linked`);
  const transfer: TransferOptions = {
    ...t0,
    delete: t0.delete ?? 'default',
    deleteExcluded: true,
    altDest: { kind: 'link', dirs: [...bases, ...(t0.altDest?.dirs ?? [])].slice(0, MAX_LINK_DESTS) },
  };
  o.step?.('transfer');
  const res = await o.source.run({
    dest: `${l.staging}/`,
    options: transfer,
    hooks: { basisFinder: new RenameIndex(bases[0]), breakSharedInodes: true },
    reporter: o.reporter ?? {},
    signal: o.signal,
    ...(finish ? { finish: (r: TransferResult) => finish(r, { resumed, startedAt: info.startedAt }) } : {}),
  });
  // with `finish`, the caller judges the result itself (once)
  return { res, resumed, startedAt: info.startedAt, accept: finish ? true : judge(o, res) };
}

/** Whether a finished transfer may become a snapshot; throws for an empty source. */
export function judge(o: SnapshotOptions, res: TransferResult): boolean {
  const note = o.note ?? (() => undefined);
  const t0 = o.transfer ?? makeOptions();
  let accept = res.exitCode === 0 || (res.exitCode === 24 && o.acceptVanished !== false);
  if (!accept)
    note(
      'error',
      `snapshot not committed: the transfer ended with code ${res.exitCode}; the next run resumes it`,
    );
  else if (t0.dryRun) {
    note('info', 'dry run: nothing committed');
    accept = false;
  } else if (res.stats.numFiles <= 1 && !o.allowEmpty) {
    throw new SnapshotError(
      `the source ${o.source.description} sent no files: refusing to make an empty snapshot ` +
        '(an unmounted or emptied source?); use --allow-empty if this is intended',
    );
  }
  return accept;
}

/** After the commit renamed staging away. */
export function clearStagingInfo(l: Layout): void {
  fs.rmSync(l.stagingInfo, { force: true });
}
