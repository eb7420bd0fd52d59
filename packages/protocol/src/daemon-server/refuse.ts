/**
 * `refuse options` (options.c:set_refuse_options(), create_refuse_error()):
 * patterns (with wildcards) naming long options; a refused option the client
 * uses ends the session with rsync's message.
 */
import type { ServerInvocation } from '../options/parse-server-args.js';
import { wildmatch } from '../filter/wildmatch.js';

/** The long option names a parsed invocation uses (and the short letter, for the message). */
export function usedOptions(inv: ServerInvocation): [string, string | undefined][] {
  const o = inv.options;
  const out: [string, string | undefined][] = [];
  const add = (on: unknown, name: string, short?: string) => {
    if (on) out.push([name, short]);
  };
  add(o.delete !== undefined, 'delete');
  add(o.delete === 'before', 'delete-before');
  add(o.delete === 'during', 'delete-during');
  add(o.delete === 'delay', 'delete-delay');
  add(o.delete === 'after', 'delete-after');
  add(o.deleteExcluded, 'delete-excluded');
  add(o.recursive, 'recursive', 'r');
  add(o.dirs, 'dirs', 'd');
  add(o.links, 'links', 'l');
  add(o.perms, 'perms', 'p');
  add(o.executability, 'executability', 'E');
  add(o.times, 'times', 't');
  add(o.group, 'group', 'g');
  add(o.owner, 'owner', 'o');
  add(o.devices, 'devices');
  add(o.specials, 'specials');
  add(o.hardLinks, 'hard-links', 'H');
  add(o.numericIds, 'numeric-ids');
  add(o.relative, 'relative', 'R');
  add(o.dryRun, 'dry-run', 'n');
  add(o.checksum, 'checksum', 'c');
  add(o.ignoreTimes, 'ignore-times', 'I');
  add(o.sizeOnly, 'size-only');
  add(o.update, 'update', 'u');
  add(o.existing, 'existing');
  add(o.ignoreExisting, 'ignore-existing');
  add(o.wholeFile === true, 'whole-file', 'W');
  add(o.inplace, 'inplace');
  add(o.partial, 'partial');
  add(o.maxDelete !== undefined, 'max-delete');
  add(o.compress !== undefined && o.compress !== 'none', 'compress', 'z');
  add(o.checksumSeed !== undefined, 'checksum-seed');
  add(o.blockSize !== undefined, 'block-size', 'B');
  add(o.altDest?.kind === 'link', 'link-dest');
  add(o.altDest?.kind === 'compare', 'compare-dest');
  add(o.altDest?.kind === 'copy', 'copy-dest');
  add(o.oneFileSystem, 'one-file-system', 'x');
  add(o.cvsExclude, 'cvs-exclude', 'C');
  add(o.timeout > 0, 'timeout');
  add(o.bwlimit > 0, 'bwlimit');
  add(o.listOnly, 'list-only');
  return out;
}

/** The first refused option in use, as rsync names it ("--delete", "--hard-links (-H)"), or undefined. */
export function refusedOption(inv: ServerInvocation, patterns: readonly string[]): string | undefined {
  if (patterns.length === 0) return undefined;
  const pats = patterns.flatMap((p) => p.split(/\s+/)).filter((p) => p !== '' && !p.startsWith('!'));
  for (const [name, short] of usedOptions(inv)) {
    for (const p of pats) {
      const hit =
        p === name ||
        (p === 'delete' && name.startsWith('delete')) ||
        (short !== undefined && p === short) ||
        wildmatch(Buffer.from(p), Buffer.from(name));
      if (hit) return short ? `--${name} (-${short})` : `--${name}`;
    }
  }
  return undefined;
}
