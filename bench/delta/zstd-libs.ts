/**
 * zstd encoders for rsync's zstd token stream (packages/protocol TokenWriter):
 * 64 MiB of mixed data (4 parts text, 1 part random bytes) compressed
 * in 32 KiB pieces, each piece flushed so it can be sent at a token boundary.
 * rsync flushes one session-long stream (ZSTD_e_flush); no maintained wasm
 * package exposes that, so the candidates end a frame per piece instead and the
 * receiver decodes the concatenated frames. Every output is checked with fzstd.
 *
 *   npx tsx --conditions=source bench/delta/zstd-libs.ts
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as bokuweb from '@bokuweb/zstd-wasm';
import { Zstd as HpccZstd } from '@hpcc-js/wasm-zstd';
import { Decompress } from 'fzstd';
import { mbps, randomBytes, timeIt } from './util.js';

const require = createRequire(import.meta.url);
const N = 64 << 20;
const PIECE = 32768;
const LEVEL = 3;

/** Pseudo-random words from rsync's C sources (so the text never repeats), 1 part in 5 random bytes. */
function mixedData(): Uint8Array {
  let vocab: string[];
  try {
    const repo = process.env.RSYNC_SRC ?? '/work/.mirror/RsyncProject+rsync/repo';
    const srcs = ['token.c', 'match.c', 'io.c', 'flist.c', 'generator.c', 'receiver.c'];
    vocab = srcs.flatMap((f) =>
      execFileSync('git', ['-C', repo, 'show', `HEAD:${f}`], { encoding: 'utf8' }).split(/(?<=\s)/),
    );
  } catch {
    vocab = readFileSync(
      new URL('../../packages/protocol/src/compress/token-reader.ts', import.meta.url),
      'utf8',
    ).split(/(?<=\s)/);
  }
  const out = Buffer.alloc(N);
  const rnd = randomBytes(N);
  let s = 7;
  for (let p = 0, k = 0; p < N; k++) {
    const end = Math.min(N, p + (1 << 18));
    if (k % 5 === 4) out.set(rnd.subarray(p, end), p);
    else
      for (let q = p; q < end;) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        q += out.write(vocab[(s >>> 8) % vocab.length]!, q, end - q);
      }
    p = end;
  }
  return out;
}

/** Pieces of `data`, each turned into output chunks by `f`. */
function run(data: Uint8Array, f: (piece: Uint8Array) => Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < data.length; p += PIECE) out.push(...f(data.subarray(p, p + PIECE)));
  return out;
}

function check(name: string, data: Uint8Array, parts: Uint8Array[]): number {
  let n = 0;
  const d = new Decompress((c) => {
    if (Buffer.compare(c, data.subarray(n, n + c.length)) !== 0) throw new Error(`${name}: wrong output`);
    n += c.length;
  });
  for (const c of parts) d.push(c);
  if (n !== data.length) throw new Error(`${name}: decoded ${n} of ${data.length} bytes`);
  return parts.reduce((a, c) => a + c.length, 0);
}

/** The WebAssembly global (not in the ES lib typings). */
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
const WA = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
    };
  }
).WebAssembly;

/**
 * @oneidentity/zstd-js embeds a libzstd 1.4.8 wasm whose exports include
 * ZSTD_compressStream2_simpleArgs; its JS API only compresses whole buffers.
 * Driven directly here to show what a real flushed stream would give.
 */
function oneIdentityStream(): (piece: Uint8Array) => Uint8Array[] {
  const js = readFileSync(require.resolve('@oneidentity/zstd-js/wasm/index.cjs.js'), 'utf8');
  const b64 = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)/.exec(js)![1]!;
  const h: { mem?: WasmMemory } = {}; // set once instantiated
  const env = {
    emscripten_resize_heap: (size: number) => {
      try {
        h.mem!.grow(Math.ceil((size - h.mem!.buffer.byteLength) / 65536));
        return 1;
      } catch {
        return 0;
      }
    },
    emscripten_memcpy_big: (dst: number, src: number, n: number) => {
      new Uint8Array(h.mem!.buffer).copyWithin(dst, src, src + n);
    },
    setTempRet0: () => undefined,
  };
  const inst = new WA.Instance(new WA.Module(Buffer.from(b64, 'base64')), { env });
  const x = inst.exports as Record<string, (...a: number[]) => number>;
  h.mem = inst.exports.memory as WasmMemory;
  x.__wasm_call_ctors!();
  const cctx = x.ZSTD_createCStream!();
  x.ZSTD_CCtx_setParameter!(cctx, 100 /* ZSTD_c_compressionLevel */, LEVEL);
  const inP = x.malloc!(PIECE);
  const outCap = 1 << 17;
  const outP = x.malloc!(outCap);
  const posP = x.malloc!(8);
  return (piece) => {
    new Uint8Array(h.mem!.buffer).set(piece, inP);
    const dv = () => new DataView(h.mem!.buffer);
    dv().setUint32(posP + 4, 0, true);
    const res: Uint8Array[] = [];
    let left: number;
    do {
      dv().setUint32(posP, 0, true);
      left = x.ZSTD_compressStream2_simpleArgs!(cctx, outP, outCap, posP, inP, piece.length, posP + 4, 1);
      if (x.ZSTD_isError!(left)) throw new Error('ZSTD_compressStream2 failed');
      res.push(new Uint8Array(h.mem!.buffer, outP, dv().getUint32(posP, true)).slice());
    } while (left !== 0);
    return res;
  };
}

export async function benchZstdLibs(): Promise<string[]> {
  const data = mixedData();
  await bokuweb.init();
  const cctx = bokuweb.createCCtx();
  const empty = new Uint8Array(0);
  const dweb = require('@dweb-browser/zstd-wasm') as { compress(b: Uint8Array, level: number): Uint8Array };
  type Codec = { Simple: new () => { compress(b: Uint8Array, level: number): Uint8Array | null } };
  const codec = await new Promise<Codec>((r) =>
    (require('zstd-codec') as { ZstdCodec: { run(f: (c: Codec) => void): void } }).ZstdCodec.run(r),
  );
  const simple = new codec.Simple();
  const hpcc = await HpccZstd.load();
  hpcc.setCompressionLevel(LEVEL);
  hpcc.reset();
  const cands: [string, (p: Uint8Array) => Uint8Array[]][] = [
    [
      '@bokuweb/zstd-wasm 0.0.27 compressUsingDict, one CCtx (chosen)',
      (p) => [bokuweb.compressUsingDict(cctx, p, empty, LEVEL)],
    ],
    ['@bokuweb/zstd-wasm 0.0.27 compress', (p) => [bokuweb.compress(p, LEVEL)]],
    ['@dweb-browser/zstd-wasm 1.2.1 compress', (p) => [dweb.compress(p, LEVEL)]],
    ['zstd-codec 0.1.5 Simple.compress', (p) => [simple.compress(p, LEVEL)!]],
    [
      '@hpcc-js/wasm-zstd 1.12.5 compressChunk + compressEnd',
      (p) => [hpcc.compressChunk(p), hpcc.compressEnd()],
    ],
    ['@oneidentity/zstd-js 1.0.3 raw wasm, one stream, ZSTD_e_flush', oneIdentityStream()],
  ];
  const lines = [
    `| library (frame per 32 KiB piece unless noted) | compress ${N >> 20} MiB | output |`,
    '|---|---|---|',
  ];
  for (const [name, f] of cands) {
    const size = check(name, data, run(data, f));
    const t = await timeIt(() => run(data, f), 3);
    lines.push(`| ${name} | ${mbps(N, t)} | ${((100 * size) / N).toFixed(1)} % |`);
  }
  return lines;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const l of await benchZstdLibs()) console.log(l);
}
