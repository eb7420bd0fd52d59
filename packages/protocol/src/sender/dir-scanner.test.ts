import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawLstat } from '../local/raw-lstat.js';
import { DirScanner, prestartScanner, scanDir, type ScannedDir } from './dir-scanner.js';

let root: string;
const dirs: Buffer[] = [];
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrsync-scan-'));
  for (let d = 0; d < 40; d++) {
    const dir = path.join(root, `d${d}`);
    fs.mkdirSync(dir);
    for (let f = 0; f < 30; f++) fs.writeFileSync(path.join(dir, `f${f}`), 'x'.repeat(f));
    fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0xff, 0xe9, 0x41])]), 'odd');
    fs.symlinkSync(`target-${d}`, path.join(dir, 'link'));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.linkSync(path.join(dir, 'f1'), path.join(dir, 'hard'));
    dirs.push(Buffer.from(dir));
  }
  fs.utimesSync(path.join(root, 'd0', 'f0'), 1_700_000_000.123456, 1_700_000_000.987654);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A result as comparable data, names as hex. */
function plain(r: ScannedDir) {
  const names: string[] = [];
  let s = 0;
  for (const e of r.ends) {
    names.push(Buffer.from(r.names.slice(s, e), 'latin1').toString('hex'));
    s = e;
  }
  return {
    key: r.key,
    error: r.error?.code,
    names,
    num: [...r.num],
    big: [...r.big],
    errs: r.errs.map(([i, e]) => [i, e.code]),
    links: r.links.map(([i, t]) => [i, Buffer.from(t).toString()]),
  };
}

const hex = (s: string) => Buffer.from(s).toString('hex');

describe('DirScanner', () => {
  it('a worker reads announced directories ahead; each result equals reading it here', async () => {
    const sc = new DirScanner();
    sc.announce(dirs);
    // let the worker come up, so that the reads are its
    await new Promise((r) => setTimeout(r, 300));
    for (const d of dirs) expect(plain(sc.read(d))).toEqual(plain(scanDir(fs, d.toString('latin1'), d)));
    expect(sc.servedByWorker).toBe(dirs.length);
    sc.close();
  });

  it('what was not announced, or is needed before the worker is up, is read on the calling thread', () => {
    const sc = new DirScanner();
    expect(plain(sc.read(dirs[0]!)).names).toContain(hex('link'));
    sc.announce(dirs.slice(1, 3));
    expect(plain(sc.read(dirs[1]!)).names).toHaveLength(34);
    expect(sc.servedByWorker).toBe(0);
    sc.close();
  });

  it('a thread started ahead serves the next scanner from its first read', async () => {
    prestartScanner();
    await new Promise((r) => setTimeout(r, 300));
    const sc = new DirScanner();
    sc.announce(dirs.slice(0, 5));
    for (const d of dirs.slice(0, 5))
      expect(plain(sc.read(d))).toEqual(plain(scanDir(fs, d.toString('latin1'), d)));
    expect(sc.servedByWorker).toBe(5);
    sc.close();
  });

  it('errors come back as the calling thread would see them', async () => {
    const gone = Buffer.from(path.join(root, 'gone'));
    const file = Buffer.from(path.join(root, 'd0', 'f3'));
    const sc = new DirScanner();
    sc.announce([gone, file]);
    await new Promise((r) => setTimeout(r, 300));
    expect(sc.read(gone).error?.code).toBe('ENOENT');
    expect(sc.read(file).error?.code).toBe('ENOTDIR');
    expect(sc.servedByWorker).toBe(2);
    sc.close();
  });

  it('fields: mode, size, split mtime, nlink, dev and inode, link targets, names byte for byte', () => {
    const d = dirs[0]!;
    const r = plain(scanDir(fs, 'k', d));
    const at = (n: string) => r.names.indexOf(hex(n));
    const st = fs.lstatSync(path.join(d.toString(), 'f0'), { bigint: true });
    const i = at('f0');
    expect(r.num.slice(i * 8, i * 8 + 4)).toEqual([
      Number(st.mode),
      0,
      Number(st.mtimeNs / 1_000_000_000n),
      Number(st.mtimeNs % 1_000_000_000n),
    ]);
    expect(r.big.slice(i * 2, i * 2 + 2)).toEqual([st.dev, st.ino]);
    expect(r.num[at('hard') * 8 + 6]).toBe(2);
    expect(r.links).toEqual([[at('link'), 'target-0']]);
    expect(r.names).toContain('ffe941');
  });

  it("Node's raw lstat gives what lstatSync gives, with or without exact dev and inode", () => {
    const raw = rawLstat(fs, process);
    expect(raw).toBeTypeOf('function');
    for (const d of dirs.slice(0, 3)) {
      const slow = plain(scanDir(fs, 'k', d));
      expect(plain(scanDir(fs, 'k', d, raw, true))).toEqual(slow);
      const fast = plain(scanDir(fs, 'k', d, raw, false));
      expect(fast).toEqual({ ...slow, big: slow.big.map(() => 0n) });
    }
    const gone = Buffer.from(path.join(root, 'd0', 'no-such'));
    expect(raw!(gone, false)).toBeUndefined();
    expect(() => raw!(Buffer.from(path.join(root, 'd0', 'f1', 'x')), false)).toThrow(/ENOTDIR/);
  });

  it('a binding missing or answering otherwise than lstatSync is not used', () => {
    const fake = (binding: unknown) => ({ ...process, pid: 1, binding }) as unknown as NodeJS.Process;
    expect(rawLstat(fs, fake(undefined))).toBeUndefined();
    expect(
      rawLstat(
        fs,
        fake(() => ({})),
      ),
    ).toBeUndefined();
    expect(
      rawLstat(
        fs,
        fake(() => ({
          lstat: (_p: Buffer, big: boolean) => (big ? new BigInt64Array(18) : new Float64Array(18)),
        })),
      ),
    ).toBeUndefined();
    const noDeprecation = process.noDeprecation;
    rawLstat(fs, process);
    expect(process.noDeprecation).toBe(noDeprecation);
  });
});
