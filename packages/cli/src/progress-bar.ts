/**
 * An overall progress bar on stderr when it is a terminal: files and bytes
 * done of the total known so far, rate, ETA. Nothing at all otherwise.
 */
import type { ListEntry, Reporter } from '@tsrsync/protocol';
import type { ConsoleOutput } from './output.js';

export interface ProgressBar {
  /** Output that keeps the bar at the bottom. */
  io: ConsoleOutput;
  attach(r: Reporter): void;
  onList?: Reporter['fileList'];
  done(): void;
}

export function progressBar(
  base: ConsoleOutput,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressBar | undefined {
  if (!stream.isTTY) return undefined;
  let files = 0;
  let totalFiles = 0;
  let bytes = 0;
  let totalBytes = 0;
  let shown = '';
  let finished = false;
  const start = Date.now();
  let last = 0;
  const clear = () => {
    if (shown) stream.write(`\r${' '.repeat(Math.min(shown.length, (stream.columns ?? 80) - 1))}\r`);
    shown = '';
  };
  const draw = (force = false) => {
    if (finished) return;
    const now = Date.now();
    if (!force && now - last < 200) return;
    last = now;
    const secs = (now - start) / 1000;
    const rate = secs > 0 ? bytes / secs : 0;
    const eta = rate > 0 && totalBytes > bytes ? Math.round((totalBytes - bytes) / rate) : 0;
    const mb = (n: number) => `${(n / 1048576).toFixed(1)}M`;
    const text = `${files}/${totalFiles} files  ${mb(bytes)}/${mb(totalBytes)}  ${mb(rate)}/s  ETA ${Math.floor(eta / 60)}:${String(eta % 60).padStart(2, '0')}`;
    stream.write(`\r${text.slice(0, (stream.columns ?? 80) - 1)}`);
    shown = text;
  };
  const io: ConsoleOutput = {
    out: (s) => {
      clear();
      base.out(s);
      draw(true);
    },
    err: (s) => {
      clear();
      base.err(s);
      draw(true);
    },
  };
  let cur: ListEntry | undefined;
  let curDone = 0;
  return {
    io,
    attach(r) {
      const prevProgress = r.progress;
      r.progress = (e, done, total, fin) => {
        prevProgress?.(e, done, total, fin);
        if (cur !== e) {
          cur = e;
          curDone = 0;
        }
        bytes += done - curDone;
        curDone = done;
        if (fin) files++;
        draw();
      };
      const prevList = r.fileList;
      r.fileList = (count, all, eof, allBytes) => {
        prevList?.(count, all, eof, allBytes);
        totalFiles = all;
        totalBytes = allBytes;
        draw();
      };
    },
    done() {
      if (finished) return;
      clear();
      finished = true;
    },
  };
}
