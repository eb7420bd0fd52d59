/**
 * The record of one snapshot, kept outside its tree in
 * ROOT/.tsrsync/manifests/<name>.json. Times are UTC ISO 8601.
 */
import fs from 'node:fs';
import type { TransferResult } from '@tsrsync/protocol';
import { writeFileAtomic } from './layout.js';

export interface Manifest {
  format: 1;
  name: string;
  source: string;
  startedAt: string;
  endedAt: string;
  /** rsync's exit code of the transfer (0, or 24 when files vanished). */
  exitCode: number;
  /** The run continued a staging tree left by an interrupted run. */
  resumed: boolean;
  /** Earlier snapshots used as --link-dest, newest first. */
  linkDests: string[];
  /** Entries in the file list (files, dirs, symlinks...). */
  entries: number;
  /** Files whose data came over the wire. */
  transferredFiles: number;
  /** Literal bytes received for them (the rest came from basis files). */
  literalBytes: number;
  /** Size of all files in the snapshot. */
  totalSize: number;
  /** Files hard-linked to an earlier snapshot. */
  linkedFiles: number;
  /** Files copied locally with new attributes (content unchanged). */
  copiedFiles: number;
  /** Bytes read from the network. */
  bytesReceived: number;
  tool: string;
  protocol?: number | undefined;
}

export function manifestFrom(
  base: Pick<Manifest, 'name' | 'source' | 'startedAt' | 'resumed' | 'linkDests' | 'tool'>,
  r: TransferResult,
  endedAt: Date,
): Manifest {
  const s = r.stats;
  return {
    format: 1,
    ...base,
    endedAt: endedAt.toISOString(),
    exitCode: r.exitCode,
    entries: s.numFiles,
    transferredFiles: s.xferredFiles,
    literalBytes: s.literalData,
    totalSize: s.totalSize,
    linkedFiles: s.linkedFiles,
    copiedFiles: s.localCopies,
    bytesReceived: s.totalRead,
    protocol: r.settings?.protocol,
  };
}

export function writeManifest(file: string, m: Manifest): void {
  writeFileAtomic(file, `${JSON.stringify(m, null, 2)}\n`);
}

export function readManifest(file: string): Manifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
    return m.format === 1 ? m : undefined;
  } catch {
    return undefined;
  }
}
