/**
 * Benchmark trees (shared/docs/performance.md §4), written to tmpfs:
 *   T1: 100,000 files of 1-8 KB of random data in 2,041 dirs (40 x 50 leaf dirs x 50 files)
 *   T2: one 1 GiB random file; T3: T2 with 100 scattered 1 KiB overwrites.
 */
import { mkdirSync, writeFileSync, existsSync, openSync, writeSync, closeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from '../delta/util.js';

export function makeT1(root: string, files = 100_000): number {
  if (existsSync(path.join(root, '.done'))) return files;
  const pool = randomBytes(8 * 1024 * 1024);
  let n = 0;
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const perDir = 50;
  for (let a = 0; a < 40 && n < files; a++) {
    for (let b = 0; b < 50 && n < files; b++) {
      const dir = path.join(root, `d${a}`, `e${b}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < perDir && n < files; f++, n++) {
        const size = 1024 + (next() % 7168);
        const off = next() % (pool.length - size);
        writeFileSync(path.join(dir, `f${f}.dat`), pool.subarray(off, off + size));
      }
    }
  }
  writeFileSync(path.join(root, '.done'), '');
  return n;
}

export function makeBig(file: string, size = 1 << 30): void {
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  const chunk = 8 << 20;
  for (let p = 0; p < size; p += chunk) writeSync(fd, randomBytes(Math.min(chunk, size - p)));
  closeSync(fd);
}

/** T3 = T2 with `edits` scattered 1 KiB overwrites. */
export function makeEdited(from: string, to: string, edits = 100): void {
  if (existsSync(to)) return;
  mkdirSync(path.dirname(to), { recursive: true });
  const data = readFileSync(from);
  for (let k = 0; k < edits; k++) {
    const off = Math.floor(((k + 0.5) * data.length) / edits);
    data.set(randomBytes(1024), off);
  }
  writeFileSync(to, data);
}

/** Where the benches keep their data (tmpfs: see README, Standards). */
export const BENCH_ROOT = '/dev/shm/tsrsync-bench';

/** The data every transfer bench uses, made once: the file tree, the big file and (unless `edited: false`) its edited copy. */
export function benchData(opts: { runs?: number; quick?: boolean; edited?: boolean }): {
  runs: number;
  files: number;
  big: number;
  t1: string;
  t2: string;
  t3: string;
} {
  const files = opts.quick ? 20_000 : 100_000;
  const big = opts.quick ? 128 << 20 : 1 << 30;
  const t1 = path.join(BENCH_ROOT, opts.quick ? 't1q' : 't1');
  makeT1(t1, files);
  const t2 = path.join(BENCH_ROOT, `t2-${big >> 20}M`, 'big.bin');
  const t3 = path.join(BENCH_ROOT, `t3-${big >> 20}M`, 'big.bin');
  makeBig(t2, big);
  if (opts.edited !== false) makeEdited(t2, t3);
  return { runs: opts.runs ?? 3, files, big, t1, t2, t3 };
}
