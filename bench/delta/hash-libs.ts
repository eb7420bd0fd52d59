/**
 * Strong-hash candidates measured on this machine: one hash per block over a
 * 64 MB buffer, as the signature and match code use them. (js-md4 and
 * xxhash-wasm were measured in /work/shared/docs/performance.md §1: js-md4 is
 * ~3x slower than hash-wasm MD4, xxhash-wasm has no XXH3/XXH128.)
 */
import { createHash, hash as cryptoHash } from 'node:crypto';
import {
  createMD4,
  createMD5,
  createSHA1,
  createXXHash128,
  createXXHash3,
  createXXHash64,
  type IHasher,
} from 'hash-wasm';
import { Md4 } from '@tsrsync/delta';
import { mbps, randomBytes, timeIt } from './util.js';

export async function benchHashLibs(size = 64 * 1024 * 1024): Promise<string[]> {
  const data = randomBytes(size);
  const lines: string[] = [];
  const blockSizes = [700, 8192, 131072];
  const perBlock = (f: (b: Uint8Array) => unknown) => (bs: number) => () => {
    for (let p = 0; p + bs <= size; p += bs) f(data.subarray(p, p + bs));
  };
  const wasm = (h: IHasher) =>
    perBlock((b) => {
      h.init();
      h.update(b);
      return h.digest('binary');
    });
  const cands: [string, (bs: number) => () => void][] = [
    ['hash-wasm MD4', wasm(await createMD4())],
    ['md4-legacy.ts (pure JS, proto<27 only)', perBlock((b) => new Md4().update(b).digest())],
    ['hash-wasm MD5', wasm(await createMD5())],
    ['node:crypto MD5 crypto.hash()', perBlock((b) => cryptoHash('md5', b, 'buffer'))],
    ['node:crypto MD5 createHash', perBlock((b) => createHash('md5').update(b).digest())],
    ['hash-wasm SHA1', wasm(await createSHA1())],
    ['node:crypto SHA1 createHash', perBlock((b) => createHash('sha1').update(b).digest())],
    ['hash-wasm XXH64 (seeded)', wasm(await createXXHash64(0x12345678, 0))],
    ['hash-wasm XXH3-64 (seeded)', wasm(await createXXHash3(0x12345678, 0))],
    ['hash-wasm XXH128 (seeded)', wasm(await createXXHash128(0x12345678, 0))],
  ];
  lines.push(`| implementation | ${blockSizes.map((b) => `${b} B`).join(' | ')} |`);
  lines.push(`|---|${blockSizes.map(() => '---').join('|')}|`);
  for (const [name, mk] of cands) {
    const cells: string[] = [];
    for (const bs of blockSizes) {
      const isSlow = name.startsWith('md4-legacy');
      const n = isSlow ? size / 4 : size;
      const f = mk(bs);
      const t = await timeIt(
        isSlow
          ? () => {
              for (let p = 0; p + bs <= n; p += bs) new Md4().update(data.subarray(p, p + bs)).digest();
            }
          : f,
        3,
      );
      cells.push(mbps(n, t));
    }
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const l of await benchHashLibs()) console.log(l);
}
