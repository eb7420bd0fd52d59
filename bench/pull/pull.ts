/**
 * tsrsync pull vs rsync 3.5.0 pulling the same daemon module in the same run
 * (issue 3): 100,000 small files fresh and unchanged, a 1 GiB file fresh and
 * after 100 scattered 1 KiB edits. Everything on /dev/shm (tmpfs).
 */
import { rmSync, mkdirSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_ROOT, benchData } from './data.js';
import { runMeasured, startDaemon, statFigure, TSRSYNC, type RunFigures } from './run-tools.js';

const ROOT = BENCH_ROOT;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

interface Case {
  name: string;
  module: string;
  /** Prepares a destination for one run. */
  prep: (dest: string) => void;
  /** Read bytes received from --stats. */
  bytes?: boolean;
}

export async function benchPull(opts: { runs?: number; quick?: boolean } = {}): Promise<string[]> {
  const { runs, files, big, t1, t2, t3 } = benchData(opts);
  const d = await startDaemon(path.join(ROOT, 'daemon'), { t1, t2: path.dirname(t2), t3: path.dirname(t3) });
  const out: string[] = [];
  const cases: Case[] = [
    {
      name: `${files.toLocaleString('en-US')} small files, fresh`,
      module: 't1',
      prep: (dest) => rmSync(dest, { recursive: true, force: true }),
    },
    {
      name: `${files.toLocaleString('en-US')} small files, nothing changed`,
      module: 't1',
      prep: () => undefined,
    },
    {
      name: `one ${big >> 20} MiB file, fresh`,
      module: 't2',
      prep: (dest) => rmSync(dest, { recursive: true, force: true }),
    },
    {
      name: `that file after 100 scattered 1 KiB edits`,
      module: 't3',
      prep: (dest) => {
        rmSync(dest, { recursive: true, force: true });
        mkdirSync(dest, { recursive: true });
        copyFileSync(t2, path.join(dest, 'big.bin'));
      },
      bytes: true,
    },
  ];
  try {
    out.push(
      '| case | rsync 3.5.0 wall s | tsrsync wall s | ratio | peak RSS MiB (rsync / tsrsync) | bytes received (rsync / tsrsync) |',
    );
    out.push('|---|---|---|---|---|---|');
    for (const c of cases) {
      const res: Record<'rsync' | 'tsrsync', RunFigures[]> = { rsync: [], tsrsync: [] };
      for (let i = 0; i < runs; i++) {
        for (const tool of ['rsync', 'tsrsync'] as const) {
          const dest = path.join(ROOT, `dst-${tool}`);
          // the "nothing changed" case reuses the previous case's result
          if (c.name.includes('nothing changed') && i === 0) {
            /* dest is already complete */
          }
          c.prep(dest);
          const args = ['--stats', d.url(c.module), dest];
          const r =
            tool === 'rsync'
              ? await runMeasured('rsync', ['-a', ...args])
              : await runMeasured(process.execPath, [TSRSYNC, 'pull', ...args]);
          res[tool].push(r);
        }
      }
      const w = (t: 'rsync' | 'tsrsync') => median(res[t].map((r) => r.wall));
      const rss = (t: 'rsync' | 'tsrsync') => Math.max(...res[t].map((r) => r.rssMiB)).toFixed(0);
      const bytes = (t: 'rsync' | 'tsrsync') =>
        median(res[t].map((r) => statFigure(r.stdout, 'Total bytes received'))).toLocaleString('en-US');
      out.push(
        `| ${c.name} | ${w('rsync').toFixed(2)} | ${w('tsrsync').toFixed(2)} | **${(w('tsrsync') / w('rsync')).toFixed(2)}×** | ${rss('rsync')} / ${rss('tsrsync')} | ${c.bytes ? `${bytes('rsync')} / ${bytes('tsrsync')}` : ''} |`,
      );
      console.log(out[out.length - 1]);
    }
  } finally {
    d.stop();
    // what the runs wrote would press on the memory of the benches after this one
    for (const tool of ['rsync', 'tsrsync'])
      rmSync(path.join(ROOT, `dst-${tool}`), { recursive: true, force: true });
  }
  return out;
}
