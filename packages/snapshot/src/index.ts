export { snapshot, pruneLocked, MAX_LINK_DESTS } from './snapshot.js';
export type {
  SnapshotOptions,
  SnapshotResult,
  SnapshotSource,
  SourceRun,
  NoteLevel,
  PruneOptions,
} from './snapshot.js';
export { SnapshotError } from './errors.js';
export { Layout } from './layout.js';
export type { Manifest } from './manifest.js';
export { readManifest } from './manifest.js';
export { snapshotName, parseSnapshotName, parseNow, formatAge, TimeError } from './time.js';
export { parseKeep, formatKeep, applyRetention, bucketKey, RetentionError } from './retention.js';
export type { KeepPolicy, KeepCount, RetentionDecision, RetentionInput } from './retention.js';
export { acquireLock, lockName } from './lock.js';
export { parseJob, JobError } from './job.js';
export type { Job, JobPoint } from './job.js';
export { notify, jobStatus, mailText, SENDMAIL } from './notify.js';
export type { NotifyConfig, NotifyEvent, NotifyOptions, JobStatus } from './notify.js';
export {
  multiPointSource,
  combineResults,
  worstExitCode,
  destProblem,
  normalizeDest,
  destWithin,
} from './multi-source.js';
export type { SnapshotPoint, MultiPointOptions } from './multi-source.js';
export { listSnapshots, du, resolveSnapshot, openRoot, walkTree } from './browse.js';
export type { SnapshotInfo, SnapshotStatus, DuRow, DuResult, TreeEntry } from './browse.js';
export { diffSnapshots, sameContent } from './diff.js';
export type { DiffResult, DiffEntry, DiffChange, MetadataChange, DiffAttr, EntryType } from './diff.js';
export { restore } from './restore.js';
export type { RestoreOptions, RestoreAction } from './restore.js';
export { prune } from './prune.js';
export type { PruneRunOptions, PruneResult } from './prune.js';
export { rsnapshotRun, parseLevels, slotsInOrder } from './rsnapshot.js';
export type { Level, RsnapshotOptions } from './rsnapshot.js';
export { parseRsnapshotConf, RsnapshotConfError } from './rsnapshot-conf.js';
export type { RsnapshotConfig, RsnapshotBackup, RsnapshotLevel, ConfWarning } from './rsnapshot-conf.js';
export { planLowest, planHigher, RotateRefused } from './rsnapshot-rotate.js';
