/**
 * A delta push streams: the tokens of a mostly unchanged file reach the real
 * rsync daemon while the file is still being matched, so its receiver rebuilds
 * the file alongside the sender (as with rsync's sender) rather than after it.
 * The client talks to the daemon through a relay counting what it has passed on.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { ARCHIVE, PlainTokens, makeOptions, pushToDaemon, type TokenSink } from '@tsrsync/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs, startRsyncDaemon, type RsyncDaemon } from './harness.js';
import { startRecordingProxy } from './proxy.js';

type Writer = Parameters<TokenSink['block']>[0];

let daemon: RsyncDaemon;
let work: string;
let src: string;
let up: string;
beforeAll(async () => {
  work = await makeTempDir('tsrsync-push-stream-');
  src = path.join(work, 'src');
  up = path.join(work, 'up');
  await fsp.mkdir(src);
  await fsp.mkdir(up);
  daemon = await startRsyncDaemon({
    modules: { up: { path: up, extra: { 'read only': 'no', 'use chroot': 'no', 'munge symlinks': 'no' } } },
  });
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDirs();
});

it('the tokens of a mostly unchanged 64 MiB file reach the daemon while it is matched', async () => {
  const data = Buffer.alloc(64 << 20);
  for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  await fsp.writeFile(path.join(src, 'big'), data);
  data.writeUInt8(data.readUInt8(data.length >> 1) ^ 1, data.length >> 1);
  await fsp.writeFile(path.join(up, 'big'), data);
  await fsp.utimes(path.join(up, 'big'), 1_000_000_000, 1_000_000_000);

  const relay = await startRecordingProxy(daemon.port);
  // what the daemon had received from us at each token of the file
  const seen: number[] = [];
  const plain = new PlainTokens();
  const sink: TokenSink = {
    wantsBlockData: false,
    literal: (w: Writer, d: Uint8Array) => {
      plain.literal(w, d);
      seen.push(relay.sentBytes());
    },
    block: (w: Writer, i: number) => {
      plain.block(w, i);
      seen.push(relay.sentBytes());
    },
    endFile: (w: Writer) => plain.endFile(w),
  };
  try {
    const r = await pushToDaemon({
      target: { host: '127.0.0.1', port: relay.port, module: 'up' },
      sources: [`${src}/`],
      destPath: '',
      options: makeOptions({ ...ARCHIVE, wholeFile: false }),
      reporter: {},
      contimeoutMs: 10_000,
      tokens: () => sink,
    });
    expect(r.exitCode).toBe(0);
    await relay.capture;
  } finally {
    await relay.close();
  }
  expect(readFileSync(path.join(up, 'big')).equals(readFileSync(path.join(src, 'big')))).toBe(true);
  expect(seen.length).toBeGreaterThan(1000);
  // bytes of this file's tokens arrived before its last token was made: at least 4 of the
  // 8 MiB sends went out during the file (without a turn of the event loop, none did)
  let rises = 0;
  for (let i = 1; i < seen.length; i++) if (seen[i]! > seen[i - 1]!) rises++;
  expect(rises).toBeGreaterThanOrEqual(4);
}, 60_000);
