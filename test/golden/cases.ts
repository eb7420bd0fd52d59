/** The golden captures: one pull of `mod/f` per (protocol, checksum) pair. */
import type { StrongAlgorithm } from '@tsrsync/delta';

export interface GoldenCase {
  /** Fixture base name in test/golden/fixtures/. */
  name: string;
  protocol: number;
  /** `--checksum-choice`; undefined = rsync's default for the protocol (negotiated for >= 30). */
  choice?: StrongAlgorithm;
  /** The algorithm both sides end up using. */
  algorithm: StrongAlgorithm;
}

const modern: StrongAlgorithm[] = ['md4', 'md5', 'xxh64', 'xxh3', 'xxh128', 'sha1'];

export const GOLDEN_CASES: GoldenCase[] = [
  { name: 'p27-md4', protocol: 27, algorithm: 'md4' },
  { name: 'p29-md4', protocol: 29, algorithm: 'md4' },
  ...[30, 31, 32].flatMap((protocol) => [
    { name: `p${protocol}-default`, protocol, algorithm: 'xxh128' as StrongAlgorithm },
    ...modern.map((a) => ({ name: `p${protocol}-${a}`, protocol, choice: a, algorithm: a })),
  ]),
];
