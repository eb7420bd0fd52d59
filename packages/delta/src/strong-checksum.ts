/**
 * Strong (per-block and whole-file) checksums with rsync's seeding rules.
 * Seed placement follows checksum.c:get_checksum2(), sum_init() and sum_end():
 *
 * | case                              | block                         | whole file                  |
 * |-----------------------------------|-------------------------------|-----------------------------|
 * | md4, protocol < 27 (busted)       | MD4*(block ‖ seed) if seed≠0  | MD4*(le32(seed) ‖ data)     |
 * | md4, protocol 27–29 (old)         | MD4(block ‖ seed) if seed≠0   | MD4(le32(seed) ‖ data)      |
 * | md4, protocol ≥ 30 (negotiated)   | MD4(block ‖ seed) if seed≠0   | MD4(data)                   |
 * | md5                               | MD5(seed ‖ block) (seedFirst) or MD5(block ‖ seed); no seed when 0 | MD5(data) |
 * | xxh64 / xxh3 / xxh128             | XXH(block, sign-extended seed), little-endian | XXH(data, 0) |
 * | sha1                              | SHA1(seed ‖ block) if seed≠0  | SHA1(data)                  |
 * | none                              | single 0 byte                 | single 0 byte               |
 *
 * MD4* is rsync's lib/mdfour.c with the "missing tail block" bug and a 32-bit
 * bit count (see md4-legacy.ts). Note that for the pre-30 MD4 variants the
 * whole-file sum always starts with the 4 seed bytes, even when the seed is 0
 * (checksum.c:sum_init() feeds them unconditionally).
 *
 * Libraries: hash-wasm (MD4, MD5, XXH64, XXH3, XXH128), node:crypto (whole-file
 * MD5, SHA1), md4-legacy.ts (protocol < 27). See bench/README.md for figures.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { IHasher } from 'hash-wasm';
import { DeltaError } from './errors.js';
import { Md4 } from './md4-legacy.js';

export type StrongAlgorithm = 'md4' | 'md5' | 'xxh64' | 'xxh3' | 'xxh128' | 'sha1' | 'none';

export interface ChecksumOptions {
  algorithm: StrongAlgorithm;
  /** checksum_seed (int32 as received; 0 = no seed for md4/md5/sha1). */
  seed: number;
  /** Negotiated protocol version (md4 variants: <21 archaic, 21–26 busted, 27–29 old, ≥30 negotiated). */
  protocol: number;
  /** CF_CHKSUM_SEED_FIX / proper_seed_order: md5 seed before the block. Default true. */
  md5SeedFirst?: boolean;
}

export interface FileHasher {
  update(data: Uint8Array): void;
  /** Finishes the digest; the hasher must not be used afterwards. Returns a fresh array. */
  digest(): Uint8Array;
}

export interface StrongChecksum {
  readonly algorithm: StrongAlgorithm;
  readonly digestLength: number;
  /**
   * Seeded per-block digest, full digestLength bytes (caller truncates to s2Length).
   * The returned array is a buffer owned by this StrongChecksum and is overwritten
   * by the next blockSum() call: copy it if you keep it.
   */
  blockSum(data: Uint8Array): Uint8Array;
  /** Whole-file digest with rsync's whole-file seed rules. Hashers are independent. */
  fileHasher(): FileHasher;
}

export const DIGEST_LENGTHS: Readonly<Record<StrongAlgorithm, number>> = {
  md4: 16,
  md5: 16,
  xxh64: 8,
  xxh3: 8,
  xxh128: 16,
  sha1: 20,
  none: 1,
};

type WasmAlg = 'md4' | 'md5' | 'xxh64' | 'xxh3' | 'xxh128';

/**
 * hash-wasm's per-algorithm builds, loaded on first use: its combined bundle
 * carries every algorithm's wasm and costs ~0.1 s at start-up.
 */
const require = createRequire(import.meta.url);
type Factory = (seedLow?: number, seedHigh?: number) => Promise<IHasher>;
const BUILDS: Record<WasmAlg, [string, string]> = {
  md4: ['md4', 'createMD4'],
  md5: ['md5', 'createMD5'],
  xxh64: ['xxhash64', 'createXXHash64'],
  xxh3: ['xxhash3', 'createXXHash3'],
  xxh128: ['xxhash128', 'createXXHash128'],
};

function createWasm(alg: WasmAlg, seedLo: number, seedHi: number): Promise<IHasher> {
  const [file, fn] = BUILDS[alg];
  const mod = require(`hash-wasm/dist/${file}.umd.min.js`) as Record<string, Factory>;
  const f = mod[fn];
  if (!f) throw new DeltaError('UNSUPPORTED', `hash-wasm has no ${fn}`);
  return alg === 'md4' || alg === 'md5' ? f() : f(seedLo, seedHi);
}

/**
 * Loads every hash-wasm build now. A daemon's session process calls it before it drops to a
 * module's uid, which may not be able to read our node_modules.
 */
export function preloadHashBuilds(): void {
  for (const [file] of Object.values(BUILDS)) require(`hash-wasm/dist/${file}.umd.min.js`);
}

/** Block hashers are used synchronously (init/update/digest in one call), so they can be shared. */
const blockHashers = new Map<string, Promise<IHasher>>();
const readyBlock = new Map<string, IHasher>();
const blockKey = (alg: WasmAlg, seedLo: number, seedHi: number): string => `${alg}:${seedLo}:${seedHi}`;
function getBlockHasher(alg: WasmAlg, seedLo: number, seedHi: number): Promise<IHasher> {
  const key = blockKey(alg, seedLo, seedHi);
  let p = blockHashers.get(key);
  if (!p) {
    p = createWasm(alg, seedLo, seedHi).then((h) => {
      if (blockHashers.has(key)) readyBlock.set(key, h);
      return h;
    });
    blockHashers.set(key, p);
    // Bound the cache: daemons use a fresh seed per connection.
    if (blockHashers.size > 64) {
      const first = blockHashers.keys().next().value;
      if (first !== undefined && first !== key) {
        blockHashers.delete(first);
        readyBlock.delete(first);
      }
    }
  }
  return p;
}

/**
 * One unseeded wasm instance per algorithm for whole-file hashing. Several
 * FileHashers may be live at once: the instance is switched between them with
 * hash-wasm's save()/load(), which only costs anything when they interleave.
 */
class SharedStreamHasher {
  owner: object | null = null;
  constructor(readonly h: IHasher) {}
}
const streamHashers = new Map<WasmAlg, Promise<SharedStreamHasher>>();
const readyStream = new Map<WasmAlg, SharedStreamHasher>();
function getStreamHasher(alg: WasmAlg): Promise<SharedStreamHasher> {
  let p = streamHashers.get(alg);
  if (!p) {
    p = createWasm(alg, 0, 0).then((h) => {
      const sh = new SharedStreamHasher(h);
      readyStream.set(alg, sh);
      return sh;
    });
    streamHashers.set(alg, p);
  }
  return p;
}

class WasmFileHasher implements FileHasher {
  private saved: Uint8Array | null = null;
  private done = false;
  constructor(
    private readonly shared: SharedStreamHasher,
    private readonly reverse: boolean,
    prefix: Uint8Array | null,
  ) {
    this.acquire(true);
    if (prefix) shared.h.update(prefix);
  }

  private acquire(fresh = false): IHasher {
    const s = this.shared;
    if (this.done) throw new DeltaError('BAD_OPTIONS', 'FileHasher used after digest()');
    if (s.owner !== this) {
      if (s.owner instanceof WasmFileHasher) s.owner.saved = s.h.save();
      s.owner = this;
      if (fresh || !this.saved) s.h.init();
      else s.h.load(this.saved);
      this.saved = null;
    }
    return s.h;
  }

  update(data: Uint8Array): void {
    this.acquire().update(data);
  }

  digest(): Uint8Array {
    const h = this.acquire();
    const d = h.digest('binary');
    this.done = true;
    this.shared.owner = null;
    return this.reverse ? d.reverse() : d;
  }
}

class NodeFileHasher implements FileHasher {
  private readonly h;
  constructor(alg: 'md5' | 'sha1') {
    this.h = createHash(alg);
  }
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  digest(): Uint8Array {
    const b = this.h.digest();
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
}

class Md4FileHasher implements FileHasher {
  constructor(private readonly m: Md4) {}
  update(data: Uint8Array): void {
    this.m.update(data);
  }
  digest(): Uint8Array {
    return this.m.digest();
  }
}

function le32(seed: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, seed | 0, true);
  return b;
}

/** The wasm instances an algorithm/seed needs: [block hasher, stream hasher]. */
function needs(opts: ChecksumOptions): [WasmAlg, number, number][] {
  const seed = opts.seed | 0;
  switch (opts.algorithm) {
    case 'xxh64':
    case 'xxh3':
    case 'xxh128':
      return [[opts.algorithm, seed >>> 0, seed < 0 ? 0xffffffff : 0]];
    case 'md5':
      return [['md5', 0, 0]];
    case 'md4':
      return opts.protocol < 27 ? [] : [['md4', 0, 0]];
    default:
      return [];
  }
}

/**
 * Loads the wasm hash modules. With `opts`, also prepares the (seeded) instances
 * those checksums need, so that createStrongChecksumSync(opts) works afterwards.
 */
export async function initDelta(opts?: ChecksumOptions | readonly ChecksumOptions[]): Promise<void> {
  const list = opts === undefined ? [] : Array.isArray(opts) ? opts : [opts as ChecksumOptions];
  await Promise.all([
    ...(['md4', 'md5', 'xxh64', 'xxh3', 'xxh128'] as const).map((a) => getStreamHasher(a)),
    ...list.flatMap((o) => needs(o).map(([a, lo, hi]) => getBlockHasher(a, lo, hi))),
  ]);
}

/**
 * Creates the strong checksum for a transfer. Always returns a Promise (hash-wasm
 * instances are created asynchronously; they are cached per algorithm and seed, so
 * repeated calls are cheap). The returned object is fully synchronous.
 */
export async function createStrongChecksum(opts: ChecksumOptions): Promise<StrongChecksum> {
  if (DIGEST_LENGTHS[opts.algorithm] === undefined) {
    throw new DeltaError('UNSUPPORTED', `unknown checksum ${String(opts.algorithm)}`);
  }
  await initDelta(opts);
  return createStrongChecksumSync(opts);
}

/**
 * Synchronous factory; requires `await initDelta(opts)` (or a previous
 * createStrongChecksum with the same algorithm and seed), else DeltaError
 * 'NOT_INITIALIZED'.
 */
export function createStrongChecksumSync(opts: ChecksumOptions): StrongChecksum {
  const { algorithm } = opts;
  const seed = opts.seed | 0;
  const digestLength = DIGEST_LENGTHS[algorithm];
  if (digestLength === undefined)
    throw new DeltaError('UNSUPPORTED', `unknown checksum ${String(algorithm)}`);
  const seedBytes = le32(seed);
  const out = new Uint8Array(digestLength);
  const block = (alg: WasmAlg, lo: number, hi: number): IHasher => {
    const h = readyBlock.get(blockKey(alg, lo, hi));
    if (!h)
      throw new DeltaError(
        'NOT_INITIALIZED',
        `await initDelta(opts) before createStrongChecksumSync (${alg})`,
      );
    return h;
  };
  const stream = (alg: WasmAlg): SharedStreamHasher => {
    const h = readyStream.get(alg);
    if (!h)
      throw new DeltaError('NOT_INITIALIZED', `await initDelta() before createStrongChecksumSync (${alg})`);
    return h;
  };

  switch (algorithm) {
    case 'xxh64':
    case 'xxh3':
    case 'xxh128': {
      // C converts the int32 seed to a 64-bit integer: sign extension.
      const bh = block(algorithm, seed >>> 0, seed < 0 ? 0xffffffff : 0);
      const sh = stream(algorithm);
      const n = digestLength;
      return {
        algorithm,
        digestLength,
        blockSum(data: Uint8Array): Uint8Array {
          bh.init();
          bh.update(data);
          const d = bh.digest('binary');
          // hash-wasm gives the canonical big-endian form; rsync stores little-endian
          // (low64 then high64 for xxh128): a full byte reversal.
          for (let i = 0; i < n; i++) out[i] = d[n - 1 - i]!;
          return out;
        },
        fileHasher: () => new WasmFileHasher(sh, true, null),
      };
    }
    case 'md5': {
      const bh = block('md5', 0, 0);
      const seedFirst = opts.md5SeedFirst ?? true;
      const seeded = seed !== 0;
      return {
        algorithm,
        digestLength,
        blockSum(data: Uint8Array): Uint8Array {
          bh.init();
          if (seeded && seedFirst) bh.update(seedBytes);
          bh.update(data);
          if (seeded && !seedFirst) bh.update(seedBytes);
          out.set(bh.digest('binary'));
          return out;
        },
        fileHasher: () => new NodeFileHasher('md5'),
      };
    }
    case 'md4': {
      const seeded = seed !== 0;
      if (opts.protocol < 27) {
        // CSUM_MD4_BUSTED / CSUM_MD4_ARCHAIC
        const m = new Md4({ busted: true, len32: true });
        return {
          algorithm,
          digestLength,
          blockSum(data: Uint8Array): Uint8Array {
            m.init().update(data);
            if (seeded) m.update(seedBytes);
            out.set(m.digest());
            return out;
          },
          fileHasher: () => new Md4FileHasher(new Md4({ busted: true, len32: true }).update(seedBytes)),
        };
      }
      const bh = block('md4', 0, 0);
      const sh = stream('md4');
      const filePrefix = opts.protocol < 30 ? seedBytes : null; // CSUM_MD4_OLD vs CSUM_MD4
      return {
        algorithm,
        digestLength,
        blockSum(data: Uint8Array): Uint8Array {
          bh.init();
          bh.update(data);
          if (seeded) bh.update(seedBytes);
          out.set(bh.digest('binary'));
          return out;
        },
        fileHasher: () => new WasmFileHasher(sh, false, filePrefix),
      };
    }
    case 'sha1': {
      const seeded = seed !== 0;
      return {
        algorithm,
        digestLength,
        blockSum(data: Uint8Array): Uint8Array {
          const h = createHash('sha1');
          if (seeded) h.update(seedBytes);
          out.set(h.update(data).digest());
          return out;
        },
        fileHasher: () => new NodeFileHasher('sha1'),
      };
    }
    case 'none':
      return {
        algorithm,
        digestLength,
        blockSum: () => out,
        fileHasher: () => ({ update: () => {}, digest: () => new Uint8Array(1) }),
      };
  }
}
