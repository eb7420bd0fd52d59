import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createMD4, createXXHash128, createXXHash3, createXXHash64 } from 'hash-wasm';
import { Md4 } from './md4-legacy.js';
import { DeltaError } from './errors.js';
import {
  createStrongChecksum,
  createStrongChecksumSync,
  initDelta,
  type StrongAlgorithm,
} from './strong-checksum.js';

const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');
const le32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
};
const cat = (...a: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(a));
const rev = (u: Uint8Array): Uint8Array => u.slice().reverse();

describe('Md4 (md4-legacy)', () => {
  it('RFC 1320 vectors', () => {
    expect(hex(new Md4().update(new Uint8Array()).digest())).toBe('31d6cfe0d16ae931b73c59d7e0c089c0');
    expect(hex(new Md4().update(Buffer.from('abc')).digest())).toBe('a448017aaf21d8525fc10ae87aa6729d');
  });
  it('equals hash-wasm MD4 for any input and chunking (property)', async () => {
    const ref = await createMD4();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (d, cut) => {
        const c = Math.min(cut, d.length);
        const m = new Md4().update(d.subarray(0, c)).update(d.subarray(c));
        ref.init();
        ref.update(d);
        return hex(m.digest()) === ref.digest('hex');
      }),
      { numRuns: 1000 },
    );
  });
  it('busted: no tail block on multiples of 64', async () => {
    const ref = await createMD4();
    // empty busted message = initial state
    expect(hex(new Md4({ busted: true }).digest())).toBe('0123456789abcdeffedcba9876543210');
    const d = new Uint8Array(63).fill(7);
    ref.init();
    ref.update(d);
    expect(hex(new Md4({ busted: true }).update(d).digest())).toBe(ref.digest('hex'));
    const d64 = new Uint8Array(64).fill(7);
    ref.init();
    ref.update(d64);
    expect(hex(new Md4({ busted: true }).update(d64).digest())).not.toBe(ref.digest('hex'));
  });
});

describe('createStrongChecksum seeding rules', () => {
  const data = new Uint8Array(700).map((_, i) => (i * 31 + 7) & 0xff);
  const seed = 0x12345678;

  it('xxh family: seeded blocks little-endian, unseeded whole file', async () => {
    const pairs: [StrongAlgorithm, (lo: number, hi: number) => ReturnType<typeof createXXHash64>][] = [
      ['xxh64', createXXHash64],
      ['xxh3', createXXHash3],
      ['xxh128', createXXHash128],
    ];
    for (const [alg, mk] of pairs) {
      const cs = await createStrongChecksum({ algorithm: alg, seed, protocol: 31 });
      const r = await mk(seed, 0);
      r.init();
      r.update(data);
      expect(hex(cs.blockSum(data))).toBe(hex(rev(r.digest('binary'))));
      const neg = await createStrongChecksum({ algorithm: alg, seed: -2, protocol: 31 });
      const rn = await mk(0xfffffffe, 0xffffffff);
      rn.init();
      rn.update(data);
      expect(hex(neg.blockSum(data))).toBe(hex(rev(rn.digest('binary'))));
      const f = cs.fileHasher();
      f.update(data.subarray(0, 100));
      f.update(data.subarray(100));
      const r0 = await mk(0, 0);
      r0.init();
      r0.update(data);
      expect(hex(f.digest())).toBe(hex(rev(r0.digest('binary'))));
    }
    // XXH3-128 of "" is 99aa06d3014798d8 6001c324468d497f (high, low): stored low64 LE then high64 LE
    const x = await createStrongChecksum({ algorithm: 'xxh128', seed: 0, protocol: 31 });
    expect(hex(x.fileHasher().digest())).toBe('7f498d4624c30160d8984701d306aa99');
  });

  it('md5: seed first / last / none; whole file unseeded', async () => {
    const md5 = (...a: Uint8Array[]): string =>
      createHash('md5')
        .update(cat(...a))
        .digest('hex');
    const a = await createStrongChecksum({ algorithm: 'md5', seed, protocol: 31 });
    expect(hex(a.blockSum(data))).toBe(md5(le32(seed), data));
    const b = await createStrongChecksum({ algorithm: 'md5', seed, protocol: 30, md5SeedFirst: false });
    expect(hex(b.blockSum(data))).toBe(md5(data, le32(seed)));
    const c = await createStrongChecksum({ algorithm: 'md5', seed: 0, protocol: 31 });
    expect(hex(c.blockSum(data))).toBe(md5(data));
    const f = a.fileHasher();
    f.update(data);
    expect(hex(f.digest())).toBe(md5(data));
  });

  it('md4 variants by protocol', async () => {
    const md4 = async (...a: Uint8Array[]): Promise<string> => {
      const h = await createMD4();
      h.init();
      h.update(cat(...a));
      return h.digest('hex');
    };
    for (const protocol of [27, 29, 31]) {
      const cs = await createStrongChecksum({ algorithm: 'md4', seed, protocol });
      expect(hex(cs.blockSum(data))).toBe(await md4(data, le32(seed)));
      const f = cs.fileHasher();
      f.update(data);
      expect(hex(f.digest())).toBe(protocol < 30 ? await md4(le32(seed), data) : await md4(data));
    }
    // proto 29, seed 0: whole file still gets 4 zero bytes in front (checksum.c:sum_init)
    const z = await createStrongChecksum({ algorithm: 'md4', seed: 0, protocol: 29 });
    const fz = z.fileHasher();
    fz.update(data);
    expect(hex(fz.digest())).toBe(await md4(new Uint8Array(4), data));
    expect(hex(z.blockSum(data))).toBe(await md4(data));
    // proto 26: 700 + 4 = 704 = 11*64 bytes, so the block sum is busted (raw state)
    const old = await createStrongChecksum({ algorithm: 'md4', seed, protocol: 26 });
    expect(hex(old.blockSum(data))).toBe(
      hex(new Md4({ busted: true }).update(data).update(le32(seed)).digest()),
    );
    expect(hex(old.blockSum(data))).not.toBe(await md4(data, le32(seed)));
    expect(hex(old.blockSum(data.subarray(0, 699)))).toBe(await md4(data.subarray(0, 699), le32(seed)));
  });

  it('sha1 and none', async () => {
    const s = await createStrongChecksum({ algorithm: 'sha1', seed, protocol: 31 });
    expect(hex(s.blockSum(data))).toBe(
      createHash('sha1')
        .update(cat(le32(seed), data))
        .digest('hex'),
    );
    const n = await createStrongChecksum({ algorithm: 'none', seed, protocol: 31 });
    expect(n.digestLength).toBe(1);
    expect(hex(n.fileHasher().digest())).toBe('00');
  });

  it('interleaved file hashers are independent', async () => {
    const cs = await createStrongChecksum({ algorithm: 'xxh128', seed, protocol: 31 });
    const f1 = cs.fileHasher();
    const f2 = cs.fileHasher();
    f1.update(data.subarray(0, 10));
    f2.update(data);
    f1.update(data.subarray(10));
    const a = f1.digest();
    expect(hex(f2.digest())).toBe(hex(a));
  });

  it('sync factory after initDelta(opts)', async () => {
    const opts = { algorithm: 'xxh128', seed: 0x7777, protocol: 32 } as const;
    expect(() => createStrongChecksumSync(opts)).toThrow(DeltaError);
    await initDelta(opts);
    const a = createStrongChecksumSync(opts);
    const b = await createStrongChecksum(opts);
    expect(hex(a.blockSum(data))).toBe(hex(b.blockSum(data)));
    expect(createStrongChecksumSync({ algorithm: 'md4', seed: 3, protocol: 26 }).digestLength).toBe(16);
  });
});
