/**
 * Binary setup after the arguments (compat.c:setup_protocol(),
 * negotiate_the_strings()): protocol ints (remote shell only), compat flags,
 * checksum / compression name lists, checksum seed. Client and server sides.
 */
import { DIGEST_LENGTHS, type StrongAlgorithm } from '@tsrsync/delta';
import { CF } from '../constants.js';
import { EXIT, ProtocolError, RsyncError } from '../errors.js';
import { PEER_MAX_PROTOCOL, PEER_MIN_PROTOCOL, SUPPORTED_PROTOCOLS } from '../daemon/codec.js';
import type { CompressName, TransferOptions } from '../options/transfer-options.js';
import {
  chooseName,
  compatSettings,
  decodeCompatFlags,
  decodeNameList,
  encodeNameList,
} from '../wire/compat.js';
import type { DataIn } from './data-in.js';
import type { DataOut } from './data-out.js';
import type { SessionSettings } from './settings.js';

/** Checksums in rsync's table order (checksum.c valid_checksums_items); "none" only from a server. */
export const CHECKSUM_NAMES: readonly StrongAlgorithm[] = ['xxh128', 'xxh3', 'xxh64', 'md5', 'md4', 'sha1'];
/** Compressions in rsync's table order (compat.c valid_compressions_items). */
export const COMPRESS_NAMES: readonly CompressName[] = ['zstd', 'lz4', 'zlibx', 'zlib'];

/** The `-e` capability letters we send (options.c:maybe_add_e_option()); 'i' only if we do inc-recurse. */
export function clientInfo(incRecurse: boolean): string {
  return `.${incRecurse ? 'i' : ''}LfxCIvu`;
}

/** The compat bits a server may set given the letters we sent. */
export function advertisedCompat(info: string): number {
  let f = CF.SYMLINK_TIMES | CF.SYMLINK_ICONV;
  if (info.includes('i')) f |= CF.INC_RECURSE;
  if (info.includes('f')) f |= CF.SAFE_FLIST;
  if (info.includes('x')) f |= CF.AVOID_XATTR_OPTIM;
  if (info.includes('C')) f |= CF.CHKSUM_SEED_FIX;
  if (info.includes('I')) f |= CF.INPLACE_PARTIAL_DIR;
  if (info.includes('v')) f |= CF.VARINT_FLIST_FLAGS;
  if (info.includes('u')) f |= CF.ID0_NAMES;
  return f;
}

function unsupported(msg: string): RsyncError {
  return new RsyncError(msg, 'ERR_RSYNC_UNSUPPORTED', EXIT.UNSUPPORTED);
}

export function parseChecksumChoice(s: string): StrongAlgorithm {
  const name = s.split(',')[0]!.toLowerCase();
  const alias = name === 'xxhash' ? 'xxh64' : name;
  if (alias === 'none' || (CHECKSUM_NAMES as readonly string[]).includes(alias))
    return alias as StrongAlgorithm;
  throw new RsyncError(`unknown checksum name: ${s}`, 'ERR_RSYNC_SYNTAX', EXIT.SYNTAX);
}

export interface ClientSetupOptions {
  /** Remote-shell mode: exchange protocol ints first. Daemon mode: the greeting did it. */
  exchangeVersions: boolean;
  /** The protocol from the daemon greeting (daemon mode) or our maximum (remote shell). */
  protocol: number;
  /** The -e letters we sent (empty for protocol < 30). */
  info: string;
  options: TransferOptions;
  /**
   * Server side (compat.c:setup_protocol() with am_server): we write the
   * compat flags (from the client's -e letters) and the checksum seed.
   */
  server?: { allowIncRecurse: boolean; checksumSeed?: number | undefined } | undefined;
}

/** The compat flags a server answers a client's -e letters with (compat.c:setup_protocol()). */
export function serverCompatFlags(info: string, allowIncRecurse: boolean): number {
  let f = (allowIncRecurse && info.includes('i') ? CF.INC_RECURSE : 0) | CF.SYMLINK_TIMES;
  if (info.includes('f')) f |= CF.SAFE_FLIST;
  if (info.includes('x')) f |= CF.AVOID_XATTR_OPTIM;
  if (info.includes('C')) f |= CF.CHKSUM_SEED_FIX;
  if (info.includes('I')) f |= CF.INPLACE_PARTIAL_DIR;
  if (info.includes('u')) f |= CF.ID0_NAMES;
  if (info.includes('v')) f |= CF.VARINT_FLIST_FLAGS;
  return f;
}

/** Client side of setup_protocol() (and, with `server`, the server side). */
export async function clientSetup(
  input: DataIn,
  out: DataOut,
  o: ClientSetupOptions,
): Promise<SessionSettings> {
  let protocol = o.protocol;
  if (o.exchangeVersions) {
    out.w.i32(protocol);
    await out.flush();
    const remote = await input.read((r) => r.i32());
    if (remote < PEER_MIN_PROTOCOL || remote > PEER_MAX_PROTOCOL) {
      throw new ProtocolError(
        `protocol version mismatch -- is your shell clean? (remote protocol ${remote})`,
      );
    }
    protocol = Math.min(protocol, remote);
    if (protocol < SUPPORTED_PROTOCOLS.min) {
      throw new ProtocolError(
        `remote protocol ${remote} is older than the oldest supported (${SUPPORTED_PROTOCOLS.min})`,
      );
    }
  }
  let compat = 0;
  if (protocol >= 30 && o.server) {
    compat = serverCompatFlags(o.info, o.server.allowIncRecurse);
    out.w.varint(compat);
  } else if (protocol >= 30) compat = await input.read((r) => decodeCompatFlags(r, advertisedCompat(o.info)));
  const cs = compatSettings(compat, protocol);
  const negotiate = cs.varintFlistFlags;
  const opts = o.options;

  // checksum
  const choice = opts.checksumChoice;
  let checksum: StrongAlgorithm = protocol >= 30 ? 'md5' : 'md4';
  let fileChecksum: StrongAlgorithm = checksum;
  let checksumNegotiated = false;
  const sendChecksumList = choice === undefined && negotiate;
  // compression
  let compress: CompressName | undefined;
  const wantCompress = opts.compress !== undefined && opts.compress !== 'none';
  const sendCompressList = opts.compress === 'auto' && negotiate;

  if (sendChecksumList) encodeNameList(out.w, CHECKSUM_NAMES);
  if (sendCompressList) encodeNameList(out.w, COMPRESS_NAMES);
  await out.flush();
  if (sendChecksumList) {
    const theirs = await input.read((r) => decodeNameList(r));
    const pick = chooseName(CHECKSUM_NAMES, theirs);
    if (!pick) {
      throw unsupported(
        `Failed to negotiate a checksum choice.\nServer checksum list: ${theirs.join(' ')}\nClient checksum list: ${CHECKSUM_NAMES.join(' ')}`,
      );
    }
    checksum = fileChecksum = pick as StrongAlgorithm;
    checksumNegotiated = true;
  } else if (choice !== undefined) {
    const [x, f] = choice.split(',');
    checksum = parseChecksumChoice(x!);
    fileChecksum = f === undefined ? checksum : parseChecksumChoice(f);
    if (protocol < 30 && (checksum !== 'md4' || fileChecksum !== 'md4')) {
      throw unsupported(`--checksum-choice=${choice} needs protocol 30 or newer (negotiated ${protocol})`);
    }
  }
  if (sendCompressList) {
    const theirs = await input.read((r) => decodeNameList(r));
    const pick = chooseName(COMPRESS_NAMES, theirs);
    if (!pick) {
      throw unsupported(
        `Failed to negotiate a compress choice.\nServer compress list: ${theirs.join(' ')}\nClient compress list: ${COMPRESS_NAMES.join(' ')}`,
      );
    }
    compress = pick as CompressName;
  } else if (wantCompress) {
    compress = opts.compress === 'auto' ? 'zlib' : (opts.compress as CompressName);
  }
  if (compress !== undefined && compress !== 'zlib' && compress !== 'zlibx' && protocol < 30 && !negotiate) {
    throw unsupported(`--compress-choice=${compress} needs a peer that negotiates (rsync 3.2+)`);
  }
  let checksumSeed: number;
  if (o.server) {
    checksumSeed = o.server.checksumSeed ?? ((Date.now() / 1000) ^ (process.pid << 6)) | 0;
    out.w.i32(checksumSeed);
    await out.flush();
  } else checksumSeed = await input.read((r) => r.i32());
  if (DIGEST_LENGTHS[checksum] === undefined) throw unsupported(`unsupported checksum ${checksum}`);
  return {
    protocol,
    compat,
    incRecurse: cs.incRecurse,
    safeFlist: cs.safeFlist,
    varintFlistFlags: cs.varintFlistFlags,
    id0Names: cs.id0Names,
    seedFix: cs.chksumSeedFix,
    inplacePartialDir: cs.inplacePartialDir,
    symlinkTimes: true,
    checksum,
    fileChecksum,
    checksumNegotiated,
    compress,
    checksumSeed,
  };
}
