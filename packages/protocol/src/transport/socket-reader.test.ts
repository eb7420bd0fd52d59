import { randomBytes } from 'node:crypto';
import net from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { duplexTransport } from './transport.js';
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

/** Writes `data` in pieces of the given sizes (cycled), then ends. */
async function send(client: net.Socket, data: Buffer, sizes: number[]): Promise<void> {
  let p = 0;
  for (let k = 0; p < data.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    const piece = data.subarray(p, p + n);
    p += piece.length;
    if (!client.write(piece)) await new Promise((r) => client.once('drain', r));
  }
  await new Promise<void>((r) => client.end(r));
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

describe('streamTransport readInto over a socket', () => {
  /** Reads `t` to its end through readInto(), sleeping `pause()` ms after each read when non-zero. */
  async function drain(t: ReturnType<typeof duplexTransport>, pause: (k: number) => number) {
    const parts: Buffer[] = [];
    const views = new Map<ArrayBufferLike, number>();
    let k = 0;
    while (
      await t.readInto!((c) => {
        views.set(c.buffer, (views.get(c.buffer) ?? 0) + 1);
        parts.push(Buffer.from(c));
      })
    ) {
      const ms = pause(k++);
      if (ms > 0) await sleep(ms);
    }
    return { bytes: Buffer.concat(parts), views };
  }

  test('a consumer that keeps up gets the bytes straight out of the one read buffer', async () => {
    const [s, client] = await pair();
    const t = duplexTransport(s);
    const data = randomBytes(6 << 20);
    const sending = send(client, data, [1, 70_000, 300, 262_144, 5_000]);
    const { bytes, views } = await drain(t, () => 0);
    await sending;
    expect(bytes.equals(data)).toBe(true);
    expect(Math.max(...views.values())).toBeGreaterThan(10);
    expect(await t.readInto!(() => undefined)).toBe(false);
    expect(await t.read()).toBeNull();
  });

  test('a slow consumer: the transport queues, stops the socket, resumes it, loses nothing', async () => {
    const [s, client] = await pair();
    const t = duplexTransport(s);
    const data = randomBytes(6 << 20);
    const sending = send(client, data, [65_536, 1_000_000, 7]);
    let stopped = 0;
    const handle = () => (s as unknown as { _handle: { reading: boolean } | null })._handle;
    const { bytes } = await drain(t, (k) => {
      if (handle()?.reading === false) stopped++;
      return k % 4 === 0 ? 30 : 0;
    });
    await sending;
    expect(bytes.equals(data)).toBe(true);
    expect(stopped).toBeGreaterThan(0);
  });

  test('read() after readInto() goes on with the same stream', async () => {
    const [s, client] = await pair();
    const t = duplexTransport(s);
    client.write('abc');
    let first = '';
    expect(await t.readInto!((c) => (first += Buffer.from(c).toString()))).toBe(true);
    client.end('def');
    let rest = '';
    for (let c = await t.read(); c !== null; c = await t.read()) rest += Buffer.from(c).toString();
    expect(first + rest).toBe('abcdef');
  });

  test('a sink that throws rejects the read; a reset connection rejects the next', async () => {
    const [s, client] = await pair();
    const t = duplexTransport(s);
    const p = t.readInto!(() => {
      throw new Error('bad frame');
    });
    client.write('x');
    await expect(p).rejects.toThrow(/bad frame/);
    client.resetAndDestroy();
    await expect(
      (async () => {
        while (await t.readInto!(() => undefined));
      })(),
    ).rejects.toThrow(/connection error/);
  });

  test('property: any write pattern and consumer pauses give back the bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 << 20 }),
        fc.array(fc.integer({ min: 1, max: 300_000 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }),
        async (size, sizes, pauses) => {
          const [s, client] = await pair();
          const t = duplexTransport(s);
          const data = randomBytes(size);
          const sending = send(client, data, sizes);
          const parts: Buffer[] = [];
          let k = 0;
          while (await t.readInto!((c) => parts.push(Buffer.from(c)))) {
            const ms = pauses[k++ % pauses.length]!;
            if (ms > 0) await sleep(ms);
          }
          await sending;
          s.destroy();
          expect(Buffer.concat(parts).equals(data)).toBe(true);
        },
      ),
      { numRuns: 12 },
    );
  });
});
