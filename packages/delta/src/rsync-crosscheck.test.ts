/**
 * Cross-check against the real rsync binary when it is installed: rsync's
 * `--debug=deltasum2` prints every block match ("match at OFFSET ... j=INDEX"),
 * which must equal the block tokens matchBlocksSync produces (and their offsets).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sumSizes } from './block-size.js';
import { matchBlocksSync } from './match.js';
import { createSignatureSync } from './signature.js';
import { createStrongChecksum } from './strong-checksum.js';

const RSYNC = process.env['TSRSYNC_RSYNC_350'] ?? '/usr/bin/rsync';

describe('matches real rsync (--debug=deltasum2)', () => {
  // Fails (never skips) without rsync: .ci/run installs it.
  beforeAll(() => {
    if (!existsSync(RSYNC)) throw new Error(`real rsync not found at ${RSYNC} (apt-get install -y rsync)`);
  });
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tsrsync-xc-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const rsyncMatches = (basis: Uint8Array, target: Uint8Array, args: string[]): string[] => {
    mkdirSync(join(dir, 'src'), { recursive: true });
    mkdirSync(join(dir, 'dst'), { recursive: true });
    writeFileSync(join(dir, 'src', 'f'), target);
    writeFileSync(join(dir, 'dst', 'f'), basis);
    const out = execFileSync(
      RSYNC,
      ['--no-whole-file', '-I', '--debug=deltasum2', ...args, join(dir, 'src', 'f'), join(dir, 'dst', 'f')],
      { encoding: 'utf8' },
    );
    const r = [...out.matchAll(/^match at (\d+) last_match=\d+ j=(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(r.length).toBeGreaterThan(0);
    return r;
  };

  const ours = async (
    basis: Uint8Array,
    target: Uint8Array,
    blockSize: number,
    protocol: number,
  ): Promise<string[]> => {
    const cs = await createStrongChecksum({
      algorithm: protocol >= 30 ? 'xxh128' : 'md4',
      seed: 0,
      protocol,
    });
    const sizes = sumSizes(basis.length, { protocol, xferSumLen: 16, blockSize });
    const sig = createSignatureSync(basis, { sizes, checksum: cs });
    const res: string[] = [];
    let off = 0;
    for (const t of matchBlocksSync(sig, target, { checksum: cs }).tokens) {
      if (t.type === 'literal') off += t.data.length;
      else {
        res.push(`${off}:${t.index}`);
        off += t.index === sizes.count - 1 && sizes.remainder ? sizes.remainder : sizes.blockLength;
      }
    }
    return res;
  };

  const cat = (...a: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(a));
  const basis = new Uint8Array(randomBytes(100_000));
  const cases: [string, Uint8Array, Uint8Array][] = [
    [
      'moved, shifted and duplicated pieces',
      basis,
      cat(basis.subarray(20_000, 30_000), randomBytes(5), basis, basis.subarray(97_000)),
    ],
    ['all zero (duplicates, want_i)', new Uint8Array(50_000), new Uint8Array(61_234)],
    ['long unmatched run then tail (early flush)', basis, cat(randomBytes(150_000), basis.subarray(99_300))],
    [
      'zero blocks inside random data',
      cat(basis.subarray(0, 7000), new Uint8Array(7000), basis.subarray(0, 7000)),
      cat(new Uint8Array(3500), basis.subarray(0, 9000), new Uint8Array(9000)),
    ],
  ];
  for (const [name, a, b] of cases) {
    it(`${name}, proto 32, 700 B blocks`, async () => {
      expect(await ours(a, b, 700, 32)).toEqual(
        rsyncMatches(a, b, ['--block-size=700', '--checksum-choice=xxh128']),
      );
    });
  }
  it('proto 29 (md4), 512 B blocks', async () => {
    const [, a, b] = cases[0]!;
    expect(await ours(a, b, 512, 29)).toEqual(rsyncMatches(a, b, ['--block-size=512', '--protocol=29']));
  });

  it('whole-file digests equal rsync --out-format=%C (sender file sum, seed 77)', async () => {
    const data = new Uint8Array(randomBytes(70_001));
    mkdirSync(join(dir, 'src'), { recursive: true });
    mkdirSync(join(dir, 'dst'), { recursive: true });
    writeFileSync(join(dir, 'src', 'h'), data);
    for (const alg of ['xxh128', 'xxh3', 'xxh64', 'md5', 'md4'] as const) {
      writeFileSync(join(dir, 'dst', 'h'), data.subarray(0, 30_000));
      const out = execFileSync(
        RSYNC,
        [
          '--no-whole-file',
          '-I',
          '--checksum-seed=77',
          `--checksum-choice=${alg}`,
          '--out-format=%C',
          join(dir, 'src', 'h'),
          join(dir, 'dst', 'h'),
        ],
        { encoding: 'utf8' },
      ).trim();
      const cs = await createStrongChecksum({ algorithm: alg, seed: 77, protocol: 32 });
      const fh = cs.fileHasher();
      fh.update(data);
      const d = fh.digest();
      // util2.c:sum_as_hex() prints xxh sums byte-reversed (canonical), md4/md5 in order
      const hex = Buffer.from(alg.startsWith('xxh') ? d.slice().reverse() : d).toString('hex');
      expect(hex, alg).toBe(out);
    }
  });

  it("weak sums equal the generator's (--debug=deltasum3 chunk lines)", async () => {
    const a = new Uint8Array(randomBytes(20_000));
    const b = a.slice(100);
    mkdirSync(join(dir, 'src'), { recursive: true });
    mkdirSync(join(dir, 'dst'), { recursive: true });
    writeFileSync(join(dir, 'src', 'w'), b);
    writeFileSync(join(dir, 'dst', 'w'), a);
    const out = execFileSync(
      RSYNC,
      [
        '--no-whole-file',
        '-I',
        '--block-size=700',
        '--debug=deltasum3',
        join(dir, 'src', 'w'),
        join(dir, 'dst', 'w'),
      ],
      { encoding: 'utf8' },
    );
    const theirs = [...out.matchAll(/^chunk\[(\d+)\] offset=\d+ len=\d+ sum1=([0-9a-f]+)/gm)].map(
      (m) => `${m[1]}:${m[2]}`,
    );
    const cs = await createStrongChecksum({ algorithm: 'xxh128', seed: 0, protocol: 32 });
    const sig = createSignatureSync(a, {
      sizes: sumSizes(a.length, { protocol: 32, xferSumLen: 16, blockSize: 700 }),
      checksum: cs,
    });
    expect(theirs.length).toBe(sig.count);
    expect(Array.from(sig.sum1, (v, i) => `${i}:${v.toString(16).padStart(8, '0')}`)).toEqual(theirs);
  });
});
