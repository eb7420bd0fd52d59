/**
 * Inflate libraries for rsync's zlib token streams: raw deflate, decoded
 * incrementally with sync flushes (one stream per file, never finished).
 * Candidates: pako (zlib port with the low-level API), fflate (streaming
 * Inflate), node:zlib (only whole-buffer sync APIs, so it re-inflates from
 * the start of the file for every chunk and is listed as a baseline).
 */
import zlib from 'node:zlib';
import { Inflate as FInflate } from 'fflate';
import { ZStream, Z_SYNC_FLUSH, zlibInflate, zlibInflateInit2 } from 'pako';
import { MB, timeIt } from './util.js';

function corpus(n: number): Uint8Array {
  const words = [
    'rsync',
    'delta',
    'block',
    'checksum',
    'website',
    '<div class="x">',
    'backup',
    '\n',
    'snapshot',
    '0123',
  ];
  const out = Buffer.alloc(n);
  let p = 0;
  let s = 7;
  while (p < n) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    p += out.write(words[s % words.length]! + ' ', p);
  }
  return out;
}

export async function benchInflateLibs(): Promise<string[]> {
  const data = corpus(64 << 20);
  // deflated like rsync's sender: a sync flush after every 32 KiB of input
  const parts: Uint8Array[] = [];
  {
    const d = zlib.createDeflateRaw({ level: 6 });
    const done = new Promise<void>((r) => d.on('end', () => r()));
    d.on('data', (c: Buffer) => parts.push(c));
    for (let p = 0; p < data.length; p += 32768) {
      d.write(data.subarray(p, p + 32768));
      await new Promise<void>((r) => d.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    }
    d.end();
    await done;
  }
  const total = data.length;
  const lines: string[] = [
    '| library | inflate MB/s (64 MiB of text, 32 KiB sync-flushed pieces) |',
    '|---|---|',
  ];
  const pakoT = await timeIt(() => {
    const s = new ZStream();
    zlibInflateInit2(s, -15);
    const out = new Uint8Array(1 << 16);
    let n = 0;
    for (const c of parts) {
      s.input = c;
      s.next_in = 0;
      s.avail_in = c.length;
      do {
        s.output = out;
        s.next_out = 0;
        s.avail_out = out.length;
        zlibInflate(s, Z_SYNC_FLUSH);
        n += out.length - s.avail_out;
      } while (s.avail_in > 0 || s.avail_out === 0);
    }
    if (n !== total) throw new Error(`pako produced ${n}`);
  }, 3);
  lines.push(`| pako 3 (low-level zlibInflate) | ${(total / MB / pakoT.med).toFixed(0)} |`);
  const fT = await timeIt(() => {
    let n = 0;
    const inf = new FInflate((d) => (n += d.length));
    for (const c of parts) inf.push(c);
    if (n !== total) throw new Error(`fflate produced ${n}`);
  }, 3);
  lines.push(`| fflate 0.8 (Inflate.push) | ${(total / MB / fT.med).toFixed(0)} |`);
  const wholeT = await timeIt(() => {
    const all = Buffer.concat(parts);
    const n = zlib.inflateRawSync(all, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length;
    if (n !== total) throw new Error(`zlib produced ${n}`);
  }, 3);
  lines.push(
    `| node:zlib inflateRawSync, whole stream at once (no incremental API) | ${(total / MB / wholeT.med).toFixed(0)} |`,
  );
  return lines;
}
