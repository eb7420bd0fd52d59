/**
 * Exit codes and messages of tsrsync pull (rsync's errcode.h), dry runs,
 * interrupted transfers and ownership.
 */
import { spawn } from 'node:child_process';
import { promises as fsp, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsrsync } from './cli-run.js';
import { startFakeDaemon } from './fake-daemon.js';
import { makeFixtureTree } from './fixture-tree.js';
import {
  compareTrees,
  freePort,
  makeTempDir,
  removeTempDirs,
  runRsync,
  startRsyncDaemon,
  treeSnapshot,
  type RsyncDaemon,
} from './harness.js';
import { prng } from '../golden/data.js';
import { FileListEncoder, WireWriter, encodeFlistTrailer } from '@tsrsync/protocol';

const isRoot = process.getuid?.() === 0;
let daemon: RsyncDaemon;
let work: string;
let src: string;
beforeAll(async () => {
  work = await makeTempDir('tsrsync-err-');
  src = path.join(work, 'src');
  await makeFixtureTree(src, { bigSize: 1_000_000 });
  if (isRoot) {
    await fsp.writeFile(path.join(src, 'owned.txt'), 'owned by someone else\n');
    await fsp.chown(path.join(src, 'owned.txt'), 1234, 4321);
  }
  daemon = await startRsyncDaemon({ modules: { site: { path: src } } });
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDirs();
});

describe('exit codes', () => {
  it('1: a usage error', async () => {
    const r = await tsrsync('pull', '--no-such-option', 'a::b', 'c');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown option');
  });

  it('3: several files into an existing regular file', async () => {
    const f = path.join(work, 'a-file');
    await fsp.writeFile(f, 'x');
    const r = await tsrsync('pull', daemon.url('site') + '/site/', f);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('destination must be a directory when copying more than 1 file');
  });

  it('10: nothing listening', async () => {
    const port = await freePort();
    const r = await tsrsync('pull', `rsync://127.0.0.1:${port}/mod/`, path.join(work, 'x10'));
    expect(r.code).toBe(10);
    expect(r.stderr).toContain('failed to connect to 127.0.0.1');
  });

  it('35: --contimeout against a listener that never accepts', async () => {
    const py = spawn('python3', [
      '-c',
      "import socket,time\ns=socket.socket();s.bind(('127.0.0.1',0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(20)",
    ]);
    try {
      const port = await new Promise<number>((resolve) =>
        py.stdout.once('data', (d: Buffer) => resolve(Number(d.toString()))),
      );
      const filler = [0, 1, 2, 3].map(() => net.connect(port, '127.0.0.1').on('error', () => undefined));
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      const r = await tsrsync(
        'pull',
        '--contimeout=1',
        `rsync://127.0.0.1:${port}/mod/`,
        path.join(work, 'x35'),
      );
      expect(r.code).toBe(35);
      expect(Date.now() - t0).toBeLessThan(5000);
      for (const s of filler) s.destroy();
    } finally {
      py.kill();
    }
  });

  it('12: the server closes the connection in the middle of the stream', async () => {
    const fake = await startFakeDaemon(29, (c) => {
      c.write(Uint8Array.of(1, 2, 3, 4));
      c.data(Uint8Array.of(0x18, 3));
      c.end();
    });
    const r = await tsrsync('pull', `rsync://127.0.0.1:${fake.port}/mod/`, path.join(work, 'x12'));
    await fake.close();
    expect(r.code).toBe(12);
    expect(r.stderr).toContain('connection unexpectedly closed');
  });

  it('30: --timeout when the server goes silent', async () => {
    const fake = await startFakeDaemon(29, () => undefined, 8000);
    const t0 = Date.now();
    const r = await tsrsync(
      'pull',
      '--timeout=1',
      `rsync://127.0.0.1:${fake.port}/mod/`,
      path.join(work, 'x30'),
    );
    await fake.close();
    expect(r.code).toBe(30);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('20: SIGINT in the middle of a transfer leaves no temp file; --partial keeps what arrived', async () => {
    for (const partial of [false, true]) {
      const dest = path.join(work, `x20-${partial}`);
      let running = true;
      const fake = await startFakeDaemon(29, (c) => {
        c.write(Uint8Array.of(1, 2, 3, 4)); // checksum seed
        const enc = new FileListEncoder({
          protocol: 29,
          preserveUid: true,
          preserveGid: true,
          preserveLinks: true,
          preserveDevices: true,
          preserveSpecials: true,
        });
        const w = new WireWriter();
        enc.encode(w, {
          nameBytes: Buffer.from('f'),
          mode: 0o100644,
          size: 10_000_000,
          mtime: 1_000_000,
          uid: 0,
          gid: 0,
        });
        enc.end(w);
        encodeFlistTrailer(w, { protocol: 29, sendUidList: true, sendGidList: true }, new Map(), new Map());
        c.data(w.finish());
        // the sender's echo of the request for ndx 0, then literal data, slowly
        const head = Buffer.alloc(4 + 2 + 16);
        head.writeUInt16LE(0x8000, 4);
        c.data(head);
        let sent = 0;
        const t = setInterval(() => {
          c.data(Buffer.concat([int32(32768), prng(sent + 1, 32768)]));
          sent++;
          if (sent === 3 && running) process.emit('SIGINT');
          if (sent > 50 || !running) clearInterval(t);
        }, 20);
      });
      const r = await tsrsync(
        'pull',
        ...(partial ? ['--partial'] : []),
        `rsync://127.0.0.1:${fake.port}/mod/`,
        `${dest}/`,
      );
      running = false;
      await fake.close();
      expect(r.code).toBe(20);
      expect(r.stderr).toContain('received SIGINT');
      const names = readdirSync(dest);
      expect(names.filter((n) => n.startsWith('.f.'))).toEqual([]);
      expect(names.includes('f')).toBe(partial);
    }
  });
});

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

it('-n changes nothing and prints what rsync -n prints', async () => {
  const dest = path.join(work, 'dry');
  await fsp.mkdir(dest);
  await fsp.writeFile(path.join(dest, 'stale'), 'x');
  const before = await treeSnapshot(dest);
  const a = await tsrsync('pull', '-ni', '--delete', daemon.url('site') + '/', dest);
  const b = await runRsync(['-ani', '--delete', daemon.url('site') + '/', dest]);
  expect(a.code).toBe(0);
  expect(a.stdout.replace(/^sent.*\n|^total size.*\n/gm, '')).toBe(
    b.stdout.replace(/^sent.*\n|^total size.*\n/gm, ''),
  );
  expect(compareTrees(before, await treeSnapshot(dest))).toEqual([]);
});

it.runIf(isRoot)('as root, owner and group are kept (numeric ids from the daemon)', async () => {
  const dest = path.join(work, 'owned');
  const r = await tsrsync('pull', daemon.url('site') + '/owned.txt', dest);
  expect(r.code).toBe(0);
  const st = await fsp.stat(dest);
  expect([st.uid, st.gid]).toEqual([1234, 4321]);
});
