import fc from 'fast-check';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { RsyncError } from '../errors.js';
import { portTransport, reviveError, serializeError } from './port-transport.js';

async function readAll(t: { read(): Promise<Uint8Array | null> }): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (let c = await t.read(); c !== null; c = await t.read()) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describe('portTransport', () => {
  it('any writes arrive whole and in order, with a writer held back by a small high-water mark', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 300_000 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 1 << 20 }),
        async (sizes, hwm) => {
          const { port1, port2 } = new MessageChannel();
          const a = portTransport(port1, { highWaterMark: hwm });
          const b = portTransport(port2, { highWaterMark: hwm });
          let seed = 1;
          const chunks = sizes.map((n) =>
            Buffer.from(Array.from({ length: n }, () => (seed = (seed * 33 + 7) & 0xff))),
          );
          const reading = readAll(b);
          const reused = Buffer.alloc(300_000);
          for (const c of chunks) {
            // the caller may reuse its buffer once write() resolved
            c.copy(reused);
            await a.write(reused.subarray(0, c.length));
            reused.fill(0);
          }
          await a.end();
          expect((await reading).equals(Buffer.concat(chunks))).toBe(true);
          port1.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('destroy on one side fails the other, with the cause', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = portTransport(port1);
    const b = portTransport(port2);
    const pending = b.read();
    a.destroy(new RsyncError('boom', 'PROTOCOL', 2));
    await expect(pending).rejects.toThrow('connection reset by peer');
    await expect(a.write(new Uint8Array(1))).rejects.toThrow('boom');
    port1.close();
  });

  it('messages that are not traffic keep their place after the bytes', async () => {
    const { port1, port2 } = new MessageChannel();
    const seen: string[] = [];
    const a = portTransport(port1);
    const b = portTransport(port2, { onOther: (m) => seen.push(String((m as { k: string }).k)) });
    await a.write(Buffer.from('abc'));
    a.send({ k: 'after-abc' });
    await a.end();
    expect((await readAll(b)).toString()).toBe('abc');
    expect(seen).toEqual(['after-abc']);
    port1.close();
  });

  it('an RsyncError crosses with its code and exit code', () => {
    const e = reviveError(serializeError(new RsyncError('bad', 'PROTOCOL', 2)));
    expect(e).toBeInstanceOf(RsyncError);
    expect((e as RsyncError).exitCode).toBe(2);
    expect(e.message).toBe('bad');
  });
});
