import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { readIntoUserBuffer } from './user-buffer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open: net.Server[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** A loopback connection: [accepted socket (paused, as the daemon's), client socket]. */
async function pair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  open.push(server);
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', r));
  const s = await accepted;
  s.pause();
  return [s, client];
}

describe('readIntoUserBuffer', () => {
  test('bytes the stream already buffered come back first, later reads go to the callback', async () => {
    const [s, client] = await pair();
    client.write('hello ');
    for (let i = 0; i < 100 && s.readableLength === 0; i++) {
      s.read(0);
      await sleep(5);
    }
    expect(s.readableLength).toBe(6);
    const buf = Buffer.alloc(64);
    const got: string[] = [];
    const bufs = new Set<ArrayBufferLike>();
    const before = readIntoUserBuffer(s, buf, (n, b) => {
      bufs.add(b.buffer);
      got.push(b.subarray(0, n).toString());
      return true;
    });
    expect(before?.map(String)).toEqual(['hello ']);
    client.end('world');
    await new Promise((r) => s.once('end', r));
    expect(got.join('')).toBe('world');
    expect([...bufs]).toEqual([buf.buffer]);
    // a second switch finds the slots in use and changes nothing
    expect(readIntoUserBuffer(s, Buffer.alloc(8), () => true)).toBeUndefined();
    s.destroy();
  });
});
