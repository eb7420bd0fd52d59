/**
 * tsrsync snapshot vs `rsync -a --link-dest=PREV` of the same daemon module in
 * the same run (issue 4): 100,000 files with nothing changed, and with 1 %
 * of them changed. Each run makes one new snapshot next to one previous
 * snapshot; the new one is removed (untimed) before the next run. tmpfs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { makeT1 } from '../pull/data.js';
import { runMeasured, startDaemon, TSRSYNC, type RunFigures } from '../pull/run-tools.js';

const ROOT = '/dev/shm/tsrsync-bench/snap';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Changes 1 % of the files (content and mtime), the same way every time. */
function changeOnePercent(src: string, files: number): void {
  let n = 0;
  const want = Math.floor(files / 100);
  for (const a of readdirSync(src)
    .filter((d) => d.startsWith('d'))
    .sort()) {
    for (const b of readdirSync(path.join(src, a)).sort()) {
      const f = path.join(src, a, b, 'f7.dat');
      if (!existsSync(f) || n >= want) continue;
      const buf = readFileSync(f);
      buf[0] = buf[0]! ^ 0xff;
      writeFileSync(f, buf);
      utimesSync(f, 1_800_000_000, 1_800_000_000);
      n++;
    }
  }
  // more than one file per directory when needed
  for (const a of readdirSync(src)
    .filter((d) => d.startsWith('d'))
    .sort()) {
    for (const b of readdirSync(path.join(src, a)).sort()) {
      for (let k = 8; k < 50 && n < want; k++) {
        const f = path.join(src, a, b, `f${k}.dat`);
        if (!existsSync(f)) continue;
        const buf = readFileSync(f);
        buf[0] = buf[0]! ^ 0xff;
        writeFileSync(f, buf);
        utimesSync(f, 1_800_000_000, 1_800_000_000);
        n++;
      }
    }
  }
}

export async function benchSnapshot(opts: { runs?: number; quick?: boolean } = {}): Promise<string[]> {
  const runs = opts.runs ?? 3;
  const files = opts.quick ? 20_000 : 100_000;
  const src = path.join(ROOT, `src-${files}`);
  rmSync(src, { recursive: true, force: true });
  const t1 = path.join('/dev/shm/tsrsync-bench', opts.quick ? 't1q' : 't1');
  makeT1(t1, files);
  mkdirSync(ROOT, { recursive: true });
  execFileSync('cp', ['-a', t1, src]);
  const d = await startDaemon(path.join(ROOT, 'daemon'), { src });
  const rsyncPrev = path.join(ROOT, 'rsync', 'prev');
  const rsyncNew = path.join(ROOT, 'rsync', 'new');
  const tsRoot = path.join(ROOT, 'ts');
  const out: string[] = [];
  try {
    rmSync(path.join(ROOT, 'rsync'), { recursive: true, force: true });
    rmSync(tsRoot, { recursive: true, force: true });
    mkdirSync(path.join(ROOT, 'rsync'), { recursive: true });
    await runMeasured('rsync', ['-a', d.url('src'), `${rsyncPrev}/`]);
    await runMeasured(process.execPath, [
      TSRSYNC,
      'snapshot',
      '-q',
      '--now=2030-01-01T00:00:00Z',
      d.url('src'),
      tsRoot,
    ]);
    out.push(
      '| case | rsync --link-dest wall s | tsrsync snapshot wall s | ratio | peak RSS MiB (rsync / tsrsync) |',
    );
    out.push('|---|---|---|---|---|');
    let clock = Date.UTC(2030, 0, 2);
    for (const c of ['nothing changed', '1 % of files changed']) {
      if (c.startsWith('1 %')) changeOnePercent(src, files);
      const res: Record<'rsync' | 'tsrsync', RunFigures[]> = { rsync: [], tsrsync: [] };
      for (let i = 0; i < runs; i++) {
        rmSync(rsyncNew, { recursive: true, force: true });
        res.rsync.push(
          await runMeasured('rsync', ['-a', `--link-dest=${rsyncPrev}`, d.url('src'), `${rsyncNew}/`]),
        );
        const now = new Date((clock += 3_600_000)).toISOString().replace('.000Z', 'Z');
        res.tsrsync.push(
          await runMeasured(process.execPath, [
            TSRSYNC,
            'snapshot',
            '-q',
            `--now=${now}`,
            d.url('src'),
            tsRoot,
          ]),
        );
        // back to one previous snapshot (untimed)
        const snaps = readdirSync(tsRoot)
          .filter((n) => /^\d{4}-/.test(n))
          .sort();
        for (const s of snaps.slice(1)) {
          rmSync(path.join(tsRoot, s), { recursive: true, force: true });
          rmSync(path.join(tsRoot, '.tsrsync/manifests', `${s}.json`), { force: true });
        }
      }
      const w = (t: 'rsync' | 'tsrsync') => median(res[t].map((r) => r.wall));
      const rss = (t: 'rsync' | 'tsrsync') => Math.max(...res[t].map((r) => r.rssMiB)).toFixed(0);
      out.push(
        `| ${files.toLocaleString('en-US')} files, ${c} | ${w('rsync').toFixed(2)} | ${w('tsrsync').toFixed(2)} | **${(w('tsrsync') / w('rsync')).toFixed(2)}×** | ${rss('rsync')} / ${rss('tsrsync')} |`,
      );
      console.log(out[out.length - 1]);
    }
  } finally {
    d.stop();
  }
  return out;
}
