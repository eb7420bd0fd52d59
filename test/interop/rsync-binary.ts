/**
 * Locates the real rsync binaries used by the interop tests.
 *
 * Interop tests must FAIL (not skip) when a binary is missing, so every
 * lookup throws with a message that says where the binary was expected.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (two levels above test/interop). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export type RsyncVersion = '3.5.0' | '3.2.7';

export interface RsyncBinary {
  version: RsyncVersion;
  path: string;
}

const LOCATIONS: Record<RsyncVersion, string> = {
  '3.5.0': process.env['TSRSYNC_RSYNC_350'] ?? '/usr/bin/rsync',
  '3.2.7': process.env['TSRSYNC_RSYNC_327'] ?? path.join(REPO_ROOT, '.cache/rsync-3.2.7/usr/bin/rsync'),
};

/** Path of the real rsync binary for `version`; throws if it is not executable. */
export function rsyncBinary(version: RsyncVersion = '3.5.0'): string {
  const p = LOCATIONS[version];
  try {
    accessSync(p, constants.X_OK);
  } catch (err) {
    throw new Error(
      `real rsync ${version} not found or not executable at ${p} ` +
        `(interop tests need it; set TSRSYNC_RSYNC_${version.replace(/\./g, '')} to override)`,
      { cause: err },
    );
  }
  return p;
}

/** All interop binaries (for `describe.each`). Throws if any is missing. */
export function allRsyncBinaries(): RsyncBinary[] {
  return (Object.keys(LOCATIONS) as RsyncVersion[]).map((version) => ({
    version,
    path: rsyncBinary(version),
  }));
}

/** Versions known to the harness, without checking they exist (for test names). */
export const RSYNC_VERSIONS: readonly RsyncVersion[] = ['3.5.0', '3.2.7'];
