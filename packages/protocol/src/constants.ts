/**
 * Protocol constants mirroring rsync.h / io.h / errcode.h (protocols 27-32).
 * Names keep rsync's spelling without the common prefix.
 */

/** Protocol versions we speak. */
export const PROTOCOL = {
  MIN: 27,
  MAX: 32,
  CURRENT: 32,
} as const;

/** Multiplexed message tags (rsync.h enum msgcode). The frame header carries tag + MPLEX_BASE. */
export const MSG = {
  DATA: 0,
  ERROR_XFER: 1,
  INFO: 2,
  ERROR: 3,
  WARNING: 4,
  ERROR_SOCKET: 5,
  LOG: 6,
  CLIENT: 7,
  ERROR_UTF8: 8,
  REDO: 9,
  STATS: 10,
  IO_ERROR: 22,
  IO_TIMEOUT: 33,
  NOOP: 42,
  ERROR_EXIT: 86,
  SUCCESS: 100,
  DELETED: 101,
  NO_SEND: 102,
} as const;
export type MsgTag = (typeof MSG)[keyof typeof MSG];

/** Added to the tag in the high byte of a frame header. */
export const MPLEX_BASE = 7;

/** File-list XMIT flags (rsync.h). Some bits mean different things per protocol. */
export const XMIT = {
  TOP_DIR: 1 << 0,
  SAME_MODE: 1 << 1,
  /** proto >= 28: a second flags byte follows */
  EXTENDED_FLAGS: 1 << 2,
  /** proto 27 only: rdev equals the previous entry's */
  SAME_RDEV_PRE28: 1 << 2,
  SAME_UID: 1 << 3,
  SAME_GID: 1 << 4,
  SAME_NAME: 1 << 5,
  LONG_NAME: 1 << 6,
  SAME_TIME: 1 << 7,
  /** devices, proto >= 28 */
  SAME_RDEV_MAJOR: 1 << 8,
  /** directories, proto >= 30 */
  NO_CONTENT_DIR: 1 << 8,
  /** non-directories, proto >= 28 */
  HLINKED: 1 << 9,
  /** proto 28-29 */
  SAME_DEV_PRE30: 1 << 10,
  /** proto >= 30 */
  USER_NAME_FOLLOWS: 1 << 10,
  /** proto 28-29 */
  RDEV_MINOR_8_PRE30: 1 << 11,
  /** proto >= 30 */
  GROUP_NAME_FOLLOWS: 1 << 11,
  /** proto >= 30, with HLINKED */
  HLINK_FIRST: 1 << 12,
  /** end-of-list marker only */
  IO_ERROR_ENDLIST: 1 << 12,
  /** proto >= 31 */
  MOD_NSEC: 1 << 13,
  /** --atimes */
  SAME_ATIME: 1 << 14,
  /** varint flags only */
  RESERVED_16: 1 << 16,
  /** varint flags only */
  CRTIME_EQ_MTIME: 1 << 17,
} as const;

/** Per-file request iflags (rsync.h ITEM_*). Only the low 16 bits go on the wire. */
export const ITEM = {
  REPORT_ATIME: 1 << 0,
  REPORT_CHANGE: 1 << 1,
  REPORT_SIZE: 1 << 2,
  REPORT_TIMEFAIL: 1 << 2,
  REPORT_TIME: 1 << 3,
  REPORT_PERMS: 1 << 4,
  REPORT_OWNER: 1 << 5,
  REPORT_GROUP: 1 << 6,
  REPORT_ACL: 1 << 7,
  REPORT_XATTR: 1 << 8,
  REPORT_CRTIME: 1 << 10,
  BASIS_TYPE_FOLLOWS: 1 << 11,
  XNAME_FOLLOWS: 1 << 12,
  IS_NEW: 1 << 13,
  LOCAL_CHANGE: 1 << 14,
  TRANSFER: 1 << 15,
  /* internal only, never on the wire */
  MISSING_DATA: 1 << 16,
  DELETED: 1 << 17,
  MATCHED: 1 << 18,
} as const;

/** iflags that count as "significant" for itemizing (rsync.h SIGNIFICANT_ITEM_FLAGS). */
export const SIGNIFICANT_ITEM_FLAGS =
  ~(ITEM.BASIS_TYPE_FOLLOWS | ITEM.XNAME_FOLLOWS | ITEM.LOCAL_CHANGE) & 0xffff;

/** Basis file types (fnamecmp_type byte, rsync.h FNAMECMP_*). 0x00-0x7F = basis_dir[n]. */
export const FNAMECMP = {
  BASIS_DIR_LOW: 0x00,
  BASIS_DIR_HIGH: 0x7f,
  FNAME: 0x80,
  PARTIAL_DIR: 0x81,
  BACKUP: 0x82,
  FUZZY: 0x83,
} as const;

/** Special file indexes (rsync.h NDX_*). */
export const NDX_DONE = -1;
export const NDX_FLIST_EOF = -2;
export const NDX_DEL_STATS = -3;
export const NDX_FLIST_OFFSET = -101;
export const NDX = {
  DONE: NDX_DONE,
  FLIST_EOF: NDX_FLIST_EOF,
  DEL_STATS: NDX_DEL_STATS,
  FLIST_OFFSET: NDX_FLIST_OFFSET,
} as const;

/** Compatibility flags written by the server for proto >= 30 (compat.c CF_*). */
export const CF = {
  INC_RECURSE: 1 << 0,
  SYMLINK_TIMES: 1 << 1,
  SYMLINK_ICONV: 1 << 2,
  SAFE_FLIST: 1 << 3,
  AVOID_XATTR_OPTIM: 1 << 4,
  CHKSUM_SEED_FIX: 1 << 5,
  INPLACE_PARTIAL_DIR: 1 << 6,
  VARINT_FLIST_FLAGS: 1 << 7,
  ID0_NAMES: 1 << 8,
} as const;
export const CF_INC_RECURSE = CF.INC_RECURSE;
export const CF_SYMLINK_TIMES = CF.SYMLINK_TIMES;
export const CF_SYMLINK_ICONV = CF.SYMLINK_ICONV;
export const CF_SAFE_FLIST = CF.SAFE_FLIST;
export const CF_AVOID_XATTR_OPTIM = CF.AVOID_XATTR_OPTIM;
export const CF_CHKSUM_SEED_FIX = CF.CHKSUM_SEED_FIX;
export const CF_INPLACE_PARTIAL_DIR = CF.INPLACE_PARTIAL_DIR;
export const CF_VARINT_FLIST_FLAGS = CF.VARINT_FLIST_FLAGS;
export const CF_ID0_NAMES = CF.ID0_NAMES;
/** Every compat bit we know about. */
export const CF_ALL = 0x1ff;

/** io_error bits (rsync.h IOERR_*). Receivers mask with IOERR_MASK. */
export const IOERR = {
  GENERAL: 1 << 0,
  VANISHED: 1 << 1,
  DEL_LIMIT: 1 << 2,
} as const;
export const IOERR_MASK = 0x7;

/** Unix file type bits as sent on the wire (rsync uses the standard Linux values). */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

/** Sizes and limits. */
export const LIMITS = {
  /** Largest block length a proto >= 30 peer accepts. */
  MAX_BLOCK_SIZE: 1 << 17,
  /** Largest block length before proto 30. */
  OLD_MAX_BLOCK_SIZE: 1 << 29,
  BLOCK_SIZE: 700,
  /** Literal data chunk size used by the sender. */
  CHUNK_SIZE: 32 * 1024,
  /** Largest path (Linux). */
  MAXPATHLEN: 4096,
  /** MAXPATHLEN + 1024: bound on non-data mux messages. */
  BIGPATHBUFLEN: 4096 + 1024,
  /** Largest strong checksum (SHA-1 would be 20; rsync's MAX_DIGEST_LEN is 64). */
  MAX_DIGEST_LEN: 64,
  /** Largest MSG_* frame payload (24-bit length). */
  MAX_FRAME_PAYLOAD: 0xffffff,
  /** Largest nanoseconds value (MAX_WIRE_NSEC). */
  MAX_WIRE_NSEC: 999_999_999,
  /** Longest uid/gid name (one length byte). */
  MAX_ID_NAME: 255,
  /** Largest vstring. */
  MAX_VSTRING: 0x7fff,
  /** Bound on the number of blocks in one sum_head (rsync: limited by max-alloc). */
  MAX_BLOCK_COUNT: 1 << 24,
  /** Bound on one plain literal token (we accept up to 16 MiB, rsync sends <= 32 KiB). */
  MAX_LITERAL_TOKEN: 16 * 1024 * 1024,
  /** Largest number of entries we accept in one file list. */
  MAX_FLIST_ENTRIES: 1 << 26,
  /** Bound on id-list entries. */
  MAX_ID_LIST: 1 << 20,
} as const;
export const MAX_BLOCK_SIZE = LIMITS.MAX_BLOCK_SIZE;
export const OLD_MAX_BLOCK_SIZE = LIMITS.OLD_MAX_BLOCK_SIZE;
export const CHUNK_SIZE = LIMITS.CHUNK_SIZE;
export const MAXPATHLEN = LIMITS.MAXPATHLEN;
export const BIGPATHBUFLEN = LIMITS.BIGPATHBUFLEN;
