/**
 * A client receiver checks every name the sender lists (flist.c:
 * recv_file_entry() since 3.2.5): no name its own filter rules exclude
 * ("rejecting excluded file-list name"), and no top-level name it did not ask
 * for ("rejecting unrequested file-list name"; exclude.c:add_implied_include()).
 */
import type { FileEntry } from '../flist/file-entry.js';
import { isDir } from '../flist/file-entry.js';
import { wildmatch } from '../filter/wildmatch.js';
import { displayName } from '../local/fs-names.js';
import type { ReceiveContext } from '../receiver/context.js';
import { RejectedNameError } from '../receiver/flist-recv.js';

export function requestedNameCheck(
  ctx: ReceiveContext,
  requested: readonly string[],
): (e: FileEntry) => void {
  const trustSender = ctx.filters.rules.some((r) => r.dirMerge);
  // basenames of the requested paths; '' = "the contents of a directory": any top name
  const tops: Uint8Array[] = [];
  let anyTop = requested.length === 0 || ctx.o.relative;
  for (const p of requested) {
    const clean = p.replace(/\/+$/, '');
    if (p.endsWith('/') || clean === '' || clean === '.' || clean.endsWith('/.')) {
      anyTop = true;
      continue;
    }
    tops.push(Buffer.from(clean.slice(clean.lastIndexOf('/') + 1)));
  }
  const wild = tops.map((t) => /[*?[]/.test(Buffer.from(t).toString('latin1')));
  const deep = ctx.o.recursive;
  return (e) => {
    const n = e.nameBytes;
    if (n.length === 1 && n[0] === 0x2e) return;
    if (!trustSender && ctx.filters.excluded(n, isDir(e.mode), 'sender', false)) {
      throw new RejectedNameError(`ERROR: rejecting excluded file-list name: ${displayName(n)}`);
    }
    if (anyTop) return;
    const slash = n.indexOf(0x2f);
    const top = slash < 0 ? n : n.subarray(0, slash);
    if (slash >= 0 && !deep && !ctx.o.dirs)
      throw new RejectedNameError(`ERROR: rejecting unrequested file-list name: ${displayName(n)}`);
    for (let i = 0; i < tops.length; i++) {
      const t = tops[i]!;
      if (wild[i] ? wildmatch(t, top) : Buffer.from(t).equals(Buffer.from(top))) return;
    }
    throw new RejectedNameError(`ERROR: rejecting unrequested file-list name: ${displayName(n)}`);
  };
}
