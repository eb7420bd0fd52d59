/**
 * `tsrsync snapshots ROOT`: the snapshots of a ROOT with what they share;
 * `tsrsync snapshots du ROOT`: rsnapshot-style incremental disk use;
 * `tsrsync snapshots diff ROOT A B`: what changed between two snapshots.
 */
import {
  SnapshotError,
  diffSnapshots,
  du,
  formatAge,
  listSnapshots,
  type DiffResult,
  type DuResult,
  type SnapshotInfo,
} from '@tsrsync/snapshot';
import { UsageError, parseArgs } from '../args.js';
import { stdio, type ConsoleOutput } from '../output.js';

const USAGE =
  'usage: tsrsync snapshots ROOT [--json] | snapshots du ROOT [--json] | snapshots diff ROOT A B [--json]';

/** 1.2M, 15K, 512: sizes as ls -h prints them (powers of 1024). */
export function humanSize(n: number): string {
  if (n < 1024) return String(n);
  const units = 'KMGTPE';
  let v = n / 1024;
  let k = 0;
  while (v >= 1024 && k < units.length - 1) {
    v /= 1024;
    k++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[k]}`;
}

/** Columns padded to their widest cell; `right` lists right-aligned columns. */
export function table(rows: readonly string[][], right: ReadonlySet<number>): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export async function runSnapshots(argv: readonly string[], io: ConsoleOutput = stdio): Promise<number> {
  let json = false;
  const args = parseArgs(argv, [{ long: 'json', set: () => (json = true) }]);
  const sub = args[0] === 'du' || args[0] === 'diff' ? args.shift() : undefined;
  try {
    if (sub === 'du') {
      if (args.length !== 1) throw new UsageError(USAGE);
      const r = du(args[0]!);
      io.out(json ? `${JSON.stringify(r, null, 2)}\n` : duText(r));
      return 0;
    }
    if (sub === 'diff') {
      if (args.length !== 3) throw new UsageError(USAGE);
      const r = diffSnapshots(args[0]!, args[1]!, args[2]!);
      io.out(json ? `${JSON.stringify(r, null, 2)}\n` : diffText(r));
      for (const u of r.unreadable) io.err(`tsrsync snapshots: cannot read directory ${u}\n`);
      return r.unreadable.length > 0 ? 23 : 0;
    }
    if (args.length !== 1) throw new UsageError(USAGE);
    const list = listSnapshots(args[0]!);
    io.out(json ? `${JSON.stringify(list, null, 2)}\n` : listText(list));
    const unreadable = list.reduce((n, s) => n + s.unreadable, 0);
    if (unreadable > 0)
      io.err(`tsrsync snapshots: ${unreadable} directories could not be read (not counted)\n`);
    return unreadable > 0 ? 23 : 0;
  } catch (e) {
    if (e instanceof SnapshotError) {
      io.err(`tsrsync snapshots: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

function listText(list: readonly SnapshotInfo[]): string {
  if (list.length === 0) return 'no snapshots\n';
  const rows = [['NAME', 'STATUS', 'AGE', 'FILES', 'SIZE', 'NEW', 'SHARED']];
  for (const s of list)
    rows.push([
      `${s.name}${s.isLatest ? ' *' : ''}`,
      s.status,
      formatAge(s.ageMs),
      String(s.files),
      humanSize(s.totalBytes),
      humanSize(s.newBytes),
      humanSize(s.sharedBytes),
    ]);
  return table(rows, new Set([2, 3, 4, 5, 6]));
}

function duText(r: DuResult): string {
  const rows = [['NAME', 'NEW', 'ALLOCATED', 'CUMULATIVE', 'UNIQUE']];
  for (const s of r.snapshots)
    rows.push([
      s.name,
      humanSize(s.incrementalBytes),
      humanSize(s.incrementalAllocated),
      humanSize(s.cumulativeBytes),
      humanSize(s.uniqueBytes),
    ]);
  rows.push(['total', humanSize(r.totalBytes), humanSize(r.totalAllocated), '', '']);
  return table(rows, new Set([1, 2, 3, 4]));
}

const shown = (p: string, type: string): string => (type === 'dir' ? `${p}/` : p);

function diffText(r: DiffResult): string {
  const lines: [string, string][] = [];
  for (const e of r.added) lines.push([e.path, `+ ${shown(e.path, e.type)}`]);
  for (const e of r.removed) lines.push([e.path, `- ${shown(e.path, e.type)}`]);
  for (const c of r.changed) {
    const why = c.reason === 'size' ? `size ${c.sizeA} -> ${c.sizeB}` : c.reason;
    const attrs = c.attrs.filter((a) => a !== 'target');
    lines.push([c.path, `M ${shown(c.path, c.type)}  (${[why, ...attrs].join(', ')})`]);
  }
  for (const m of r.metadataOnly) {
    const what = m.attrs.length > 0 ? m.attrs.join(', ') : 'new inode';
    lines.push([m.path, `M ${shown(m.path, m.type)}  (metadata only: ${what})`]);
  }
  lines.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const c = r.counts;
  const summary =
    `${r.a} -> ${r.b}: ${c.added} added (${humanSize(r.bytes.added)}), ` +
    `${c.removed} removed (${humanSize(r.bytes.removed)}), ` +
    `${c.changed} changed (${humanSize(r.bytes.changed)}), ` +
    `${c.metadataOnly} metadata only, ${c.unchanged} unchanged\n`;
  return lines.map(([, l]) => `${l}\n`).join('') + summary;
}
