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
