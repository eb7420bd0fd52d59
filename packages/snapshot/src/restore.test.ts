import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { walkTree } from './browse.js';
import { SnapshotError } from './errors.js';
import { Layout } from './layout.js';
import { restore } from './restore.js';

const OLD = '2026-03-01T000000Z';
const NEW = '2026-03-02T000000Z';
const T = 1_700_000_000.25;

let tmp: string;
let root: string;
let dest: string;
let outside: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrsync-restore-'));
  root = path.join(tmp, 'root');
  dest = path.join(tmp, 'dest');
  outside = path.join(tmp, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret'), 'secret');
  const l = new Layout(root);
  l.ensure();
  for (const [name, text] of [
    [OLD, 'old'],
    [NEW, 'new'],
  ] as const) {
    const s = (p: string) => path.join(root, name, p);
    fs.mkdirSync(s('tree/sub'), { recursive: true });
    fs.writeFileSync(s('file.txt'), `${text} file`);
    fs.chmodSync(s('file.txt'), 0o640);
    fs.utimesSync(s('file.txt'), T, T);
    fs.writeFileSync(s('tree/sub/a'), `${text} a`);
    fs.linkSync(s('tree/sub/a'), s('tree/b'));
    fs.symlinkSync('sub/a', s('tree/rel-link'));
    fs.symlinkSync('/nonexistent/target', s('dangling'));
    fs.symlinkSync(outside, s('escape'));
    fs.symlinkSync('../..', s('tree/up'));
    fs.symlinkSync('tree', s('inner'));
    fs.chmodSync(s('tree/sub'), 0o555);
    fs.utimesSync(s('tree/sub'), T - 100, T - 100);
    fs.utimesSync(s('tree'), T - 200, T - 200);
  }
  l.setLatest(NEW);
});
afterEach(() => {
  for (const d of [root, dest]) {
    if (!fs.existsSync(d)) continue;
    walkTree(d, (e) => e.st.isDirectory() && fs.chmodSync(e.abs, 0o700));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

const src = (name: string, p: string) => path.join(root, name, p);
const near = (a: bigint, b: bigint) => Math.abs(Number(a - b)) < 1000;

describe('restore', () => {
  it('restores a file from latest with mode and mtime', () => {
    const actions = restore(root, { path: 'file.txt', to: dest });
    expect(actions).toEqual([
      { op: 'copy', from: 'file.txt', to: path.join(dest, 'file.txt'), size: 'new file'.length },
    ]);
    const out = path.join(dest, 'file.txt');
    expect(fs.readFileSync(out, 'utf8')).toBe('new file');
    const a = fs.lstatSync(src(NEW, 'file.txt'), { bigint: true });
    const b = fs.lstatSync(out, { bigint: true });
    expect(b.mode & 0o7777n).toBe(0o640n);
    expect(near(a.mtimeNs, b.mtimeNs)).toBe(true);
    expect(b.ino).not.toBe(a.ino);
  });

  it('restores from a named snapshot', () => {
    restore(root, { snapshot: OLD, path: 'file.txt', to: dest });
    expect(fs.readFileSync(path.join(dest, 'file.txt'), 'utf8')).toBe('old file');
  });

  it('restores symlinks verbatim, never following them', () => {
    restore(root, { path: 'dangling', to: dest });
    restore(root, { path: 'escape', to: dest });
    expect(fs.readlinkSync(path.join(dest, 'dangling'))).toBe('/nonexistent/target');
    expect(fs.readlinkSync(path.join(dest, 'escape'))).toBe(outside);
    expect(fs.lstatSync(path.join(dest, 'escape')).isSymbolicLink()).toBe(true);
  });

  it('restores a tree with its hard links, modes and directory times', () => {
    const actions = restore(root, { path: 'tree', to: dest });
    const t = (p: string) => path.join(dest, 'tree', p);
    expect(actions.map((a) => [a.op, a.from])).toEqual([
      ['mkdir', 'tree'],
      ['copy', 'tree/b'],
      ['symlink', 'tree/rel-link'],
      ['mkdir', 'tree/sub'],
      ['symlink', 'tree/up'],
      ['link', 'tree/sub/a'],
    ]);
    expect(fs.readFileSync(t('sub/a'), 'utf8')).toBe('new a');
    expect(fs.statSync(t('sub/a')).ino).toBe(fs.statSync(t('b')).ino);
    expect(fs.statSync(t('b')).ino).not.toBe(fs.statSync(src(NEW, 'tree/b')).ino);
    expect(fs.readlinkSync(t('up'))).toBe('../..');
    expect(fs.statSync(t('sub')).mode & 0o7777).toBe(0o555);
    for (const d of ['tree', 'tree/sub']) {
      const a = fs.lstatSync(src(NEW, d), { bigint: true });
      const b = fs.lstatSync(path.join(dest, d), { bigint: true });
      expect(near(a.mtimeNs, b.mtimeNs)).toBe(true);
    }
  });

  it('restores a whole snapshot into an empty directory', () => {
    fs.mkdirSync(dest);
    restore(root, { snapshot: OLD, path: '.', to: dest });
    const names = (d: string) => {
      const out: string[] = [];
      walkTree(d, (e) => out.push(e.rel));
      return out;
    };
    expect(names(dest)).toEqual(names(path.join(root, OLD)));
    expect(fs.readFileSync(path.join(dest, 'tree/b'), 'utf8')).toBe('old a');
  });

  it('follows symlinks inside the snapshot on the way, but refuses to leave it', () => {
    restore(root, { path: 'inner/sub/a', to: dest });
    expect(fs.readFileSync(path.join(dest, 'a'), 'utf8')).toBe('new a');
    expect(() => restore(root, { path: 'escape/secret', to: dest })).toThrow(/leaves snapshot/);
    expect(() => restore(root, { path: 'tree/up/x', to: dest })).toThrow(/leaves snapshot/);
    expect(fs.existsSync(path.join(dest, 'secret'))).toBe(false);
  });

  it('refuses .. and absolute paths', () => {
    for (const p of ['../x', 'tree/../../x', '..', `/${NEW}/file.txt`])
      expect(() => restore(root, { path: p, to: dest }), p).toThrow(SnapshotError);
    expect(fs.existsSync(dest)).toBe(false);
  });

  it('does nothing in a dry run but returns the same actions', () => {
    const dry = restore(root, { path: 'tree', to: dest, dryRun: true });
    expect(fs.existsSync(dest)).toBe(false);
    const real = restore(root, { path: 'tree', to: dest });
    expect(dry).toEqual(real);
    expect(fs.existsSync(path.join(dest, 'tree/sub/a'))).toBe(true);
  });

  it('refuses to overwrite unless asked, then replaces what it restores only', () => {
    restore(root, { path: 'tree', to: dest });
    fs.chmodSync(path.join(dest, 'tree/sub'), 0o755);
    fs.writeFileSync(path.join(dest, 'tree/b'), 'edited');
    fs.writeFileSync(path.join(dest, 'tree/extra'), 'mine');
    expect(() => restore(root, { path: 'tree', to: dest })).toThrow(/exists.*--overwrite/);
    expect(() => restore(root, { path: 'tree', to: dest, dryRun: true })).toThrow(SnapshotError);
    expect(fs.readFileSync(path.join(dest, 'tree/b'), 'utf8')).toBe('edited');
    const actions = restore(root, { path: 'tree', to: dest, overwrite: true });
    expect(actions.filter((a) => a.replace).length).toBe(actions.length);
    expect(fs.readFileSync(path.join(dest, 'tree/b'), 'utf8')).toBe('new a');
    expect(fs.statSync(path.join(dest, 'tree/sub/a')).ino).toBe(fs.statSync(path.join(dest, 'tree/b')).ino);
    expect(fs.readFileSync(path.join(dest, 'tree/extra'), 'utf8')).toBe('mine');
  });

  it('refuses a non-empty DEST for a whole snapshot, unknown paths and snapshots, and DEST inside ROOT', () => {
    fs.mkdirSync(dest);
    fs.writeFileSync(path.join(dest, 'x'), '');
    expect(() => restore(root, { path: '', to: dest })).toThrow(/exists/);
    expect(() => restore(root, { path: 'nope', to: dest })).toThrow(/no such file/);
    expect(() => restore(root, { snapshot: '2026-03-09T000000Z', path: 'file.txt', to: dest })).toThrow(
      /no snapshot/,
    );
    expect(() => restore(root, { path: 'file.txt', to: path.join(root, 'out') })).toThrow(/snapshot root/);
    expect(() => restore(root, { path: 'file.txt', to: path.join(root, NEW) })).toThrow(/snapshot root/);
  });
});
