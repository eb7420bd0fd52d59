/**
 * What the receiving side needs from lstat(), and a worker thread that runs
 * lstat() for a whole (sub-)list ahead of the generator: on two cores the
 * metadata work of a large tree then overlaps with decoding and requesting.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { rawLstat } from './raw-lstat.js';

/** The lstat() fields the receiver uses (fs.BigIntStats satisfies it). */
export interface StatLike {
  mode: bigint;
  size: bigint;
  mtimeNs: bigint;
  atimeNs: bigint;
  uid: bigint;
  gid: bigint;
  dev: bigint;
  ino: bigint;
  nlink: bigint;
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
}

const FIELDS = 9;

/** A view of one row of the worker's result: fields but the mode become BigInts only when read. */
class PrefetchedStat implements StatLike {
  constructor(
    private readonly a: BigInt64Array,
    private readonly o: number,
    readonly mode: bigint,
  ) {}
  get size(): bigint {
    return this.a[this.o + 1]!;
  }
  get mtimeNs(): bigint {
    return this.a[this.o + 2]!;
  }
  get atimeNs(): bigint {
    return this.a[this.o + 3]!;
  }
  get uid(): bigint {
    return this.a[this.o + 4]!;
  }
  get gid(): bigint {
    return this.a[this.o + 5]!;
  }
  get dev(): bigint {
    return this.a[this.o + 6]!;
  }
  get ino(): bigint {
    return this.a[this.o + 7]!;
  }
  get nlink(): bigint {
    return this.a[this.o + 8]!;
  }
  #fmt(): number {
    return Number(this.mode) & 0o170000;
  }
  isDirectory(): boolean {
    return this.#fmt() === 0o040000;
  }
  isFile(): boolean {
    return this.#fmt() === 0o100000;
  }
  isSymbolicLink(): boolean {
    return this.#fmt() === 0o120000;
  }
}

// The worker is plain JS (run with eval) so it works from the sources and from dist alike.
// Paths arrive NUL-separated in one transferred buffer (a path cannot contain NUL).
const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
// the fast lstat is optional: whatever goes wrong finding it leaves lstatSync()
let raw;
try { raw = (${rawLstat.toString()})(fs, process); } catch { raw = undefined; }
parentPort.on('message', ({ id, n, buf }) => {
  const all = Buffer.from(buf);
  const out = new BigInt64Array(n * ${FIELDS});
  let p = 0;
  for (let i = 0; i < n; i++) {
    const e = all.indexOf(0, p);
    const path = all.subarray(p, e);
    p = e + 1;
    const o = i * ${FIELDS};
    if (raw) {
      let a;
      try {
        a = raw(path, true);
      } catch {
        out[o] = -2n;
        continue;
      }
      if (!a) { out[o] = -1n; continue; }
      out[o] = a[1]; out[o + 1] = a[8]; out[o + 2] = a[12] * 1000000000n + a[13]; out[o + 3] = a[10] * 1000000000n + a[11];
      out[o + 4] = a[3]; out[o + 5] = a[4]; out[o + 6] = a[0]; out[o + 7] = a[7]; out[o + 8] = a[2];
      continue;
    }
    let st;
    try {
      st = fs.lstatSync(path, { bigint: true, throwIfNoEntry: false });
    } catch {
      out[o] = -2n;
      continue;
    }
    if (!st) { out[o] = -1n; continue; }
    out[o] = st.mode; out[o + 1] = st.size; out[o + 2] = st.mtimeNs; out[o + 3] = st.atimeNs;
    out[o + 4] = st.uid; out[o + 5] = st.gid; out[o + 6] = st.dev; out[o + 7] = st.ino; out[o + 8] = st.nlink;
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

/** Result per path: a stat, `null` for "nothing there", `undefined` for "ask lstat() yourself". */
export type PrefetchResult = (StatLike | null | undefined)[];

/** Workers of finished prefetchers, kept for the next transfer (a daemon's next connection). */
const idle: Worker[] = [];
const MAX_IDLE = 2;

export class StatPrefetcher {
  /** Worker threads started so far in this process (tests, diagnostics). */
  static started = 0;
  #worker: Worker | undefined;
  #next = 1;
  readonly #pending = new Map<number, (r: PrefetchResult) => void>();

  readonly #onMessage = ({ id, out }: { id: number; out: BigInt64Array }): void => {
    const resolve = this.#pending.get(id);
    if (!resolve) return;
    this.#pending.delete(id);
    const n = out.length / FIELDS;
    const res: PrefetchResult = new Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * FIELDS;
      const m = out[o]!;
      res[i] = m === -1n ? null : m === -2n ? undefined : new PrefetchedStat(out, o, m);
    }
    resolve(res);
  };

  readonly #onError = (): void => {
    // fall back to the caller's own lstat() for everything in flight
    for (const [id, resolve] of this.#pending) {
      this.#pending.delete(id);
      resolve([]);
    }
    this.#worker = undefined;
  };

  #start(): Worker {
    if (this.#worker) return this.#worker;
    let w = idle.pop();
    if (!w) {
      const fresh = new Worker(WORKER_CODE, { eval: true });
      StatPrefetcher.started++;
      fresh.unref();
      // one that fails or ends while idle leaves the pool (and its error is not uncaught)
      const drop = () => {
        const i = idle.indexOf(fresh);
        if (i >= 0) idle.splice(i, 1);
      };
      fresh.on('error', drop);
      fresh.on('exit', drop);
      w = fresh;
    }
    w.on('message', this.#onMessage);
    w.on('error', this.#onError);
    this.#worker = w;
    return w;
  }

  /** lstat() of `names` under `root`, in the worker. */
  lstatMany(root: Buffer, names: readonly Uint8Array[]): Promise<PrefetchResult> {
    let size = 0;
    for (const n of names) size += root.length + 2 + n.length;
    const buf = new Uint8Array(size);
    let p = 0;
    for (const n of names) {
      // joinPath() without a buffer per name: "" and "." are the root itself
      buf.set(root, p);
      p += root.length;
      if (n.length > 1 || (n.length === 1 && n[0] !== 0x2e)) {
        buf[p++] = 0x2f;
        buf.set(n, p);
        p += n.length;
      }
      buf[p++] = 0;
    }
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#start().postMessage({ id, n: names.length, buf: buf.buffer }, [buf.buffer]);
    });
  }

  close(): void {
    const w = this.#worker;
    this.#worker = undefined;
    if (w) {
      w.off('message', this.#onMessage);
      w.off('error', this.#onError);
      // a worker with nothing in flight serves the next transfer; one with work is stopped
      if (this.#pending.size === 0 && idle.length < MAX_IDLE) idle.push(w);
      else void w.terminate();
    }
    for (const resolve of this.#pending.values()) resolve([]);
    this.#pending.clear();
  }
}

/** lstat() on the calling thread; undefined when nothing is there. */
export function lstatNow(p: Buffer): StatLike | undefined {
  return fs.lstatSync(p, { bigint: true, throwIfNoEntry: false });
}
