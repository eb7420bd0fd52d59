/**
 * `tsrsync daemon` vs `rsync --daemon` (3.5.0) serving the same data in the
 * same run (issue 6), with the real rsync as the client (`rsync -a --stats`):
 * 100,000 small files pulled and pushed fresh (each run into a new directory)
 * and again with nothing changed, and a 1 GiB file pulled and pushed fresh.
 * Everything on /dev/shm.
 *
 * Besides the client's wall time, CPU and peak RSS (`/usr/bin/time`), the
 * daemons' CPU is read from /proc/PID/stat before and after each run: utime +
 * stime + cutime + cstime of the daemon process. rsync forks a child per
 * connection (and a grandchild receiver on a push); they are reaped by their
 * parents, so their CPU lands in the listening process's cutime/cstime once
 * the connection's processes have exited, which is waited for. tsrsync serves
 * every connection in its one process (worker threads included in its own
 * utime/stime). tsrsync's peak RSS per run comes from VmHWM after resetting it
 * (`5` into /proc/PID/clear_refs); rsync's forked processes are not measured.
 *
 * `BENCH_DAEMON_CPU_PROF=DIR` starts tsrsync's daemon under `node --cpu-prof`
 * (the profile is written into DIR when it stops); `BENCH_DAEMON_CASES=1,4`
 * runs only those cases (1-based).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BENCH_ROOT, benchData } from '../pull/data.js';
import { runMeasured, startDaemon, statFigure, TSRSYNC, type RunFigures } from '../pull/run-tools.js';

const ROOT = BENCH_ROOT;
const CLK_TCK = 100;
type Tool = 'rsync' | 'tsrsync';
const TOOLS: readonly Tool[] = ['rsync', 'tsrsync'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime + stime + cutime + cstime of `pid` in seconds. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14-17 of proc(5); f[0] is field 3 (state)
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Waits until `pid` has no children and its CPU figure stops moving (the connection is over). */
async function settled(pid: number): Promise<number> {
  for (let i = 0; i < 200 && childrenOf(pid).length > 0; i++) await sleep(25);
  let last = cpuOf(pid);
  for (let i = 0; i < 40; i++) {
    await sleep(50);
    const now = cpuOf(pid);
    if (now === last) return now;
    last = now;
  }
  return last;
}

function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not permitted: the peak is then the process's lifetime peak
  }
}

function peakMiB(pid: number): number {
  const m = /^VmHWM:\s+([0-9]+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function waitPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`tsrsync daemon exited ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`tsrsync daemon: port ${port} never accepted a connection`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

interface Served {
  pid: number;
  url(module: string): string;
  stop(): Promise<void>;
}

/** `node packages/cli/bin/tsrsync.js daemon` on 127.0.0.1 with an rsyncd.conf written into `dir`. */
async function startTsrsyncDaemon(dir: string, modules: Record<string, string>): Promise<Served> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = [
    'use chroot = no',
    'munge symlinks = no',
    'numeric ids = yes',
    `log file = ${dir}/rsyncd.log`,
    ...(process.getuid?.() === 0 ? ['uid = root', 'gid = root'] : []),
    ...Object.entries(modules).flatMap(([m, p]) => [`[${m}]`, `path = ${p}`, 'read only = no']),
  ].join('\n');
  writeFileSync(`${dir}/rsyncd.conf`, `${conf}\n`);
  const prof = process.env['BENCH_DAEMON_CPU_PROF'];
  const node = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...node,
      TSRSYNC,
      'daemon',
      '--config',
      `${dir}/rsyncd.conf`,
      '--port',
      String(port),
      '--address',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitPort(port, child);
  return {
    pid: child.pid!,
    url: (m) => `rsync://127.0.0.1:${port}/${m}/`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** rsync 3.5.0's daemon via run-tools' startDaemon; its pid from the pid file it writes. */
async function startRsyncDaemon(dir: string, modules: Record<string, string>): Promise<Served> {
  rmSync(`${dir}/rsyncd.pid`, { force: true });
  const d = await startDaemon(dir, modules);
  let pid = NaN;
  for (let i = 0; i < 100 && !(pid > 0); i++) {
    try {
      pid = Number(readFileSync(`${dir}/rsyncd.pid`, 'utf8').trim());
    } catch {
      await sleep(50);
    }
  }
  if (!(pid > 0)) throw new Error('rsync --daemon wrote no pid file');
  return {
    pid,
    url: (m) => d.url(m),
    stop: async () => {
      d.stop();
      for (let i = 0; i < 100; i++) {
        try {
          readFileSync(`/proc/${pid}/stat`);
        } catch {
          return;
        }
        await sleep(20);
      }
    },
  };
}

interface Case {
  name: string;
  /** rsync client arguments after `-a --stats`, for the daemon of `tool`, in run `run` (0-based). */
  args: (tool: Tool, run: number) => string[];
  prep: (tool: Tool, run: number) => void;
  /** After the case's runs, untimed: removes what they wrote that no later case needs. */
  done?: () => void;
}

interface Figures extends RunFigures {
  daemonCpu: number;
  daemonRssMiB: number;
  files: number;
}

export async function benchDaemon(opts: { runs?: number; quick?: boolean } = {}): Promise<string[]> {
  const { runs, files, big, t1, t2 } = benchData({ ...opts, edited: false });
  const base = path.join(ROOT, 'daemon');
  const up = (tool: Tool, m: string) => path.join(base, 'up', tool, m);
  const pulled = (tool: Tool, m: string) => path.join(base, 'pulled', tool, m);
  const fresh = (dir: string) => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  };
  for (const tool of TOOLS) for (const m of ['small', 'big']) fresh(up(tool, m));
  const modules = (tool: Tool) => ({
    small: t1,
    big: path.dirname(t2),
    up: up(tool, 'small'),
    upbig: up(tool, 'big'),
  });
  const served: Partial<Record<Tool, Served>> = {};
  const n = files.toLocaleString('en-US');
  // The fresh small-file cases write each run into a directory of its own and remove them
  // all after the case: creating 100,000 files on tmpfs right after deleting 100,000 is
  // slow in the kernel by an amount that varies from run to run (up to 1.7x here), which
  // measured the kernel rather than the daemons.
  const last = runs - 1;
  const allCases: Case[] = [
    {
      name: `pull ${n} small files, fresh (new directory)`,
      args: (tool, run) => [served[tool]!.url('small'), `${pulled(tool, `small-${run}`)}/`],
      prep: (tool) => mkdirSync(path.dirname(pulled(tool, 'small')), { recursive: true }),
      done: () => {
        for (const t of TOOLS)
          for (let r = 0; r < last; r++) rmSync(pulled(t, `small-${r}`), { recursive: true, force: true });
      },
    },
    {
      name: `pull ${n} small files, nothing changed`,
      args: (tool) => [served[tool]!.url('small'), `${pulled(tool, `small-${last}`)}/`],
      prep: () => undefined,
      done: () => {
        for (const t of TOOLS) rmSync(pulled(t, `small-${last}`), { recursive: true, force: true });
      },
    },
    {
      name: `push ${n} small files, fresh (new directory)`,
      args: (tool, run) => [`${t1}/`, `${served[tool]!.url('up')}run-${run}/`],
      prep: () => undefined,
      done: () => {
        for (const t of TOOLS)
          for (let r = 0; r < last; r++)
            rmSync(path.join(up(t, 'small'), `run-${r}`), { recursive: true, force: true });
      },
    },
    {
      name: `push ${n} small files, nothing changed`,
      args: (tool) => [`${t1}/`, `${served[tool]!.url('up')}run-${last}/`],
      prep: () => undefined,
      done: () => {
        for (const t of TOOLS) fresh(up(t, 'small'));
      },
    },
    {
      name: `pull one ${big >> 20} MiB file, fresh`,
      args: (tool) => [`${served[tool]!.url('big')}big.bin`, `${pulled(tool, 'big')}/`],
      prep: (tool) => fresh(pulled(tool, 'big')),
      done: () => {
        for (const t of TOOLS) rmSync(pulled(t, 'big'), { recursive: true, force: true });
      },
    },
    {
      name: `push one ${big >> 20} MiB file, fresh (empty module)`,
      args: (tool) => [t2, served[tool]!.url('upbig')],
      prep: (tool) => fresh(up(tool, 'big')),
    },
  ];
  const pick = process.env['BENCH_DAEMON_CASES']?.split(',').map(Number);
  const cases = pick ? allCases.filter((_, i) => pick.includes(i + 1)) : allCases;
  const out: string[] = [];
  try {
    served.rsync = await startRsyncDaemon(path.join(base, 'rsyncd'), modules('rsync'));
    served.tsrsync = await startTsrsyncDaemon(path.join(base, 'tsrsyncd'), modules('tsrsync'));
    out.push(
      '| case | rsync --daemon wall s | tsrsync daemon wall s | ratio | daemon CPU s (rsync / tsrsync) | client CPU s (rsync → rsyncd / → tsrsync) | tsrsync daemon peak RSS MiB | files transferred (rsyncd / tsrsync) |',
    );
    out.push('|---|---|---|---|---|---|---|---|');
    console.log(out[0]);
    console.log(out[1]);
    for (const c of cases) {
      const res: Record<Tool, Figures[]> = { rsync: [], tsrsync: [] };
      for (let i = 0; i < runs; i++) {
        for (const tool of TOOLS) {
          c.prep(tool, i);
          const { pid } = served[tool]!;
          const cpu0 = await settled(pid);
          resetPeak(pid);
          const r = await runMeasured('rsync', ['-a', '--stats', ...c.args(tool, i)]);
          const cpu1 = await settled(pid);
          res[tool].push({
            ...r,
            daemonCpu: cpu1 - cpu0,
            daemonRssMiB: tool === 'tsrsync' ? peakMiB(pid) : NaN,
            files: statFigure(r.stdout, 'Number of regular files transferred'),
          });
        }
      }
      const w = (t: Tool) => median(res[t].map((r) => r.wall));
      const dcpu = (t: Tool) => median(res[t].map((r) => r.daemonCpu)).toFixed(2);
      const ccpu = (t: Tool) => median(res[t].map((r) => r.cpu)).toFixed(2);
      const rss = Math.max(...res.tsrsync.map((r) => r.daemonRssMiB)).toFixed(0);
      const nf = (t: Tool) => [...new Set(res[t].map((r) => r.files.toLocaleString('en-US')))].join('/');
      const ratio = w('tsrsync') / w('rsync');
      out.push(
        `| ${c.name} | ${w('rsync').toFixed(2)} | ${w('tsrsync').toFixed(2)} | **${ratio.toFixed(2)}×** | ${dcpu('rsync')} / ${dcpu('tsrsync')} | ${ccpu('rsync')} / ${ccpu('tsrsync')} | ${rss} | ${nf('rsync')} / ${nf('tsrsync')} |`,
      );
      console.log(out[out.length - 1]);
      if (c.done) {
        c.done();
        await sleep(2000);
      }
    }
  } finally {
    await Promise.all(TOOLS.map((t) => served[t]?.stop()));
    rmSync(path.join(base, 'pulled'), { recursive: true, force: true });
    rmSync(path.join(base, 'up'), { recursive: true, force: true });
  }
  return out;
}
