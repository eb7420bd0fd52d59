import zlib from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CompressName } from '../options/transfer-options.js';
import { DataIn } from '../session/data-in.js';
import { WireReader } from '../wire/reader.js';
import { WireWriter } from '../wire/writer.js';
import { TokenReader } from './token-reader.js';
import { TokenWriter, loadZstdEncoder } from './token-writer.js';

const KINDS = ['none', 'zlib', 'zlibx', 'zstd', 'lz4'] as const satisfies readonly CompressName[];
const SYNC_TAIL = Uint8Array.of(0, 0, 0xff, 0xff);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const nullTransport = {
  read: async () => null,
  write: async () => {},
  end: async () => {},
  destroy: () => {},
};

beforeAll(() => loadZstdEncoder());

/** xorshift32 bytes: random, words from a small vocabulary, or an edited copy of the basis. */
function content(seed: number, n: number, mode: number, basis: Uint8Array): Uint8Array {
  let s = seed | 1;
  const rnd = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), s >>> 0);
  const out = new Uint8Array(n);
  const words = ['rsync ', 'token ', 'deflate ', 'block\n', 'run ', '0x40 ', 'zstd '];
  for (let p = 0; p < n;) {
    if (mode === 0) out[p++] = rnd() & 0xff;
    else if (mode === 1 || basis.length === 0) {
      for (const c of words[rnd() % words.length]!) if (p < n) out[p++] = c.charCodeAt(0);
    } else {
      const from = rnd() % basis.length;
      const piece = basis.subarray(from, from + Math.min(n - p, 1 + (rnd() % 4000)));
      out.set(piece, p);
      p += piece.length;
      if (p < n) out[p++] = rnd() & 0xff;
    }
  }
  return out;
}

type Op = { lit: number; mode: number; cut: number } | { block: number; run: number };
interface FileSpec {
  blen: number;
  count: number;
  seed: number;
  ops: Op[];
}
interface Built {
  blocks: Uint8Array[];
  expected: Uint8Array;
  /** What a "zlib" inflater outputs when fed the stored matched blocks (protocol < 31 repeats pieces). */
  history: Uint8Array;
  lits: Uint8Array;
}

/** Writes the files through one TokenWriter; returns the stream and what each file must decode to. */
function writeFiles(
  kind: CompressName,
  protocol: number,
  files: FileSpec[],
): { stream: Uint8Array; built: Built[] } {
  const tw = new TokenWriter(kind, protocol);
  const w = new WireWriter();
  const built = files.map((f) => {
    const basis = content(f.seed, f.blen * f.count, 1 + (f.seed & 1), new Uint8Array(0));
    const blocks = Array.from({ length: f.count }, (_, i) => basis.subarray(i * f.blen, (i + 1) * f.blen));
    const parts: Uint8Array[] = [];
    const history: Uint8Array[] = [];
    const lits: Uint8Array[] = [];
    f.ops.forEach((op, k) => {
      if ('lit' in op) {
        const data = content(f.seed + k, op.lit, op.mode, basis);
        parts.push(data.slice());
        history.push(parts.at(-1)!);
        lits.push(parts.at(-1)!);
        const cut = op.cut % (data.length + 1);
        tw.literal(w, data.subarray(0, cut));
        tw.literal(w, data.subarray(cut));
        data.fill(0x55); // the writer must not keep the caller's buffer
      } else if (f.count > 0) {
        for (let i = op.block % f.count, r = 0; r < op.run && i < f.count; i++, r++) {
          tw.block(w, i, kind === 'zlib' ? blocks[i]! : new Uint8Array(0));
          parts.push(blocks[i]!);
          history.push(...storedBlocks(blocks[i]!, protocol).filter((_, j) => j % 2 === 1));
        }
      }
    });
    tw.endFile(w);
    return {
      blocks,
      expected: Buffer.concat(parts),
      history: Buffer.concat(history),
      lits: Buffer.concat(lits),
    };
  });
  return { stream: w.finish(), built };
}

/** Decodes every file with TokenReader; the whole stream must be consumed. */
async function readFiles(
  kind: CompressName,
  protocol: number,
  stream: Uint8Array,
  built: Built[],
): Promise<Uint8Array[]> {
  const input = new DataIn(nullTransport, stream);
  const tr = new TokenReader(kind, protocol);
  const outs: Uint8Array[] = [];
  for (const b of built) {
    const parts: Uint8Array[] = [];
    await tr.readFile(input, b.blocks.length, {
      literal: (d) => void parts.push(d.slice()),
      block: (i) => (parts.push(b.blocks[i]!), b.blocks[i]!),
    });
    outs.push(Buffer.concat(parts));
  }
  expect(input.available).toBe(0);
  return outs;
}

type Ev = { data: Uint8Array } | { token: number; run: number };
/** Splits a compressed stream into files of DEFLATED_DATA payloads and block runs, checking frame sizes. */
function splitCompressed(stream: Uint8Array): Ev[][] {
  const r = new WireReader(stream);
  const files: Ev[][] = [];
  let evs: Ev[] = [];
  let last = 0;
  while (r.remaining > 0) {
    const flag = r.u8();
    if (flag === 0) {
      files.push(evs);
      evs = [];
      last = 0;
    } else if ((flag & 0xc0) === 0x40) {
      const n = ((flag & 0x3f) << 8) | r.u8();
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(16383);
      evs.push({ data: r.bytes(n).slice() });
    } else {
      const token = flag & 0x80 ? last + (flag & 0x3f) : r.i32();
      const run = (flag & 0x80 ? flag >> 6 : flag) & 1 ? r.u8() | (r.u8() << 8) : 0;
      if (run) expect(run).toBeGreaterThan(0);
      evs.push({ token, run });
      last = token + run;
    }
  }
  expect(evs).toEqual([]);
  return files;
}

/** Plain stream: literal lengths must be 1..32768. */
function checkPlain(stream: Uint8Array): void {
  const r = new WireReader(stream);
  while (r.remaining > 0) {
    const t = r.i32();
    if (t > 0) {
      expect(t).toBeLessThanOrEqual(32768);
      r.bytes(t);
    }
  }
}

/** Stored blocks that put `block` into an inflater's window (token.c:see_deflate_token()). */
function storedBlocks(block: Uint8Array, protocol: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0, left = block.length; left > 0;) {
    const n = Math.min(left, 0xffff);
    out.push(Uint8Array.of(0, n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff));
    out.push(protocol >= 31 ? block.subarray(off, off + n) : block.subarray(0, n));
    if (protocol >= 31) off += n;
    left -= n;
  }
  return out;
}

/** Node's zlib as an independent decoder: payloads + restored sync tails (+ stored matched blocks for "zlib"). */
function inflateWithNode(kind: 'zlib' | 'zlibx', protocol: number, evs: Ev[], b: Built): void {
  const raw: Uint8Array[] = [];
  let data = false;
  for (const e of [...evs, { token: -1, run: 0 }]) {
    if ('data' in e) {
      raw.push(e.data);
      data = true;
      continue;
    }
    if (data) raw.push(SYNC_TAIL);
    data = false;
    for (let i = e.token; kind === 'zlib' && i >= 0 && i <= e.token + e.run; i++)
      raw.push(...storedBlocks(b.blocks[i]!, protocol));
  }
  const got = zlib.inflateRawSync(Buffer.concat(raw), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  expect(hex(got)).toBe(hex(kind === 'zlib' ? b.history : b.lits));
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ lit: fc.integer({ min: 0, max: 4000 }), mode: fc.nat(2), cut: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ lit: fc.integer({ min: 30000, max: 140000 }), mode: fc.nat(2), cut: fc.nat() }),
  },
  { weight: 5, arbitrary: fc.record({ block: fc.nat(), run: fc.integer({ min: 1, max: 6 }) }) },
);
const fileArb: fc.Arbitrary<FileSpec> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record({
      blen: fc.integer({ min: 1, max: 2000 }),
      count: fc.nat(100),
      seed: fc.integer(),
      ops: fc.array(opArb, { maxLength: 12 }),
    }),
  },
  {
    // blocks over 0xffff bytes: inserted in pieces (protocol < 31 repeats the first)
    weight: 1,
    arbitrary: fc.record({
      blen: fc.integer({ min: 65530, max: 131072 }),
      count: fc.integer({ min: 1, max: 3 }),
      seed: fc.integer(),
      ops: fc.array(opArb, { maxLength: 6 }),
    }),
  },
);

describe.each(KINDS)('TokenWriter %s', (kind) => {
  it('round-trips files of literals and blocks through TokenReader, protocols 27-32', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 27, max: 32 }),
        fc.array(fileArb, { minLength: 1, maxLength: 3 }),
        async (protocol, files) => {
          const { stream, built } = writeFiles(kind, protocol, files);
          const outs = await readFiles(kind, protocol, stream, built);
          outs.forEach((o, i) => expect(Buffer.compare(o, built[i]!.expected)).toBe(0));
          if (kind === 'none') return checkPlain(stream);
          const split = splitCompressed(stream);
          expect(split.length).toBe(files.length);
          if (kind === 'zlib' || kind === 'zlibx')
            split.forEach((evs, i) => inflateWithNode(kind, protocol, evs, built[i]!));
        },
      ),
      {
        numRuns: 200,
        // found by this property: a second tiny zstd frame held back by fzstd after a first one
        examples: [
          [
            27,
            [
              { blen: 1, count: 0, seed: 0, ops: [{ lit: 9, mode: 0, cut: 0 }] },
              { blen: 1, count: 0, seed: 0, ops: [{ lit: 1, mode: 0, cut: 0 }] },
              { blen: 1, count: 0, seed: 0, ops: [] },
            ],
          ],
        ],
      },
    );
  });
});

describe('TokenWriter token encoding', () => {
  const EMPTY = new Uint8Array(0);
  const te = new TextEncoder();
  function enc(files: (number | string)[][], kind: CompressName = 'zlibx'): string {
    const tw = new TokenWriter(kind, 31);
    const w = new WireWriter();
    for (const f of files) {
      for (const t of f) {
        if (typeof t === 'number') tw.block(w, t, EMPTY);
        else tw.literal(w, te.encode(t));
      }
      tw.endFile(w);
    }
    return hex(w.finish());
  }

  it('writes runs of consecutive blocks relative to the previous run (TOKEN_REL / TOKENRUN_REL)', () => {
    expect(enc([[0]])).toBe('8000');
    expect(enc([[0, 1]])).toBe('c0010000');
    // the decoding example of the protocol notes: c0 01 00 = 0,1; c2 01 00 = 3,4
    expect(enc([[0, 1, 3, 4]])).toBe('c00100c2010000');
    expect(enc([[63]])).toBe('bf00');
  });

  it('falls back to TOKEN_LONG / TOKENRUN_LONG for jumps back or beyond 63', () => {
    expect(enc([[64]])).toBe('204000000000');
    expect(enc([[100, 101, 102]])).toBe('2164000000020000');
    expect(enc([[5, 0, 2]])).toBe('85' + '2000000000' + '82' + '00');
    expect(enc([[0, 1, 3, 4, 0, 2]])).toBe('c00100c20100' + '2000000000' + '8200');
  });

  it('never writes a run of more than 65536 blocks, nor a run count of 0', () => {
    const blocks = Array.from({ length: 70000 }, (_, i) => i);
    expect(enc([blocks])).toBe('c0ffff' + 'c16f11' + '00');
  });

  it('starts every file at block 0 and ends it with END_FLAG; an empty file is just END_FLAG', () => {
    expect(enc([[0], [], [1, 2]])).toBe('8000' + '00' + 'c1010000');
  });

  it('writes a block run before the literal data that follows it', () => {
    const files = splitCompressed(Buffer.from(enc([[0, 'hello hello hello', 1]]), 'hex'));
    expect(files).toHaveLength(1);
    const evs = files[0]!;
    expect(evs[0]).toEqual({ token: 0, run: 0 });
    expect('data' in evs[1]!).toBe(true);
    expect(evs.at(-1)).toEqual({ token: 1, run: 0 });
  });

  it('plain: int32 literal length + bytes, -(index+1), 0 at the end', () => {
    expect(enc([[0, 'abc', 3]], 'none')).toBe('ffffffff' + '03000000616263' + 'fcffffff' + '00000000');
  });

  it('rejects invalid block indexes, and zlib blocks without their data', () => {
    const w = new WireWriter();
    expect(() => new TokenWriter('zlibx', 31).block(w, -1, EMPTY)).toThrow(RangeError);
    expect(() => new TokenWriter('none', 31).block(w, 0x7fffffff, EMPTY)).toThrow(RangeError);
    expect(() => new TokenWriter('zlib', 31).block(w, 0, EMPTY)).toThrow(RangeError);
  });
});

describe('TokenWriter frame sizes', () => {
  const random = content(99, 200_000, 0, new Uint8Array(0));
  function one(kind: CompressName, data: Uint8Array): Uint8Array {
    const tw = new TokenWriter(kind, 31);
    const w = new WireWriter();
    tw.literal(w, data);
    tw.endFile(w);
    return w.finish();
  }

  it('cuts plain literals into 32 KiB tokens', () => {
    const r = new WireReader(one('none', random.subarray(0, 100_000)));
    const lens: number[] = [];
    for (let t = r.i32(); t !== 0; t = r.i32()) lens.push(t, r.bytes(t).length);
    expect(lens.filter((_, i) => i % 2 === 0)).toEqual([32768, 32768, 32768, 1696]);
  });

  it.each(['zlib', 'zlibx', 'zstd', 'lz4'] as const)(
    '%s: DEFLATED_DATA frames of at most 16383 bytes',
    (kind) => {
      const evs = splitCompressed(one(kind, random))[0]!;
      const sizes = evs.map((e) => ('data' in e ? e.data.length : -1));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(16383);
      // incompressible input: deflate fills frames (16379 when a sync tail was held back), lz4 halves to 8191
      if (kind === 'lz4') expect(Math.max(...sizes)).toBeLessThan(8191 + 64);
      else expect(Math.max(...sizes)).toBeGreaterThanOrEqual(16379);
    },
  );
});

describe('TokenWriter zlib protocol < 31', () => {
  it('inserts a block over 0xffff bytes as its first piece repeated, like rsync before protocol 31', async () => {
    const files: FileSpec[] = [
      {
        blen: 100_000,
        count: 2,
        seed: 3,
        ops: [
          { block: 0, run: 2 },
          { lit: 5000, mode: 2, cut: 0 },
        ],
      },
    ];
    const s30 = writeFiles('zlib', 30, files);
    const s31 = writeFiles('zlib', 31, files);
    expect(hex(s30.stream)).not.toBe(hex(s31.stream));
    for (const [p, s] of [
      [30, s30],
      [31, s31],
    ] as const) {
      const [out] = await readFiles('zlib', p, s.stream, s.built);
      expect(Buffer.compare(out!, s.built[0]!.expected)).toBe(0);
      inflateWithNode('zlib', p, splitCompressed(s.stream)[0]!, s.built[0]!);
    }
  });
});
