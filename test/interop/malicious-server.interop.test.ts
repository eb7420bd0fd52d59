/**
 * A malicious server must never make tsrsync write outside DEST: names with
 * "..", absolute names, and a symlink followed by a file "beneath" it. The
 * client exits non-zero and a sentinel directory beside DEST is untouched.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { FileListEncoder, WireWriter, encodeFlistTrailer, type EncodableEntry } from '@tsrsync/protocol';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { tsrsync } from './cli-run.js';
import { startFakeDaemon } from './fake-daemon.js';
import { compareTrees, makeTempDir, REPO_ROOT, removeTempDirs, runCommand, treeSnapshot } from './harness.js';

const DIR = 0o040755;
const REG = 0o100644;
const LNK = 0o120777;

afterAll(removeTempDirs);

/** A protocol-29 file list (flags byte format) + the id lists and io_error of the trailer. */
function fileList(entries: EncodableEntry[]): Uint8Array {
  const opts = {
    protocol: 29,
    preserveUid: true,
    preserveGid: true,
    preserveLinks: true,
    preserveDevices: true,
    preserveSpecials: true,
  };
  const enc = new FileListEncoder(opts);
  const w = new WireWriter();
  for (const e of entries) enc.encode(w, { uid: 0, gid: 0, ...e });
  enc.end(w);
  encodeFlistTrailer(w, { protocol: 29, sendUidList: true, sendGidList: true }, new Map(), new Map());
  return w.finish();
}

const b = (s: string) => Buffer.from(s);

describe('a malicious server', () => {
  let work: string;
  let dest: string;
  let sentinel: string;
  beforeEach(async () => {
    work = await makeTempDir('tsrsync-evil-');
    dest = path.join(work, 'dest');
    sentinel = path.join(work, 'sentinel');
    await fsp.mkdir(sentinel);
    await fsp.writeFile(path.join(sentinel, 'keep.txt'), 'untouched\n');
  });

  const cases: [string, (sentinel: string) => EncodableEntry[]][] = [
    [
      '"../sentinel/x" (dot-dot)',
      () => [
        { nameBytes: b('.'), mode: DIR, size: 4096, mtime: 1 },
        { nameBytes: b('../sentinel/x'), mode: REG, size: 5, mtime: 1 },
      ],
    ],
    [
      'an absolute name',
      (s) => [
        { nameBytes: b('.'), mode: DIR, size: 4096, mtime: 1 },
        { nameBytes: b(`${s}/x`), mode: REG, size: 5, mtime: 1 },
      ],
    ],
    [
      'a symlink to the sentinel, then a file beneath it',
      (s) => [
        { nameBytes: b('.'), mode: DIR, size: 4096, mtime: 1 },
        { nameBytes: b('evil'), mode: LNK, size: s.length, mtime: 1, linkTargetBytes: b(s) },
        { nameBytes: b('evil/keep.txt'), mode: REG, size: 5, mtime: 1 },
      ],
    ],
  ];
  it.each(cases)('%s: non-zero exit, nothing written outside DEST', async (_name, make) => {
    const before = await treeSnapshot(sentinel);
    const fake = await startFakeDaemon(29, (c) => {
      c.write(Uint8Array.of(1, 2, 3, 4)); // checksum seed
      c.data(fileList(make(sentinel)));
      // if the client ever asked for data, give it bytes that would overwrite the target
      setTimeout(() => c.end(), 2000);
    });
    const r = await tsrsync('pull', `rsync://127.0.0.1:${fake.port}/mod/`, dest);
    await fake.close();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unsafe pathname|invalid path|ABORTING/);
    expect(compareTrees(before, await treeSnapshot(sentinel))).toEqual([]);
  });

  it('an endless file list: exit 22 "out of memory", not a V8 abort', async () => {
    const fake = await startFakeDaemon(
      29,
      async (c) => {
        c.write(Uint8Array.of(1, 2, 3, 4)); // checksum seed
        const enc = new FileListEncoder({ protocol: 29 });
        const w = new WireWriter();
        enc.encode(w, { nameBytes: b('.'), mode: DIR, size: 4096, mtime: 1 });
        for (let i = 0; !c.closed && i < 50_000_000; i++) {
          enc.encode(w, { nameBytes: b(`f${i}`), mode: REG, size: i, mtime: i });
          if (i % 20_000 === 0) {
            c.data(w.finish());
            w.reset();
            await c.drained();
          }
        }
        c.end();
      },
      60_000,
    );
    const r = await runCommand(
      process.execPath,
      [
        '--max-old-space-size=128',
        path.join(REPO_ROOT, 'packages/cli/bin/tsrsync.js'),
        'pull',
        `rsync://127.0.0.1:${fake.port}/mod/`,
        dest,
      ],
      { timeoutMs: 60_000 },
    );
    await fake.close();
    expect(r.stderr).toMatch(/out of memory in flist_expand/);
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 22, signal: null });
  }, 90_000);
});
