/**
 * packages/cli/bin/tsrsync.js runs the one-module build (packages/cli/dist/bundle, made by
 * packages/cli/scripts/bundle.mjs) when it is newer than every package's last build. The
 * parts a bundle can break: the local-copy worker started beside it, yaml left outside it
 * and hash-wasm's builds loaded through require(). (zstd-wasm, also outside: the zstd cases
 * of test/interop/shell-transfer.interop.test.ts run this bin.)
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../interop/rsync-binary.js';

const run = promisify(execFile);
const BIN = path.join(REPO_ROOT, 'packages/cli/bin/tsrsync.js');
const BUNDLE = path.join(REPO_ROOT, 'packages/cli/dist/bundle/tsrsync.js');

async function cli(env: Record<string, string>, ...args: string[]) {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrsync-bundle-'));
  const src = path.join(tmp, 'src');
  fs.mkdirSync(path.join(src, 'sub/deeper'), { recursive: true });
  for (let i = 0; i < 20; i++)
    fs.writeFileSync(path.join(src, 'sub', `f${i}.txt`), `file ${i}\n`.repeat(i * 50));
  fs.writeFileSync(path.join(src, 'sub/deeper/big.bin'), Buffer.alloc(300_000, 9));
  fs.symlinkSync('sub/f1.txt', path.join(src, 'link'));
  fs.linkSync(path.join(src, 'sub/f2.txt'), path.join(src, 'hard.txt'));
  // times in the past: rsync (and tsrsync) leave a directory's or symlink's time alone when
  // it is within the same second as the source's, as a tree made just now would be
  const t = new Date('2024-05-06T07:08:09.123Z');
  fs.lutimesSync(path.join(src, 'link'), t, t);
  for (const d of ['sub/deeper', 'sub', '.']) fs.utimesSync(path.join(src, d), t, t);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every path under `root`: mode, mtime and type, with size, link count and content of files. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = path.join(rel, name);
      const st = fs.lstatSync(path.join(root, r));
      const what = st.isSymbolicLink()
        ? `-> ${fs.readlinkSync(path.join(root, r))}`
        : st.isDirectory()
          ? 'dir'
          : `${st.size} ${st.nlink} ${fs.readFileSync(path.join(root, r)).toString('base64').slice(0, 40)}`;
      out.push(`${r} ${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs)} ${what}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

describe('the bundled CLI', () => {
  it('is built and newer than every package build (else the bin falls back to dist/)', () => {
    const b = fs.statSync(BUNDLE).mtimeMs;
    for (const p of ['delta', 'protocol', 'snapshot', 'cli']) {
      const info = path.join(REPO_ROOT, 'packages', p, 'dist/.tsbuildinfo');
      expect(fs.statSync(info).mtimeMs, `${p} was built after the bundle: npm run build`).toBeLessThanOrEqual(
        b,
      );
    }
  });

  it('copies a tree locally (its worker thread) as the unbundled CLI does', async () => {
    const src = `${path.join(tmp, 'src')}/`;
    const a = await cli({}, 'pull', '-aH', src, path.join(tmp, 'a'));
    const b = await cli({ TSRSYNC_NO_BUNDLE: '1' }, 'pull', '-aH', src, path.join(tmp, 'b'));
    expect([a.code, a.err]).toEqual([0, '']);
    expect([b.code, b.err]).toEqual([0, '']);
    expect(tree(path.join(tmp, 'a'))).toEqual(tree(path.join(tmp, 'src')));
    expect(tree(path.join(tmp, 'b'))).toEqual(tree(path.join(tmp, 'src')));
  });

  it('delta-copies with xxh128, md5 and md4 (hash-wasm) and parses a job file (yaml)', async () => {
    const src = `${path.join(tmp, 'src')}/`;
    const dst = path.join(tmp, 'c');
    expect((await cli({}, 'pull', '-aH', src, dst)).code).toBe(0);
    for (const [i, sum] of ['xxh128', 'md5', 'md4'].entries()) {
      fs.appendFileSync(path.join(tmp, 'src/sub/deeper/big.bin'), Buffer.alloc(1000, i));
      const r = await cli({}, 'pull', '-aH', '--no-whole-file', `--checksum-choice=${sum}`, src, dst);
      expect([r.code, r.err]).toEqual([0, '']);
      expect(tree(dst)).toEqual(tree(path.join(tmp, 'src')));
    }
    // yaml, outside the bundle, parses the job: its line counter places the error
    const job = path.join(tmp, 'site.yaml');
    fs.writeFileSync(
      job,
      ['root: /nowhere', 'points:', `  - source: ${src}`, '    dest: site', ''].join('\n'),
    );
    const r = await cli({}, 'snapshot', '-q', '--job', job);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`site.yaml:3: source must be HOST::MODULE`);
  });
});
