/** The file-list codec options a session implies (both directions use the same). */
import { DIGEST_LENGTHS } from '@tsrsync/delta';
import type { TransferOptions } from '../options/transfer-options.js';
import type { SessionSettings } from '../session/settings.js';
import type { FlistOptions } from './file-entry.js';

export function flistOptionsFor(o: TransferOptions, s: SessionSettings): FlistOptions {
  return {
    protocol: s.protocol,
    varintFlistFlags: s.varintFlistFlags,
    safeFlist: s.safeFlist,
    preserveUid: o.owner,
    preserveGid: o.group,
    preserveLinks: o.links,
    preserveDevices: o.devices,
    preserveSpecials: o.specials,
    preserveHardLinks: o.hardLinks,
    alwaysChecksum: o.checksum,
    checksumLength: DIGEST_LENGTHS[s.fileChecksum],
    incRecurse: s.incRecurse,
    numericIds: o.numericIds,
    relativePaths: o.relative,
  };
}
