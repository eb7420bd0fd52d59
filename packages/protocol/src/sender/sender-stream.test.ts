import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { localCopy } from '../client/local-copy.js';
import { ARCHIVE, makeOptions } from '../options/transfer-options.js';
import type { WireWriter } from '../wire/writer.js';
import { PlainTokens, type TokenSink } from './sender.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrsync-stream-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Plain tokens that note how much output was waiting in the writer after each one. */
class Watched implements TokenSink {
  readonly inner = new PlainTokens();
  readonly wantsBlockData = false;
  readonly pending: number[] = [];
  literal(w: WireWriter, data: Uint8Array): void {
    this.inner.literal(w, data);
    this.pending.push(w.length);
  }
  block(w: WireWriter, index: number): void {
    this.inner.block(w, index);
    this.pending.push(w.length);
  }
  endFile(w: WireWriter): void {
    this.inner.endFile(w);
  }
}

it("a mostly unchanged file's tokens go out while it is matched, not all at its end", async () => {
  const src = path.join(root, 'src');
  const dst = path.join(root, 'dst');
  fs.mkdirSync(src);
  fs.mkdirSync(dst);
  // 48 MiB; the copy differs in one byte, so nearly every token is a matched block (4 bytes)
  const data = Buffer.alloc(48 << 20);
  for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  fs.writeFileSync(path.join(src, 'big'), data);
  data.writeUInt8(data.readUInt8(data.length >> 1) ^ 1, data.length >> 1);
  fs.writeFileSync(path.join(dst, 'big'), data);
  fs.utimesSync(path.join(dst, 'big'), 1_000_000_000, 1_000_000_000);

  const sink = new Watched();
  const r = await localCopy({
    sources: [`${src}/`],
    dest: `${dst}/`,
    options: makeOptions({ ...ARCHIVE, wholeFile: false }),
    reporter: {},
    tokens: () => sink,
  });
  expect(r.exitCode).toBe(0);
  expect(fs.readFileSync(path.join(dst, 'big')).equals(fs.readFileSync(path.join(src, 'big')))).toBe(true);
  // the writer was emptied (sent) several times during the file: its tokens alone (a few KiB)
  // never reach the 256 KiB size flush
  let sends = 0;
  for (let i = 1; i < sink.pending.length; i++) if (sink.pending[i]! < sink.pending[i - 1]!) sends++;
  expect(sink.pending.length).toBeGreaterThan(1000);
  expect(sends).toBeGreaterThanOrEqual(4);
  expect(Math.max(...sink.pending)).toBeLessThan(64 * 1024);
});
