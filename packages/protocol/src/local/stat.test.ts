import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstatNow, StatPrefetcher, type StatLike } from './stat.js';

let root: Buffer;
beforeAll(() => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrsync-stat-'));
  fs.writeFileSync(path.join(d, 'file'), 'abc');
  fs.mkdirSync(path.join(d, 'dir'));
  fs.symlinkSync('file', path.join(d, 'link'));
  fs.writeFileSync(Buffer.concat([Buffer.from(`${d}/`), Buffer.from([0xe9, 0xff])]), 'latin');
  root = Buffer.from(d);
});
afterAll(() => fs.rmSync(root.toString(), { recursive: true, force: true }));

const fields = (s: StatLike | null | undefined) =>
  s
    ? [s.mode, s.size, s.mtimeNs, s.atimeNs, s.uid, s.gid, s.dev, s.ino, s.nlink, s.isFile(), s.isDirectory()]
    : s;

describe('StatPrefetcher', () => {
  it('gives what lstat() here gives; null for nothing there; "" and "." are the root', async () => {
    const names = ['file', 'dir', 'link', 'missing', '', '.'].map((n) => Buffer.from(n));
    names.push(Buffer.from([0xe9, 0xff]));
    const p = new StatPrefetcher();
    const got = await p.lstatMany(root, names);
    p.close();
    expect(got.map(fields)).toEqual(
      names.map((n) => {
        const full =
          n.length === 0 || n.toString() === '.' ? root : Buffer.concat([root, Buffer.from('/'), n]);
        return fields(lstatNow(full) ?? null);
      }),
    );
    expect(got[2]!.isSymbolicLink()).toBe(true);
  });

  it('a closed prefetcher hands its worker to the next one', async () => {
    const a = new StatPrefetcher();
    await a.lstatMany(root, [Buffer.from('file')]);
    a.close();
    const before = StatPrefetcher.started;
    const b = new StatPrefetcher();
    expect((await b.lstatMany(root, [Buffer.from('dir')]))[0]?.isDirectory()).toBe(true);
    b.close();
    expect(StatPrefetcher.started).toBe(before);
  });

  it('closing with a request in flight answers it with "ask lstat() yourself"', async () => {
    const p = new StatPrefetcher();
    const pending = p.lstatMany(root, [Buffer.from('file')]);
    p.close();
    expect(await pending).toEqual([]);
  });
});
