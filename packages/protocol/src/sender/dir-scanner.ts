/**
 * Reading directories for the sender's file lists (readdir, then lstat and
 * readlink of each entry) ahead of need, on a worker thread. The lists are
 * built depth first; the sender announces which directories come next, the
 * worker reads them while the main thread encodes and sends, and `read()`
 * takes a result synchronously (receiveMessageOnPort, and a shared counter
 * to wait on). A directory nobody announced, or one needed before the worker
 * is up, is read on the calling thread. Results are plain arrays, so the
 * main thread builds no Stats objects.
 */
import fs from 'node:fs';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { rawLstat, type RawLstat } from '../local/raw-lstat.js';

/** An error as the file-list code reports it. */
export interface ScanError {
  code: string | undefined;
  errno: number | undefined;
  message: string;
}

/** One directory: names in readdir order; per entry FIELDS numbers and 2 bigints. */
export interface ScannedDir {
  key: string;
  /** readdir failed. */
  error?: ScanError | undefined;
  /** The names back to back (latin1: the bytes); name i ends at ends[i]. */
  names: string;
  ends: Uint32Array;
  /** mode, size, mtime s, mtime ns, uid, gid, nlink, rdev; mode -1: lstat failed, -2: vanished. */
  num: Float64Array;
  /** dev, ino (zero unless read with `exactIds`). */
  big: BigInt64Array;
  /** lstat errors (mode -1) and readlink errors, by entry. */
  errs: [number, ScanError][];
  links: [number, Uint8Array][];
}

export const FIELDS = 8;

/**
 * Reads one directory. It is also the worker's code, run from its source
 * text: it uses nothing but its arguments. `raw` is rawLstat()'s answer;
 * `exactIds`: dev and inode as exact BigInts (for -H and -x), else zero.
 */
export function scanDir(
  nodeFs: typeof fs,
  key: string,
  dir: Buffer,
  raw?: RawLstat | undefined,
  exactIds = true,
): ScannedDir {
  let list: string[];
  try {
    list = nodeFs.readdirSync(dir, { encoding: 'latin1' });
  } catch (e) {
    const x = e as NodeJS.ErrnoException;
    return {
      key,
      error: { code: x.code, errno: x.errno, message: x.message },
      names: '',
      ends: new Uint32Array(0),
      num: new Float64Array(0),
      big: new BigInt64Array(0),
      errs: [],
      links: [],
    };
  }
  const n = list.length;
  const ends = new Uint32Array(n);
  const num = new Float64Array(n * 8);
  const big = new BigInt64Array(n * 2);
  const errs: [number, ScanError][] = [];
  const links: [number, Uint8Array][] = [];
  const full = Buffer.allocUnsafe(dir.length + 1 + 4096);
  dir.copy(full, 0);
  full[dir.length] = 0x2f;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const name = list[i]!;
    pos += name.length;
    ends[i] = pos;
    const len = full.write(name, dir.length + 1, 'latin1');
    const p = full.subarray(0, dir.length + 1 + len);
    const o = i * 8;
    let mode: number;
    try {
      if (raw && !exactIds) {
        const f = raw(p, false) as Float64Array | undefined;
        if (f === undefined) {
          num[o] = -2;
          continue;
        }
        mode = f[1]!;
        num[o + 1] = f[8]!;
        num[o + 2] = f[12]!;
        num[o + 3] = f[13]!;
        num[o + 4] = f[3]!;
        num[o + 5] = f[4]!;
        num[o + 6] = f[2]!;
        num[o + 7] = f[5]!;
      } else if (raw) {
        const g = raw(p, true) as BigInt64Array | undefined;
        if (g === undefined) {
          num[o] = -2;
          continue;
        }
        mode = Number(g[1]);
        num[o + 1] = Number(g[8]);
        num[o + 2] = Number(g[12]);
        num[o + 3] = Number(g[13]);
        num[o + 4] = Number(g[3]);
        num[o + 5] = Number(g[4]);
        num[o + 6] = Number(g[2]);
        num[o + 7] = Number(g[5]);
        big[i * 2] = g[0]!;
        big[i * 2 + 1] = g[7]!;
      } else {
        const st = nodeFs.lstatSync(p, { bigint: true, throwIfNoEntry: false });
        if (st === undefined) {
          num[o] = -2;
          continue;
        }
        let sec = st.mtimeNs / 1000000000n;
        let nsec = st.mtimeNs % 1000000000n;
        if (nsec < 0n) {
          nsec += 1000000000n;
          sec -= 1n;
        }
        mode = Number(st.mode);
        num[o + 1] = Number(st.size);
        num[o + 2] = Number(sec);
        num[o + 3] = Number(nsec);
        num[o + 4] = Number(st.uid);
        num[o + 5] = Number(st.gid);
        num[o + 6] = Number(st.nlink);
        num[o + 7] = Number(st.rdev);
        if (exactIds) {
          big[i * 2] = st.dev;
          big[i * 2 + 1] = st.ino;
        }
      }
    } catch (e) {
      const x = e as NodeJS.ErrnoException;
      num[o] = -1;
      errs.push([i, { code: x.code, errno: x.errno, message: x.message }]);
      continue;
    }
    num[o] = mode;
    if ((mode & 0o170000) === 0o120000) {
      try {
        links.push([i, new Uint8Array(nodeFs.readlinkSync(p, { encoding: 'buffer' }))]);
      } catch (e) {
        const x = e as NodeJS.ErrnoException;
        errs.push([i, { code: x.code, errno: x.errno, message: x.message }]);
      }
    }
  }
  return { key, names: list.join(''), ends, num, big, errs, links };
}

/** Directories read ahead and not yet taken: bounds the worker's lead and memory. */
const AHEAD = 64;
/** Scanner threads at once in this process (a daemon's concurrent pulls share them; the rest scan inline). */
const MAX_WORKERS = 4;
let workers = 0;

// Requests arrive as {items: [key, path][], urgent}: urgent ones first, then announced ones
// newest first (depth first). Shared counters: 0 results posted, 1 results taken, 2 wake-ups,
// 3 state (1 up, 2 failed).
const WORKER_CODE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const fs = require('node:fs');
const scanDir = ${scanDir.toString()};
// the fast lstat is optional: whatever goes wrong finding it leaves lstatSync()
let raw;
try { raw = (${rawLstat.toString()})(fs, process); } catch { raw = undefined; }
const { port, sab } = workerData;
const sig = new Int32Array(sab);
const stack = [];
const done = new Set();
let posted = 0;
Atomics.store(sig, 3, 1);
try {
  for (;;) {
    const wake = Atomics.load(sig, 2);
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      if (m.message.stop) throw 0;
      const items = m.message.items;
      for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]);
    }
    if (stack.length === 0 || posted - Atomics.load(sig, 1) >= ${AHEAD}) {
      Atomics.wait(sig, 2, wake, 200);
      continue;
    }
    const job = stack.pop();
    if (done.has(job[0])) continue;
    done.add(job[0]);
    const r = scanDir(fs, job[0], Buffer.from(job[1]), raw, job[2]);
    port.postMessage(r, [r.ends.buffer, r.num.buffer, r.big.buffer]);
    Atomics.store(sig, 0, ++posted);
    Atomics.notify(sig, 0);
  }
} catch (e) {
  if (e !== 0) {
    Atomics.store(sig, 3, 2);
    Atomics.notify(sig, 0);
  }
}
`;

const keyOf = (p: Buffer): string => p.toString('latin1');

/** This thread's rawLstat(), found on first use. */
let here: RawLstat | null | undefined;
function scanHere(key: string, dir: Buffer, exactIds: boolean): ScannedDir {
  if (here === undefined) here = rawLstat(fs, process) ?? null;
  return scanDir(fs, key, dir, here ?? undefined, exactIds);
}

interface Thread {
  worker: Worker;
  port: MessagePort;
  sig: Int32Array;
}

/** A thread started ahead (prestartScanner()), taken by the next DirScanner. */
let spare: Thread | undefined;

function startThread(): Thread | undefined {
  if (workers >= MAX_WORKERS) return undefined;
  const { port1, port2 } = new MessageChannel();
  const sab = new SharedArrayBuffer(16);
  let worker: Worker;
  try {
    worker = new Worker(WORKER_CODE, { eval: true, workerData: { port: port2, sab }, transferList: [port2] });
  } catch {
    return undefined;
  }
  workers++;
  worker.unref();
  return { worker, port: port1, sig: new Int32Array(sab) };
}

/**
 * Starts a scanner thread now, for the sender about to come: a client that pushes calls it
 * before it connects, so the thread's start-up (~40 ms) overlaps the handshake.
 */
export function prestartScanner(): void {
  if (spare || process.env['TSRSYNC_SCAN_WORKER'] === '0') return;
  spare = startThread();
  spare?.worker.on('error', () => undefined);
}

export class DirScanner {
  #worker: Worker | undefined;
  #port: MessagePort | undefined;
  #sig: Int32Array | undefined;
  #received = 0;
  #failed: boolean;
  /** Announced to the worker and not yet taken. */
  readonly #asked = new Set<string>();
  /** Announced, but read here: the worker's result is dropped when it comes. */
  readonly #taken = new Set<string>();
  readonly #results = new Map<string, ScannedDir>();
  /** Results the worker read (tests, diagnostics). */
  servedByWorker = 0;

  readonly #exactIds: boolean;

  /**
   * `readAhead` false: every directory is read on the calling thread; `exactIds`: results carry
   * exact dev and inode numbers (-H, -x).
   */
  constructor(readAhead = true, exactIds = true) {
    this.#failed = !readAhead || process.env['TSRSYNC_SCAN_WORKER'] === '0';
    this.#exactIds = exactIds;
  }

  #start(): boolean {
    if (this.#worker) return true;
    if (this.#failed) return false;
    const t = spare ?? startThread();
    spare = undefined;
    // all threads busy (a daemon's other transfers): read here until one is free
    if (!t) return false;
    this.#worker = t.worker;
    this.#sig = t.sig;
    this.#port = t.port;
    this.#worker.on('error', () => (this.#failed = true));
    return true;
  }

  #wake(): void {
    Atomics.add(this.#sig!, 2, 1);
    Atomics.notify(this.#sig!, 2);
  }

  /** The directories that will be read next, in this order: the worker reads them ahead. */
  announce(dirs: readonly Buffer[]): void {
    if (dirs.length === 0 || !this.#start()) return;
    const items: [string, Uint8Array, boolean][] = [];
    for (const d of dirs) {
      const key = keyOf(d);
      if (this.#asked.has(key)) continue;
      this.#asked.add(key);
      items.push([key, new Uint8Array(d), this.#exactIds]);
    }
    if (items.length === 0) return;
    this.#port!.postMessage({ items });
    this.#wake();
  }

  /** The contents of `dir`: the worker's reading if it was announced and the worker is up. */
  read(dir: Buffer): ScannedDir {
    const key = keyOf(dir);
    if (!this.#asked.has(key)) return scanHere(key, dir, this.#exactIds);
    const sig = this.#sig!;
    for (;;) {
      this.#drain();
      const r = this.#results.get(key);
      if (r) {
        this.#results.delete(key);
        this.#asked.delete(key);
        this.servedByWorker++;
        // the worker waits for this only when it is AHEAD results ahead
        const taken = Atomics.add(sig, 1, 1);
        if (Atomics.load(sig, 0) - taken >= AHEAD) this.#wake();
        return r;
      }
      // a worker not up yet (or failed) does not keep the sender waiting
      if (this.#failed || Atomics.load(sig, 3) !== 1) {
        this.#asked.delete(key);
        this.#taken.add(key);
        return scanHere(key, dir, this.#exactIds);
      }
      if (Atomics.wait(sig, 0, this.#received, 30_000) === 'timed-out') this.#failed = true;
    }
  }

  #drain(): void {
    const sig = this.#sig!;
    for (let m = receiveMessageOnPort(this.#port!); m; m = receiveMessageOnPort(this.#port!)) {
      this.#received++;
      const r = m.message as ScannedDir;
      if (this.#taken.delete(r.key)) {
        Atomics.add(sig, 1, 1);
        continue;
      }
      this.#results.set(r.key, r);
    }
  }

  /** Stops the worker (the lists are complete, or the transfer ended). */
  close(): void {
    if (!this.#worker) return;
    this.#port!.postMessage({ stop: true });
    this.#wake();
    void this.#worker.terminate();
    this.#port!.close();
    this.#worker = undefined;
    workers--;
    this.#failed = true;
    this.#results.clear();
  }
}
