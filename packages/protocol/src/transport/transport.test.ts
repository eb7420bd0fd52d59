import { describe, expect, test } from 'vitest';
import { ByteReader } from './byte-reader.js';
import { memoryTransportPair } from './transport.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('memory transport + ByteReader', () => {
  test('lines, exact reads, readSome across chunk boundaries', async () => {
    const [a, z] = memoryTransportPair();
    const r = new ByteReader(z);
    await a.write(b('hel'));
    await a.write(b('lo\r\nwor'));
    await a.write(b('ld\nABCDEFG'));
    await a.end();
    expect(await r.readLine()).toBe('hello');
    expect(await r.readLine()).toBe('world');
    expect(Buffer.from(await r.readExact(3)).toString()).toBe('ABC');
    expect(Buffer.from((await r.readSome()) ?? []).toString()).toBe('DEFG');
    expect(await r.readSome()).toBeNull();
    expect(await r.readLine()).toBeNull();
  });
  test('bounded line length and mid-line EOF', async () => {
    const [a, z] = memoryTransportPair();
    const r = new ByteReader(z);
    await a.write(b('x'.repeat(100) + '\n'));
    await expect(r.readLine(10)).rejects.toThrow(/too long/);
    const [c, d] = memoryTransportPair();
    const r2 = new ByteReader(d);
    await c.write(b('partial'));
    await c.end();
    await expect(r2.readLine()).rejects.toThrow(/middle of a line/);
    const [e, f] = memoryTransportPair();
    const r3 = new ByteReader(f);
    await e.write(b('ab'));
    await e.end();
    await expect(r3.readExact(3)).rejects.toThrow(/wanted 3/);
  });
  test('NUL in a line is refused', async () => {
    const [a, z] = memoryTransportPair();
    await a.write(b('a\0b\n'));
    await expect(new ByteReader(z).readLine()).rejects.toThrow(/NUL/);
  });
  test('back-pressure: write waits until the reader drains', async () => {
    const [a, z] = memoryTransportPair({ highWaterMark: 4 });
    let done = false;
    const p = a.write(b('12345678')).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    await z.read();
    await p;
    expect(done).toBe(true);
  });
  test('destroy rejects pending reads on both sides', async () => {
    const [a, z] = memoryTransportPair();
    const p = z.read();
    a.destroy(new Error('boom'));
    await expect(p).rejects.toThrow(/reset/);
    await expect(a.read()).rejects.toThrow(/boom/);
  });
});
