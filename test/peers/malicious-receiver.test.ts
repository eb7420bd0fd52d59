/**
 * A malicious receiver (a scripted server) asking our sender for absurd block
 * counts, block sizes, strong-sum lengths or file indexes gets a clean
 * protocol error (rsync's exit 2), never a crash, a hang or a huge allocation.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ARCHIVE,
  DataIn,
  DataOut,
  FileListDecoder,
  NdxState,
  RsyncError,
  clientInfo,
  clientSetup,
  encodeNdx,
  flistOptionsFor,
  makeOptions,
  memoryTransportPair,
  runClientSend,
} from '@tsrsync/protocol';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tsrsync-evil-recv-'));
writeFileSync(path.join(dir, 'a.txt'), 'hello world\n'.repeat(100));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Evil = (w: DataOut['w'], ndxOut: NdxState, fileNdx: number) => void;

async function attack(protocol: number, evil: Evil): Promise<RsyncError> {
  const o = makeOptions({ ...ARCHIVE, protocol, wholeFile: false });
  const [client, server] = memoryTransportPair();
  const info = clientInfo(false);
  const fake = (async () => {
    const input = new DataIn(server, new Uint8Array(0));
    const out = new DataOut(server);
    const s = await clientSetup(input, out, {
      exchangeVersions: true,
      protocol,
      info,
      options: o,
      server: { allowIncRecurse: false },
    });
    await out.startMultiplex();
    if (s.protocol >= 30) input.startMultiplex();
    const dec = new FileListDecoder(flistOptionsFor(o, s));
    dec.startList(0);
    let fileNdx = -1;
    for (let i = 0; ; i++) {
      const e = await input.read((r) => dec.decode(r));
      if (e === 'end') break;
      if (e.name === 'a.txt') fileNdx = i;
    }
    // id lists and (protocol < 30) io_error: drain whatever else arrived
    await new Promise((r) => setTimeout(r, 50));
    const ndxOut = new NdxState(s.protocol);
    evil(out.w, ndxOut, fileNdx);
    await out.flush();
    // keep the connection open: the sender must give up by itself
    await new Promise((r) => setTimeout(r, 3000));
    server.destroy();
  })();
  fake.catch(() => undefined);
  const err = await runClientSend({
    transport: client,
    leftover: new Uint8Array(0),
    protocol,
    exchangeVersions: true,
    info,
    options: o,
    sources: [`${dir}/`],
    reporter: {},
    localServer: true,
    setup: (input, out) => clientSetup(input, out, { exchangeVersions: true, protocol, info, options: o }),
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  server.destroy();
  expect(err).toBeInstanceOf(RsyncError);
  return err as RsyncError;
}

const request = (w: DataOut['w'], ndxOut: NdxState, ndx: number, protocol: number) => {
  encodeNdx(w, ndxOut, ndx);
  if (protocol >= 29) w.u16(0x8000); // ITEM_TRANSFER
};

describe.each([32, 30, 29, 27])('protocol %i', (protocol) => {
  const sumHead =
    (count: number, blength: number, s2: number, rem: number) =>
    (w: DataOut['w'], n: NdxState, f: number) => {
      request(w, n, f, protocol);
      w.i32(count).i32(blength);
      if (protocol >= 27) w.i32(s2);
      w.i32(rem);
    };
  it('a block count of 2^31-1', { timeout: 5000 }, async () => {
    const e = await attack(protocol, sumHead(0x7fffffff, 700, 2, 0));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/invalid checksum count/);
  });
  it('a negative block count', { timeout: 5000 }, async () => {
    const e = await attack(protocol, sumHead(-5, 700, 2, 0));
    expect(e.exitCode).toBe(2);
  });
  it('a block length above the protocol maximum', { timeout: 5000 }, async () => {
    const e = await attack(protocol, sumHead(1, protocol >= 30 ? (1 << 17) + 1 : (1 << 29) + 1, 2, 0));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/invalid block length/);
  });
  it('a strong-sum length above the digest length', { timeout: 5000 }, async () => {
    const e = await attack(protocol, sumHead(1, 700, 64, 0));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/invalid checksum length/);
  });
  it('a remainder larger than the block', { timeout: 5000 }, async () => {
    const e = await attack(protocol, sumHead(2, 700, 2, 701));
    expect(e.exitCode).toBe(2);
  });
  it('a file index past the list', { timeout: 5000 }, async () => {
    const e = await attack(protocol, (w, n) => request(w, n, 99999, protocol));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/Invalid file index/);
  });
  it('a transfer request for a directory', { timeout: 5000 }, async () => {
    const e = await attack(protocol, (w, n) => request(w, n, 0, protocol));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/non-regular file/);
  });
});
