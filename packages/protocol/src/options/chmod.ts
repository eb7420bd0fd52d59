/**
 * --chmod=CHMOD, and a daemon module's `incoming chmod` / `outgoing chmod`:
 * rules that rewrite the permission bits of file-list entries.
 *
 * Behaviour follows rsync's chmod.c:parse_chmod() and tweak_mode():
 *
 * - a spec is a comma-separated list of items; an empty item is an error;
 * - an item may start with `D` (directories only) or `F` (everything that is
 *   not a directory); both in one item is an error;
 * - then either an octal number (at most 07777, no `ugoa` before it) that
 *   replaces all permission bits, or `[ugoa]*` followed by exactly one of
 *   `+ - =` and then either `[rwxXst]*` or a single one of `u g o` (copy that
 *   class's current bits);
 * - without `ugoa`, the rwx bits (and bits copied from a class) are limited by
 *   the umask, as chmod(1) does; `s` then means set-user-ID only;
 * - `X` gives execute permission only to directories and to files that were
 *   already executable for someone when the rules began (not after an earlier
 *   rule added it);
 * - `o+s` sets set-user-ID (there is no "other" set-id bit; rsync falls back
 *   to 04000), and `+ts` without `ugoa` keeps only set-user-ID: quirks kept
 *   for identical results.
 *
 * Symlinks and mode-0 entries are never changed; callers check that (flist.c).
 */

const CHMOD_BITS = 0o7777;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/** One parsed item, reduced to mask operations (applied in order by tweakMode()). */
export interface ChmodRule {
  /** `D` / `F` prefix: which entries the rule touches. */
  readonly scope: 'all' | 'dirs' | 'files';
  /** `+`, `-`, `=`, or an octal number. */
  readonly op: '+' | '-' | '=' | 'octal';
  /** Bits kept from the current mode. */
  readonly keep: number;
  /** Bits then set. */
  readonly set: number;
  /** Execute bits in `set` go only to directories and already-executable files (`X`). */
  readonly conditionalX: boolean;
  /** The class whose current rwx bits are copied (0o100 u, 0o010 g, 0o001 o), 0 for none. */
  readonly copyFrom: number;
  /** The classes receiving the copied bits (a multiplier: 0o111 = all). */
  readonly copyTo: number;
  /** Mask on the copied bits (the inverted umask when no class was named). */
  readonly copyMask: number;
}

/** The set-id/sticky bits that belong to the classes in `who` (u: set-uid, g: set-gid, o: sticky). */
function specialBitsOf(who: number): number {
  return (who & 0o100 ? 0o4000 : 0) | (who & 0o010 ? 0o2000 : 0) | (who & 0o001 ? 0o1000 : 0);
}

type Stage = 'who' | 'perms' | 'octal';

/** Accumulates one item of a spec while it is scanned. */
class Item {
  scope: ChmodRule['scope'] = 'all';
  who = 0;
  /** The set-id bits the named classes own (`a` covers both set-uid and set-gid). */
  whoSpecial = 0;
  op: ChmodRule['op'] | undefined;
  /** rwx as 0-7, or the octal number. */
  perms = 0;
  special = 0;
  conditionalX = false;
  copyFrom = 0;

  /** The finished rule; `umask` limits the bits of an item that names no class. */
  rule(umask: number): ChmodRule {
    const named = this.who !== 0;
    const who = named ? this.who : 0o111;
    const bits = named ? who * this.perms : (who * this.perms) & ~umask;
    const copyMask = named ? CHMOD_BITS : ~umask;
    const base = { scope: this.scope, conditionalX: this.conditionalX };
    switch (this.op) {
      case 'octal':
        return { ...base, op: 'octal', keep: 0, set: bits, copyFrom: 0, copyTo: 0, copyMask: CHMOD_BITS };
      case '+':
        return {
          ...base,
          op: '+',
          keep: CHMOD_BITS,
          set: bits | this.special,
          copyFrom: this.copyFrom,
          copyTo: who,
          copyMask,
        };
      case '-':
        return {
          ...base,
          op: '-',
          keep: CHMOD_BITS & ~(bits | this.special),
          set: 0,
          copyFrom: this.copyFrom,
          copyTo: who,
          copyMask,
        };
      case '=': {
        // `=` clears the classes' rwx, plus their set-id bits when it sets
        // some, or when it copies another class
        let cleared = who * 7;
        if (this.special) cleared |= this.whoSpecial;
        if (this.copyFrom) cleared |= specialBitsOf(who);
        return {
          ...base,
          op: '=',
          keep: CHMOD_BITS & ~cleared,
          set: bits | this.special,
          copyFrom: this.copyFrom,
          copyTo: who,
          copyMask,
        };
      }
      default:
        throw new Error('unreachable: item without an operator');
    }
  }
}

/**
 * Parses a --chmod spec (chmod.c:parse_chmod()) into rules, or undefined when
 * it is invalid. `umask` is the process umask (rsync reads it at startup).
 * Several specs accumulate: concatenate their rules in order.
 */
export function parseChmod(spec: string, umask: number): ChmodRule[] | undefined {
  const rules: ChmodRule[] = [];
  let item = new Item();
  let stage: Stage = 'who';
  for (let i = 0; ; i++) {
    const c = i < spec.length ? spec[i]! : '';
    if (c === '' || c === ',') {
      if (item.op === undefined) return undefined;
      rules.push(item.rule(umask));
      if (c === '') return rules;
      item = new Item();
      stage = 'who';
      continue;
    }
    if (!step(item, stage, c)) return undefined;
    stage = item.op === undefined ? 'who' : item.op === 'octal' ? 'octal' : 'perms';
  }
}

/** Feeds one character to the item; false when the spec is invalid there. */
function step(item: Item, stage: Stage, c: string): boolean {
  if (stage === 'who') {
    switch (c) {
      case 'D':
      case 'F': {
        const scope = c === 'D' ? 'dirs' : 'files';
        if (item.scope !== 'all' && item.scope !== scope) return false;
        item.scope = scope;
        return true;
      }
      case 'u':
        item.who |= 0o100;
        item.whoSpecial |= 0o4000;
        return true;
      case 'g':
        item.who |= 0o010;
        item.whoSpecial |= 0o2000;
        return true;
      case 'o':
        item.who |= 0o001;
        return true;
      case 'a':
        item.who |= 0o111;
        item.whoSpecial |= 0o6000;
        return true;
      case '+':
      case '-':
      case '=':
        item.op = c;
        return true;
      default:
        // an octal number replaces every bit; it cannot follow a class
        if (c < '0' || c > '7' || item.who !== 0) return false;
        item.op = 'octal';
        item.who = 1;
        item.perms = c.charCodeAt(0) - 0x30;
        return true;
    }
  }
  if (stage === 'octal') {
    if (c < '0' || c > '7') return false;
    item.perms = item.perms * 8 + (c.charCodeAt(0) - 0x30);
    return item.perms <= CHMOD_BITS;
  }
  // after the operator: permission letters, or one class to copy from
  const copyFrom = c === 'u' ? 0o100 : c === 'g' ? 0o010 : c === 'o' ? 0o001 : 0;
  if (copyFrom !== 0) {
    if (item.perms !== 0 || item.special !== 0 || item.copyFrom !== 0) return false;
    item.copyFrom = copyFrom;
    return true;
  }
  if (item.copyFrom !== 0) return false;
  switch (c) {
    case 'r':
      item.perms |= 4;
      return true;
    case 'w':
      item.perms |= 2;
      return true;
    case 'X':
      item.conditionalX = true;
      item.perms |= 1;
      return true;
    case 'x':
      item.perms |= 1;
      return true;
    case 's':
      // with no class named, `s` means set-user-ID alone (replacing a `t`)
      item.special = item.whoSpecial !== 0 ? item.special | item.whoSpecial : 0o4000;
      return true;
    case 't':
      item.special |= 0o1000;
      return true;
    default:
      return false;
  }
}

/** The rwx bits of the class `from` in `mode`, spread over the classes `to`. */
function copiedBits(mode: number, r: ChmodRule): number {
  let rwx = 0;
  if (r.copyFrom & 0o100) rwx |= (mode >> 6) & 7;
  if (r.copyFrom & 0o010) rwx |= (mode >> 3) & 7;
  if (r.copyFrom & 0o001) rwx |= mode & 7;
  return (r.copyTo * rwx) & r.copyMask;
}

/**
 * Applies rules to a full st_mode (chmod.c:tweak_mode()); the file-type bits
 * are kept. Callers skip symlinks and mode 0.
 */
export function tweakMode(mode: number, rules: readonly ChmodRule[]): number {
  const type = mode & ~CHMOD_BITS;
  const dir = (type & S_IFMT) === S_IFDIR;
  // `X` looks at the mode as it was before any rule
  const wasExecutable = (mode & 0o111) !== 0;
  let m = mode & CHMOD_BITS;
  for (const r of rules) {
    if (r.scope === 'dirs' ? !dir : r.scope === 'files' ? dir : false) continue;
    const copied = copiedBits(m, r);
    m &= r.keep;
    m |= r.conditionalX && !wasExecutable && !dir ? r.set & ~0o111 : r.set;
    if (r.op === '-') m &= ~copied;
    else m |= copied;
  }
  return (m | type) >>> 0;
}
