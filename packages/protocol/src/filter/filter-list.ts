/**
 * Rule evaluation (exclude.c: check_filter(), rule_matches()): the first
 * matching rule decides; a '!' rule clears the rules before it.
 */
import type { FilterRule } from './rules.js';
import { litmatchWhere, wildmatchWhere } from './wildmatch.js';

/** Which rules apply: those of the sender, of the receiver, or (a receiver checking its sender) the sender's. */
export type FilterSide = 'sender' | 'receiver';

export function ruleMatches(r: FilterRule, name: Uint8Array, isDir: boolean): boolean {
  const yes = !r.negate;
  let n = name[0] === 0x2f ? name.subarray(1) : name;
  if (n.length === 0) return false;
  if (r.slashCount === 0 && !r.wild2) {
    const i = n.lastIndexOf(0x2f);
    if (i >= 0) n = n.subarray(i + 1);
  } else if (r.wild2Prefix) {
    n = concat(Uint8Array.of(0x2f), n);
  }
  if (isDir) {
    if (r.wild3Suffix) n = concat(n, Uint8Array.of(0x2f));
  } else if (r.dirOnly) return !yes;
  let pat = r.pattern;
  let anchored = false;
  if (pat[0] === 0x2f) {
    anchored = true;
    pat = pat.subarray(1);
  }
  let where: number;
  if (!anchored && r.slashCount > 0 && !r.wild2) where = r.slashCount + 1;
  else if (!anchored && !r.wild2Prefix && r.wild2) where = -1;
  else where = 0;
  let hit: boolean;
  if (r.wild) hit = wildmatchWhere(pat, n, where);
  else if (where !== 0 || anchored) hit = litmatchWhere(pat, n, Math.max(0, where));
  else {
    // plain literal without slashes: a suffix match on a '/' boundary
    const l1 = n.length;
    const l2 = pat.length;
    hit = l2 <= l1 && equalAt(n, l1 - l2, pat) && (l1 === l2 || n[l1 - l2 - 1] === 0x2f);
  }
  return hit ? yes : !yes;
}

function equalAt(a: Uint8Array, off: number, b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (a[off + i] !== b[i]) return false;
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}

export class FilterList {
  readonly rules: FilterRule[];

  constructor(rules: readonly FilterRule[] = []) {
    const out: FilterRule[] = [];
    for (const r of rules) {
      if (r.clear) out.length = 0;
      else out.push(r);
    }
    this.rules = out;
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /**
   * The rule that decides `name` for `side`, or undefined. `deleteExcluded`
   * drops plain rules on the receiving side (they then bind the sender only).
   */
  match(name: Uint8Array, isDir: boolean, side: FilterSide, deleteExcluded = false): FilterRule | undefined {
    for (const r of this.rules) {
      if (r.dirMerge || r.mergeMods === 'C') continue;
      if (side === 'sender' && r.receiverSide && !r.senderSide) continue;
      if (side === 'receiver') {
        if (r.senderSide && !r.receiverSide) continue;
        if (deleteExcluded && !r.receiverSide) continue;
      }
      if (ruleMatches(r, name, isDir)) return r;
    }
    return undefined;
  }

  /** True if `name` is excluded for `side`. */
  excluded(name: Uint8Array, isDir: boolean, side: FilterSide, deleteExcluded = false): boolean {
    const r = this.match(name, isDir, side, deleteExcluded);
    return r !== undefined && !r.include;
  }
}
