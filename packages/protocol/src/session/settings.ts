/** What the two ends agreed on during setup (compat.c:setup_protocol()). */
import type { StrongAlgorithm } from '@tsrsync/delta';
import type { CompressName } from '../options/transfer-options.js';

export interface SessionSettings {
  protocol: number;
  /** CF_* bits (0 below protocol 30). */
  compat: number;
  incRecurse: boolean;
  /** use_safe_inc_flist */
  safeFlist: boolean;
  /** xfer_flags_as_varint (CF_VARINT_FLIST_FLAGS) */
  varintFlistFlags: boolean;
  /** CF_ID0_NAMES */
  id0Names: boolean;
  /** proper_seed_order (CF_CHKSUM_SEED_FIX) */
  seedFix: boolean;
  /** CF_INPLACE_PARTIAL_DIR */
  inplacePartialDir: boolean;
  /** The receiver can set symlink times (CF_SYMLINK_TIMES / client 'L'). */
  symlinkTimes: boolean;
  /** Transfer checksum (block sums and whole-file sum). */
  checksum: StrongAlgorithm;
  /** --checksum (file list) checksum. */
  fileChecksum: StrongAlgorithm;
  /** Both were negotiated (vs implied by the protocol or chosen by option). */
  checksumNegotiated: boolean;
  /** Token compression, undefined = none. */
  compress: CompressName | undefined;
  checksumSeed: number;
}
