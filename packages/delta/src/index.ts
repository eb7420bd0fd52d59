export { DeltaError, type DeltaErrorCode } from './errors.js';
export { checksum1, RollingChecksum } from './rolling-checksum.js';
export {
  createStrongChecksum,
  createStrongChecksumSync,
  initDelta,
  preloadHashBuilds,
  DIGEST_LENGTHS,
  type StrongAlgorithm,
  type ChecksumOptions,
  type StrongChecksum,
  type FileHasher,
} from './strong-checksum.js';
export { Md4, type Md4Options } from './md4-legacy.js';
export {
  sumSizes,
  blockLengthAt,
  BLOCK_SIZE,
  MAX_BLOCK_SIZE,
  OLD_MAX_BLOCK_SIZE,
  type SumSizes,
  type SumSizesOptions,
} from './block-size.js';
export {
  createSignature,
  createSignatureSync,
  basisLength,
  type Signature,
  type SignatureOptions,
} from './signature.js';
export {
  matchBlocks,
  matchBlocksSync,
  CHUNK_SIZE,
  MAX_CHAIN_LEN,
  type DeltaToken,
  type MatchOptions,
} from './match.js';
export { applyDelta, applyDeltaSync, type BasisReader, type PatchOptions } from './patch.js';
