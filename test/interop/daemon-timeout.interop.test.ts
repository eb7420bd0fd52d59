/**
 * A module's `timeout`: a client that goes silent in the middle of a session
 * is dropped after that many seconds with rsync's code 30, and its slot is
 * freed; real rsync's --timeout against tsrsync daemon behaves the same.
 */
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from './harness.js';
import { startTsrsyncDaemon, type TsrsyncDaemon } from './tsrsync-daemon.js';

let daemon: TsrsyncDaemon;
beforeAll(async () => {
  const work = await makeTempDir('tsrsync-dto-');
  daemon = await startTsrsyncDaemon({
    modules: { slow: { path: work, readOnly: false, extra: { timeout: '1', 'max connections': '1' } } },
  });
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDirs();
});

it(
  'a client silent after its arguments is dropped with code 30 after the module timeout',
  { timeout: 15_000 },
  async () => {
    const sock = net.connect({ host: '127.0.0.1', port: daemon.port });
    let got = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
    const closed = new Promise<number>((resolve) => sock.on('close', () => resolve(Date.now())));
    sock.on('error', () => undefined);
    await new Promise((r) => sock.once('connect', r));
    // greeting, module, arguments of a push (protocol 30+: NUL-separated, an empty one ends them)
    sock.write('@RSYNCD: 31.0 md5\n');
    sock.write('slow\n');
    for (let i = 0; i < 50 && !got.includes('@RSYNCD: OK\n'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(got.toString('latin1')).toContain('@RSYNCD: OK\n');
    for (const a of ['--server', '-logDtpre.iLsfxCIvu', '.', 'slow/x']) sock.write(`${a}\0`);
    sock.write('\0');
    const t0 = Date.now();
    // the client never sends its compat flags' answer or a file list: silence
    const t1 = await closed;
    expect(t1 - t0).toBeGreaterThan(700);
    expect(t1 - t0).toBeLessThan(6000);
    for (let i = 0; i < 100 && daemon.active > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(daemon.active).toBe(0);
    expect(daemon.log()).toMatch(/finished slow for .* with code 30/);
  },
);
