/**
 * The fixture tree of the pull/push interop tests: what a website backup
 * meets, plus the corner cases that break implementations.
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { prng } from '../golden/data.js';

export interface FixtureOptions {
  /** Size of the big file (default 50 MiB). */
  bigSize?: number;
}

/** `touch -d @SEC.NSEC` (the test may use system tools; tsrsync itself never does). */
export function setMtimeNs(p: string, sec: number, nsec: number): void {
  execFileSync('touch', ['-h', '-d', `@${sec}.${String(nsec).padStart(9, '0')}`, p]);
}

export async function makeFixtureTree(root: string, o: FixtureOptions = {}): Promise<void> {
  const j = (...p: string[]) => path.join(root, ...p);
  await fsp.mkdir(j('site/css'), { recursive: true });
  await fsp.mkdir(j('site/img/thumbs'), { recursive: true });
  await fsp.mkdir(j('empty-dir'), { recursive: true });
  await fsp.mkdir(j('deep/a/b/c/d/e'), { recursive: true });
  await fsp.writeFile(j('site/index.html'), '<html><body>hello</body></html>\n');
  await fsp.writeFile(j('site/css/style.css'), 'body { color: #333; }\n'.repeat(200));
  await fsp.writeFile(j('site/img/logo.png'), prng(11, 30_000));
  await fsp.writeFile(j('site/img/thumbs/t1.jpg'), prng(12, 5_000));
  await fsp.writeFile(j('deep/a/b/c/d/e/leaf.txt'), 'leaf\n');
  await fsp.writeFile(j('empty-file'), '');
  await fsp.writeFile(j('name with spaces.txt'), 'spaces\n');
  await fsp.writeFile(j('Eredità.txt'), 'utf-8 name\n');
  await fsp.writeFile(j(`${'n'.repeat(196)}.txt`), '200-byte name\n');
  await fsp.writeFile(j('big.bin'), prng(13, o.bigSize ?? 50 * 1024 * 1024));
  await fsp.writeFile(j('run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  await fsp.chmod(j('run.sh'), 0o755);
  await fsp.writeFile(j('private.txt'), 'secret-ish\n');
  await fsp.chmod(j('private.txt'), 0o600);
  await fsp.symlink('site/index.html', j('link-rel'));
  await fsp.symlink('../../site/css/style.css', j('deep/a/link-up'));
  await fsp.symlink('does/not/exist', j('link-dangling'));
  await fsp.writeFile(j('hard1'), 'hard-linked\n');
  await fsp.link(j('hard1'), j('site/hard2'));
  await fsp.link(j('hard1'), j('deep/hard3'));
  // old mtimes with nanoseconds, on files, a dir and a symlink
  setMtimeNs(j('site/index.html'), 1_000_000_000, 123_456_789);
  setMtimeNs(j('big.bin'), 1_200_000_000, 999_999_999);
  setMtimeNs(j('Eredità.txt'), 946_684_800, 1);
  setMtimeNs(j('link-rel'), 1_100_000_000, 500_000_000);
  setMtimeNs(j('deep/a/b'), 1_300_000_000, 42);
}

/** `dir/tiny/`: files whose compressed form is shorter than a zstd frame header's maximum. */
export async function addTinyFiles(dir: string): Promise<void> {
  await fsp.mkdir(path.join(dir, 'tiny'));
  for (const [n, body] of [
    ['a', 'x'],
    ['b', ''],
    ['c', 'yy'],
    ['d', 'z'.repeat(40)],
  ] as const)
    await fsp.writeFile(path.join(dir, 'tiny', n), body);
}
