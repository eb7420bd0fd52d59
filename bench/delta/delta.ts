/**
 * Delta benchmarks: rolling checksum, signatures, matching (worst/best case),
 * patching, and the same work done by /usr/bin/rsync on the same files.
 * Files are written under /dev/shm only.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, openSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import {
  applyDeltaSync,
  checksum1,
  createSignature,
  createSignatureSync,
  createStrongChecksum,
  matchBlocks,
  matchBlocksSync,
  RollingChecksum,
  sumSizes,
  type StrongAlgorithm,
} from '@tsrsync/delta';
import { MB, mbps, randomBytes, timeIt } from './util.js';

const DIR = '/dev/shm/tsrsync-bench-delta';
const GiB = 1024 * 1024 * 1024;

async function* readChunks(path: string, chunk = 1 << 20): AsyncGenerator<Uint8Array> {
  const fd = openSync(path, 'r');
  const buf = new Uint8Array(chunk);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, chunk, null);
      if (n <= 0) break;
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

function timeRsync(args: string[]): { wall: number; cpu: number } {
  const r = execFileSync(
    'bash',
    ['-c', `/usr/bin/time -f 'TIME %e %U %S' /usr/bin/rsync ${args.join(' ')} 2>&1 >/dev/null | grep TIME`],
    {
      encoding: 'utf8',
    },
  );
  const [, e, u, s] = r.trim().split(/\s+/);
  return { wall: Number(e), cpu: Number(u) + Number(s) };
}

export async function benchDelta(opts: { quick?: boolean } = {}): Promise<string[]> {
  const lines: string[] = [];
  const log = (s: string): void => {
    lines.push(s);
    console.log(s);
  };
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });

  // 1. rolling checksum over 256 MiB (one roll per byte, window 700)
  {
    const n = opts.quick ? 32 << 20 : 256 << 20;
    const d = randomBytes(n);
    const w = 700;
    const t = await timeIt(() => {
      const r = new RollingChecksum(d, 0, w);
      let acc = 0;
      for (let i = 0; i + w < n; i++) acc ^= r.roll(d[i]!, d[i + w]!).value;
      return acc;
    }, 3);
    log(`| rolling checksum, RollingChecksum.roll() per byte, 256 MiB | ${mbps(n, t)} |`);
    const tb = await timeIt(() => {
      let acc = 0;
      for (let p = 0; p + 700 <= n; p += 700) acc ^= checksum1(d, p, p + 700);
      return acc;
    }, 3);
    log(`| checksum1 of aligned 700 B blocks, 256 MiB | ${mbps(n, tb)} |`);
  }

  // 2. signatures, 64 MiB basis, 700 B and 8 KiB blocks, every strong checksum
  {
    const n = 64 << 20;
    const d = randomBytes(n);
    for (const alg of ['xxh128', 'xxh3', 'xxh64', 'md5', 'md4', 'sha1'] as StrongAlgorithm[]) {
      const cs = await createStrongChecksum({
        algorithm: alg,
        seed: 0x12345678,
        protocol: alg === 'md4' ? 29 : 31,
      });
      const cells: string[] = [];
      for (const bs of [700, 8192]) {
        const sizes = sumSizes(n, { protocol: 31, xferSumLen: cs.digestLength, blockSize: bs });
        const t = await timeIt(() => createSignatureSync(d, { sizes, checksum: cs }), 3);
        cells.push(mbps(n, t));
      }
      log(
        `| signature ${alg}${alg === 'md4' ? ' (proto 29)' : ''}, 700 B / 8 KiB blocks | ${cells.join(' / ')} |`,
      );
    }
  }

  const cs = await createStrongChecksum({ algorithm: 'xxh128', seed: 0x12345678, protocol: 32 });

  // 3. matching worst case, 100,000-block table (70 MB basis at 700 B) vs unrelated 64 MiB
  {
    const basis = randomBytes(70_000_000);
    const sizes = sumSizes(basis.length, { protocol: 32, xferSumLen: 16, blockSize: 700 });
    const sig = createSignatureSync(basis, { sizes, checksum: cs });
    const target = randomBytes(64 << 20);
    const t = await timeIt(() => matchBlocksSync(sig, target, { checksum: cs }), 3);
    log(`| match, no match, 100,000 blocks of 700 B, 64 MiB target (sync) | ${mbps(target.length, t)} |`);
    const tp = await timeIt(() => {
      const m = matchBlocksSync(sig, basis, { checksum: cs });
      return applyDeltaSync(basis, sig, m.tokens, { checksum: cs });
    }, 2);
    log(`| match + patch, identical 70 MB at 700 B blocks | ${mbps(basis.length, tp)} |`);
    const m = matchBlocksSync(sig, basis, { checksum: cs });
    const tpa = await timeIt(() => applyDeltaSync(basis, sig, m.tokens, { checksum: cs }), 3);
    log(`| patch only (applyDeltaSync), 100,000 block tokens, 70 MB | ${mbps(basis.length, tpa)} |`);
  }

  // 4. 1 GiB files, streaming from /dev/shm, against rsync 3.5.0
  {
    const size = opts.quick ? 128 << 20 : GiB;
    const a = `${DIR}/a.bin`;
    const b = `${DIR}/b.bin`;
    for (const p of [a, b]) {
      const fd = openSync(p, 'w');
      for (let off = 0; off < size; off += 64 << 20)
        writeFileSync(fd, randomBytes(Math.min(64 << 20, size - off)));
      closeSync(fd);
    }
    const sizes = sumSizes(size, { protocol: 32, xferSumLen: 16 });
    const tsig = await timeIt(() => createSignature(readChunks(a), { sizes, checksum: cs }), 2, false);
    log(
      `| signature xxh128, ${size / GiB} GiB streaming from /dev/shm, ${sizes.blockLength} B blocks | ${mbps(size, tsig)} |`,
    );
    const sig = await createSignature(readChunks(a), { sizes, checksum: cs });
    const runMatch = async (path: string): Promise<number> => {
      let n = 0;
      const g = matchBlocks(sig, readChunks(path), { checksum: cs });
      for await (const tok of g) if (tok.type === 'literal') n += tok.data.length;
      return n;
    };
    const tNo = await timeIt(() => runMatch(b), 2, false);
    const tEq = await timeIt(() => runMatch(a), 3, false);
    log(
      `| match streaming, no match, ${size / GiB} GiB, ${sizes.count} blocks of ${sizes.blockLength} B | ${mbps(size, tNo)} |`,
    );
    log(`| match streaming, identical, ${size / GiB} GiB | ${mbps(size, tEq)} |`);

    // rsync: destination has a's content, source is b (nothing matches) or a (everything matches)
    const src = `${DIR}/src`;
    const dst = `${DIR}/dst`;
    mkdirSync(src, { recursive: true });
    mkdirSync(dst, { recursive: true });
    const common = ['--no-whole-file', '--checksum-choice=xxh128', '-I'];
    const rs: Record<string, { wall: number; cpu: number }[]> = { no: [], eq: [] };
    for (let r = 0; r < 2; r++) {
      for (const kind of ['no', 'eq'] as const) {
        copyFileSync(kind === 'no' ? b : a, `${src}/f.bin`);
        copyFileSync(a, `${dst}/f.bin`);
        rs[kind]!.push(timeRsync([...common, `${src}/f.bin`, `${dst}/f.bin`]));
      }
    }
    const best = (x: { wall: number; cpu: number }[]): { wall: number; cpu: number } =>
      x.sort((p, q) => p.wall - q.wall)[0]!;
    const no = best(rs.no!);
    const eq = best(rs.eq!);
    const ours = (t: { med: number }): string =>
      `${(size / MB / t.med).toFixed(0)} MB/s (${t.med.toFixed(2)} s)`;
    log(
      `| rsync 3.5.0 local --no-whole-file, no match, ${size / GiB} GiB | ${(size / MB / no.wall).toFixed(0)} MB/s wall (${no.wall.toFixed(2)} s, ${no.cpu.toFixed(2)} s CPU all processes) |`,
    );
    log(
      `| rsync 3.5.0 local --no-whole-file, identical, ${size / GiB} GiB | ${(size / MB / eq.wall).toFixed(0)} MB/s wall (${eq.wall.toFixed(2)} s, ${eq.cpu.toFixed(2)} s CPU all processes) |`,
    );
    log(
      `| ratio no-match: tsrsync matchBlocks ${ours(tNo)} vs rsync wall | **${(no.wall / tNo.med).toFixed(2)}×** faster |`,
    );
    log(
      `| ratio identical: tsrsync matchBlocks ${ours(tEq)} vs rsync wall | **${(eq.wall / tEq.med).toFixed(2)}×** |`,
    );
  }
  rmSync(DIR, { recursive: true, force: true });
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchDelta({ quick: process.argv.includes('--quick') });
}
