/**
 * tsrsync push vs rsync 3.5.0 pushing the same data to the same daemon in the
 * same run (issue 5): 100,000 small files fresh and with nothing changed, a
 * 1 GiB file fresh and after 100 scattered 1 KiB edits (the module holds the
 * original); and a local copy of the 100,000 files. Everything on /dev/shm.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BENCH_ROOT, benchData } from '../pull/data.js';
import { runMeasured, startDaemon, statFigure, TSRSYNC, type RunFigures } from '../pull/run-tools.js';

const ROOT = BENCH_ROOT;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

interface Case {
  name: string;
  src: string;
  /** Destination for a tool: daemon URL or local dir. */
  dest: (tool: 'rsync' | 'tsrsync') => string;
  prep: (tool: 'rsync' | 'tsrsync') => void;
  bytes?: boolean;
}

export async function benchPush(opts: { runs?: number; quick?: boolean } = {}): Promise<string[]> {
  const { runs, files, big, t1, t2, t3 } = benchData(opts);
  const up = (tool: string) => path.join(ROOT, 'push-dst', tool);
  for (const tool of ['rsync', 'tsrsync']) mkdirSync(up(tool), { recursive: true });
  const d = await startDaemon(path.join(ROOT, 'push-daemon'), { rsync: up('rsync'), tsrsync: up('tsrsync') });
  const local = (tool: string) => path.join(ROOT, 'local-dst', tool);
  const cases: Case[] = [
    {
      name: `push ${files.toLocaleString('en-US')} small files, fresh`,
      src: `${t1}/`,
      dest: (tool) => `${d.url(tool)}t1`,
      prep: (tool) => rmSync(path.join(up(tool), 't1'), { recursive: true, force: true }),
    },
    {
      name: `push ${files.toLocaleString('en-US')} small files, nothing changed`,
      src: `${t1}/`,
      dest: (tool) => `${d.url(tool)}t1`,
      prep: () => undefined,
    },
    {
      name: `push one ${big >> 20} MiB file, fresh`,
      src: t2,
      dest: (tool) => `${d.url(tool)}big`,
      prep: (tool) => rmSync(path.join(up(tool), 'big'), { recursive: true, force: true }),
    },
    {
      name: 'push that file after 100 scattered 1 KiB edits',
      src: t3,
      dest: (tool) => `${d.url(tool)}big/`,
      prep: (tool) => {
        rmSync(path.join(up(tool), 'big'), { recursive: true, force: true });
        mkdirSync(path.join(up(tool), 'big'), { recursive: true });
        copyFileSync(t2, path.join(up(tool), 'big', 'big.bin'));
      },
      bytes: true,
    },
    {
      name: `local copy of ${files.toLocaleString('en-US')} small files`,
      src: `${t1}/`,
      dest: (tool) => `${local(tool)}/`,
      prep: (tool) => {
        rmSync(local(tool), { recursive: true, force: true });
        mkdirSync(path.dirname(local(tool)), { recursive: true });
      },
    },
  ];
  const out: string[] = [];
  try {
    out.push(
      '| case | rsync 3.5.0 wall s | tsrsync wall s | ratio | client CPU s (rsync / tsrsync) | peak RSS MiB (rsync / tsrsync) | bytes sent (rsync / tsrsync) |',
    );
    out.push('|---|---|---|---|---|---|---|');
    for (const c of cases) {
      const res: Record<'rsync' | 'tsrsync', RunFigures[]> = { rsync: [], tsrsync: [] };
      for (let i = 0; i < runs; i++) {
        for (const tool of ['rsync', 'tsrsync'] as const) {
          c.prep(tool);
          const args = ['--stats', c.src, c.dest(tool)];
          res[tool].push(
            tool === 'rsync'
              ? await runMeasured('rsync', ['-a', ...args])
              : await runMeasured(process.execPath, [TSRSYNC, 'push', ...args]),
          );
        }
      }
      const w = (t: 'rsync' | 'tsrsync') => median(res[t].map((r) => r.wall));
      const cpu = (t: 'rsync' | 'tsrsync') => median(res[t].map((r) => r.cpu)).toFixed(2);
      const rss = (t: 'rsync' | 'tsrsync') => Math.max(...res[t].map((r) => r.rssMiB)).toFixed(0);
      const bytes = (t: 'rsync' | 'tsrsync') =>
        median(res[t].map((r) => statFigure(r.stdout, 'Total bytes sent'))).toLocaleString('en-US');
      out.push(
        `| ${c.name} | ${w('rsync').toFixed(2)} | ${w('tsrsync').toFixed(2)} | **${(w('tsrsync') / w('rsync')).toFixed(2)}×** | ${cpu('rsync')} / ${cpu('tsrsync')} | ${rss('rsync')} / ${rss('tsrsync')} | ${c.bytes ? `${bytes('rsync')} / ${bytes('tsrsync')}` : ''} |`,
      );
      console.log(out[out.length - 1]);
    }
  } finally {
    d.stop();
    // what the runs wrote (4-6 GiB of tmpfs) would press on the memory of the benches after this one
    for (const dir of ['push-dst', 'local-dst'])
      rmSync(path.join(ROOT, dir), { recursive: true, force: true });
  }
  return out;
}
