/**
 * One snapshot run (`tsrsync snapshot SRC ROOT`): lock, recover, transfer into
 * the staging tree with every earlier snapshot as --link-dest, commit by
 * renaming, point `latest` at it, then apply retention. Nothing visible
 * changes unless the transfer succeeded; kill -9 at any moment leaves the
 * complete snapshots as they were and the next run resumes the staging tree.
 */
import fs from 'node:fs';
import {
  makeOptions,
  type Reporter,
  type ReceiverHooks,
  type TransferOptions,
  type TransferResult,
} from '@tsrsync/protocol';
import { SnapshotError } from './errors.js';
import { Layout, fsyncDir } from './layout.js';
import { acquireLock } from './lock.js';
import { manifestFrom, writeManifest, type Manifest } from './manifest.js';
import { recover } from './recover.js';
import { applyRetention, type KeepPolicy, type RetentionDecision } from './retention.js';
import { parseSnapshotName, snapshotName } from './time.js';
import { runJournal } from './journal.js';
import { MAX_LINK_DESTS, clearStagingInfo, judge, stage } from './stage.js';

export { MAX_LINK_DESTS };

/** What a snapshot pulls from: a daemon module, a remote shell, a local tree... */
export interface SnapshotSource {
  /** Shown in messages and kept in the manifest. */
  readonly description: string;
  run(r: SourceRun): Promise<TransferResult>;
}

export interface SourceRun {
  /** The staging directory (ends with '/'). */
  dest: string;
  options: TransferOptions;
  hooks: ReceiverHooks;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  /**
   * A source that can hold the end of its transfer (a daemon receiving a
   * push) calls this once every file is in place: the snapshot is committed
   * before the client is let go. Other sources never call it.
   */
  finish?: ((res: TransferResult) => Promise<void>) | undefined;
}

export type NoteLevel = 'info' | 'warning' | 'error';

export interface SnapshotOptions {
  root: string;
  source: SnapshotSource;
  /** The transfer's options (rsync -a when omitted); --delete is always on inside staging. */
  transfer?: TransferOptions | undefined;
  /** Output of the transfer (-v, -i...). */
  reporter?: Reporter | undefined;
  /** Snapshot-level messages. */
  note?: ((level: NoteLevel, text: string) => void) | undefined;
  keep?: KeepPolicy | undefined;
  timeZone?: string | undefined;
  /** The clock: the snapshot is named for this time (tests, --now). */
  now?: Date | undefined;
  allowEmpty?: boolean | undefined;
  /** Commit when files vanished during the transfer (rsync's 24). Default true. */
  acceptVanished?: boolean | undefined;
  waitSec?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Fault injection for tests: called at each named step. */
  step?: ((name: string) => void) | undefined;
  /** Version string kept in manifests. */
  tool?: string | undefined;
}

export interface SnapshotResult {
  /** Exit status: 0, 24, or the transfer's rsync code. */
  exitCode: number;
  committed: boolean;
  name: string;
  manifest?: Manifest | undefined;
  resumed: boolean;
  transfer?: TransferResult | undefined;
  retention?: RetentionDecision[] | undefined;
  pruned: string[];
}

export async function snapshot(o: SnapshotOptions): Promise<SnapshotResult> {
  const l = new Layout(o.root);
  const note = o.note ?? (() => undefined);
  const step = o.step ?? (() => undefined);
  const t0 = o.transfer ?? makeOptions();
  if (t0.inplace)
    throw new SnapshotError('--inplace cannot be used for snapshots: it would rewrite older snapshots');
  l.ensure();
  const lock = await acquireLock(l.root, `${l.meta}/lock.json`, {
    waitSec: o.waitSec,
    onWait: (who) => note('info', `waiting for the lock on ${l.root} (${who})`),
    signal: o.signal,
  });
  try {
    const rec = recover(l);
    if (rec.journalReplayed) note('warning', 'finished a rotation interrupted by a crash');
    if (rec.latestRepaired) note('warning', `repaired ${l.root}/latest`);
    let started = o.now ?? new Date();
    let name = snapshotName(started);
    const existing = l.list();
    const newest = existing.at(-1);
    if (o.now === undefined && newest === name) {
      // names have whole seconds: a second run in the same second (back-to-back pushes to a
      // daemon) waits for the next one rather than failing
      await new Promise((r) => setTimeout(r, 1001 - started.getUTCMilliseconds()));
      started = new Date();
      name = snapshotName(started);
    }
    if (newest !== undefined && newest >= name)
      throw new SnapshotError(
        `snapshot ${newest} is not older than this run's time ${name} (clock moved back?); refusing`,
      );

    const bases = existing.slice().reverse().slice(0, MAX_LINK_DESTS);
    let result: SnapshotResult | undefined;
    const commit = async (
      res: TransferResult,
      resumed: boolean,
      startedAt: string,
    ): Promise<SnapshotResult> => {
      if (result) return result;
      const r: SnapshotResult = {
        exitCode: res.exitCode,
        committed: false,
        name,
        resumed,
        transfer: res,
        pruned: [],
      };
      result = r;
      if (!judge(o, res)) return r;
      step('commit:manifest');
      const manifest = manifestFrom(
        {
          name,
          source: o.source.description,
          startedAt,
          resumed,
          linkDests: bases,
          tool: o.tool ?? 'tsrsync',
        },
        res,
        new Date(),
      );
      writeManifest(l.manifest(name), manifest);
      step('commit:rename');
      fs.renameSync(l.staging, l.snapshot(name));
      fsyncDir(l.root);
      clearStagingInfo(l);
      step('commit:latest');
      l.setLatest(name);
      r.committed = true;
      r.manifest = manifest;
      if (o.keep) {
        const p = pruneLocked(l, o.keep, { timeZone: o.timeZone, dryRun: false, step });
        r.retention = p.decisions;
        r.pruned = p.pruned;
      }
      return r;
    };
    const staged = await stage(
      l,
      o,
      bases.map((b) => l.snapshot(b)),
      started,
      async (res, st) => {
        await commit(res, st.resumed, st.startedAt);
      },
    );
    const final = result ?? (await commit(staged.res, staged.resumed, staged.startedAt));
    // the exit code is the whole transfer's (an early commit saw the state before the goodbye)
    final.exitCode = staged.res.exitCode;
    final.transfer = staged.res;
    return final;
  } finally {
    await lock.release();
  }
}

export interface PruneOptions {
  timeZone?: string | undefined;
  dryRun?: boolean | undefined;
  step?: ((name: string) => void) | undefined;
}

/** Retention over the complete snapshots of an already locked ROOT. */
export function pruneLocked(
  l: Layout,
  keep: KeepPolicy,
  o: PruneOptions,
): { decisions: RetentionDecision[]; pruned: string[] } {
  const names = l.list();
  const decisions = applyRetention(
    names.map((n) => ({ id: n, time: parseSnapshotName(n)! })),
    keep,
    { timeZone: o.timeZone ?? 'UTC' },
  );
  const doomed = decisions.filter((d) => !d.keep).map((d) => d.id);
  if (!o.dryRun && doomed.length > 0) {
    runJournal(
      l.journal,
      l.root,
      l.trash,
      doomed.map((n) => ({ op: 'delete' as const, name: n })),
      (i) => o.step?.(`prune:${i}`),
    );
    for (const n of doomed) fs.rmSync(l.manifest(n), { force: true });
  }
  return { decisions, pruned: doomed };
}
