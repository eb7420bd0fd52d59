/**
 * A pushing client that sends a file list without end, to a `tsrsync daemon`
 * whose heap is small (`NODE_OPTIONS=--max-old-space-size=128`): the session ends with
 * rsync's "out of memory" error, the daemon goes on serving (a V8 heap abort
 * would end every connection of the process), and a real rsync pull works
 * afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { FileListEncoder, WireWriter } from '@tsrsync/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { prng } from '../golden/data.js';
import {
  compareTrees,
  connectable,
  freePort,
  makeTempDir,
  removeTempDirs,
  REPO_ROOT,
  runRsync,
  treeSnapshot,
} from './harness.js';
import { RawClient } from './raw-client.js';

const BIN = path.join(REPO_ROOT, 'packages/cli/bin/tsrsync.js');
const OK = '@RSYNCD: OK\n';
let work: string;
let pub: string;
let port: number;
let daemon: ChildProcess;
let stderr = '';

/** A multiplexed MSG_DATA frame. */
function dataFrame(payload: Uint8Array): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32LE(((7 << 24) | payload.length) >>> 0);
  return Buffer.concat([h, payload]);
}

beforeAll(async () => {
  work = await makeTempDir('tsrsync-dmem-');
  pub = path.join(work, 'pub');
  await fsp.mkdir(path.join(work, 'up'), { recursive: true });
  await fsp.mkdir(path.join(work, 'nob'), { mode: 0o777 });
  await fsp.chmod(path.join(work, 'nob'), 0o777);
  await fsp.mkdir(pub);
  await fsp.writeFile(path.join(pub, 'a.bin'), prng(31, 200_000));
  await fsp.writeFile(path.join(pub, 'b.txt'), 'b\n');
  const conf = path.join(work, 'rsyncd.conf');
  const ids = process.geteuid?.() === 0 ? 'uid = root\ngid = root\n' : '';
  await fsp.writeFile(
    conf,
    `use chroot = no\nmunge symlinks = no\n${ids}log file = ${work}/tsrsyncd.log\n` +
      `[up]\n  path = ${work}/up\n  read only = no\n[pub]\n  path = ${pub}\n` +
      // as root, a module of another user is served by a session process of its own
      `[nob]\n  path = ${work}/nob\n  read only = no\n  uid = nobody\n  gid = nogroup\n`,
  );
  port = await freePort();
  daemon = spawn(
    process.execPath,
    [BIN, 'daemon', '--no-detach', `--config=${conf}`, `--port=${port}`, '--address=127.0.0.1'],
    // NODE_OPTIONS: the session processes get the small heap too
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=128' },
    },
  );
  daemon.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  for (let i = 0; i < 400 && !(await connectable(port)); i++) await new Promise((r) => setTimeout(r, 25));
}, 20_000);

afterAll(async () => {
  if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  await removeTempDirs();
});

// as root (CI), also a module served by a session process of the module's user; an eager client
// sends its list before the server's setup (rsync's client waits for it), which for a session
// process means during the handoff of the connection: no byte may be lost there
const modules: [string, boolean][] = [['up', false]];
if (process.geteuid?.() === 0) modules.push(['nob', false], ['nob', true]);

it.each(modules)(
  'an endless file list pushed into module %s (eager: %s) with a small heap: "out of memory" for that client, the daemon serves on',
  { timeout: 90_000 },
  async (mod, eager) => {
    const c = await RawClient.connect(port);
    c.write(`@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n${mod}\n`);
    expect(await c.until(() => c.text.includes(OK), 5000), c.text).toBe(true);
    c.write(Buffer.from(`--server\0-r\0.\0${mod}/x/\0\0`, 'latin1'));
    // as rsync's client, send nothing before the server's compat flags and checksum seed
    const setupEnd = () => c.text.indexOf(OK) + OK.length + 5;
    if (!eager) expect(await c.until(() => c.received.length >= setupEnd(), 5000), c.text).toBe(true);
    const enc = new FileListEncoder({ protocol: 32 });
    const w = new WireWriter();
    enc.encode(w, { nameBytes: Buffer.from('.'), mode: 0o040755, size: 0, mtime: 1 });
    const deadline = Date.now() + 60_000;
    for (let i = 0; !c.closed && Date.now() < deadline; i++) {
      enc.encode(w, { nameBytes: Buffer.from(`f${i}`), mode: 0o100644, size: i, mtime: 1_600_000_000 + i });
      if (i % 10_000 === 0) {
        const bytes = w.finish();
        w.reset();
        for (let p = 0; p < bytes.length; p += 0xffff) c.write(dataFrame(bytes.subarray(p, p + 0xffff)));
        // read what the daemon says (a turn of the event loop), and wait while it is behind, as
        // a real sender does
        do await new Promise((r) => setTimeout(r, 1));
        while (!c.closed && c.sock.writableLength > 1 << 20 && Date.now() < deadline);
      }
    }
    expect(await c.waitClosed(10_000), 'the daemon ended the session').toBe(true);
    expect(c.received.toString('latin1')).toMatch(/out of memory in flist_expand/);
    expect({ exit: daemon.exitCode, signal: daemon.signalCode, stderr }).toMatchObject({
      exit: null,
      signal: null,
    });
    expect(stderr).not.toMatch(/heap out of memory|FATAL ERROR/);
    const dest = path.join(work, `pulled-${mod}-${eager}`);
    const r = await runRsync(['-a', `rsync://127.0.0.1:${port}/pub/`, dest], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(compareTrees(await treeSnapshot(pub), await treeSnapshot(dest), { ignoreRoot: true })).toEqual([]);
  },
);
