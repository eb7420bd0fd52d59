import { randomFillSync } from 'node:crypto';

export const MB = 1e6;

/** Median seconds of `runs` calls of fn (after one warm-up unless warm = false). */
export async function timeIt(
  fn: () => unknown,
  runs = 3,
  warm = true,
): Promise<{ med: number; min: number; max: number }> {
  if (warm) await fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  t.sort((a, b) => a - b);
  return { med: t[t.length >> 1]!, min: t[0]!, max: t[t.length - 1]! };
}

export function mbps(bytes: number, s: { med: number; min: number; max: number }): string {
  const f = (x: number): string => (bytes / MB / x).toFixed(0);
  return `${f(s.med)} [${f(s.max)}–${f(s.min)}] MB/s`;
}

export function randomBytes(n: number): Uint8Array {
  const u = new Uint8Array(n);
  for (let p = 0; p < n; p += 65536) randomFillSync(u.subarray(p, Math.min(n, p + 65536)));
  return u;
}
