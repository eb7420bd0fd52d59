/**
 * A clean "out of memory" (rsync's exit 22) instead of V8's fatal abort.
 *
 * When V8's heap reaches its limit the whole process dies with a core dump:
 * for a daemon that serves every connection in one process, all of them. A
 * file list is what grows without bound (one peer can send millions of
 * entries; a pushing client can scan millions of files), so the code that
 * builds one checks the heap every few thousand entries and fails the session
 * that is growing it while there is still room to unwind.
 */
import v8 from 'node:v8';
import { OutOfMemoryError } from '../errors.js';

/** Entries between two checks (a check costs a few microseconds). */
export const HEAP_CHECK_EVERY = 4096;
/**
 * What V8 reserves for the young generation within heap_size_limit: three
 * semi-spaces of 16 MiB by default on 64-bit Node 20+ (heap_size_limit is 96 MiB
 * for --max-old-space-size=48). A larger --max-semi-space-size makes the check
 * late, never early.
 */
const YOUNG_RESERVE = 48 * 1048576;
/**
 * Room the old generation keeps when a list is refused: a tenth of it, and at
 * least what one scavenge may promote into it at once (the young generation),
 * or a heap close to its limit dies between two checks.
 */
const margin = (oldLimit: number) => Math.max(oldLimit / 10, YOUNG_RESERVE);
const YOUNG_SPACES = new Set(['new_space', 'new_large_object_space']);

/** Throws OutOfMemoryError when V8's old generation is nearly full; `where` names the caller as rsync does. */
export function checkHeap(where: string): void {
  const limit = v8.getHeapStatistics().heap_size_limit;
  const oldLimit = limit > 2 * YOUNG_RESERVE ? limit - YOUNG_RESERVE : limit / 2;
  let old = 0;
  for (const s of v8.getHeapSpaceStatistics()) if (!YOUNG_SPACES.has(s.space_name)) old += s.space_used_size;
  if (old > oldLimit - margin(oldLimit)) {
    const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;
    throw new OutOfMemoryError(
      `out of memory in ${where} (${mib(old)} of ${mib(oldLimit)} in use; ` +
        'NODE_OPTIONS=--max-old-space-size=MiB raises the limit)',
    );
  }
}
