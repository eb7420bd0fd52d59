/**
 * rsync's wildcard matcher (lib/wildmatch.c: dowild(), wildmatch_array()),
 * over bytes: `*` matches anything but '/', `**` anything including '/',
 * `?` one byte but '/', `[...]` classes with `!`/`^` negation, ranges and
 * `[:class:]`, `\` escapes. There is no special "zero directories" rule for
 * `**\/`.
 */

const ABORT_ALL = -1;
const ABORT_TO_STARSTAR = -2;
const TRUE = 1;
const FALSE = 0;

const SLASH = 0x2f;

function classMatch(name: string, c: number): boolean | undefined {
  const ch = String.fromCharCode(c);
  switch (name) {
    case 'alnum':
      return /[A-Za-z0-9]/.test(ch);
    case 'alpha':
      return /[A-Za-z]/.test(ch);
    case 'blank':
      return c === 0x20 || c === 0x09;
    case 'cntrl':
      return c < 0x20 || c === 0x7f;
    case 'digit':
      return c >= 0x30 && c <= 0x39;
    case 'graph':
      return c > 0x20 && c < 0x7f;
    case 'lower':
      return c >= 0x61 && c <= 0x7a;
    case 'print':
      return c >= 0x20 && c < 0x7f;
    case 'punct':
      return c > 0x20 && c < 0x7f && !/[A-Za-z0-9]/.test(ch);
    case 'space':
      return c === 0x20 || (c >= 0x09 && c <= 0x0d);
    case 'upper':
      return c >= 0x41 && c <= 0x5a;
    case 'xdigit':
      return /[0-9A-Fa-f]/.test(ch);
    default:
      return undefined;
  }
}

/** dowild(): match pattern p[pi..] against text t[ti..]. */
function dowild(p: Uint8Array, pi: number, t: Uint8Array, ti: number, fold: boolean): number {
  const lower = (c: number): number => (fold && c >= 0x41 && c <= 0x5a ? c + 32 : c);
  for (; pi < p.length; ti++, pi++) {
    let pc = p[pi]!;
    if (ti >= t.length && pc !== 0x2a) return ABORT_ALL;
    const tc = ti < t.length ? lower(t[ti]!) : 0;
    switch (pc) {
      case 0x5c: // '\\'
        pi++;
        pc = pi < p.length ? p[pi]! : 0;
        if (tc !== lower(pc)) return FALSE;
        continue;
      default:
        if (tc !== lower(pc)) return FALSE;
        continue;
      case 0x3f: // '?'
        if (tc === SLASH) return FALSE;
        continue;
      case 0x2a: {
        // '*'
        let special = false;
        if (p[pi + 1] === 0x2a) {
          while (p[pi + 1] === 0x2a) pi++;
          special = true;
        }
        pi++;
        if (pi >= p.length) {
          if (!special && t.indexOf(SLASH, ti) >= 0) return FALSE;
          return TRUE;
        }
        for (let k = ti; k < t.length; k++) {
          const m = dowild(p, pi, t, k, fold);
          if (m !== FALSE) {
            if (!special || m !== ABORT_TO_STARSTAR) return m;
          } else if (!special && t[k] === SLASH) return ABORT_TO_STARSTAR;
        }
        return ABORT_ALL;
      }
      case 0x5b: {
        // '['
        pi++;
        let c = pi < p.length ? p[pi]! : 0;
        const negate = c === 0x21 || c === 0x5e; // '!' or '^'
        if (negate) {
          pi++;
          c = pi < p.length ? p[pi]! : 0;
        }
        let prev = 0;
        let matched = false;
        do {
          if (pi >= p.length) return ABORT_ALL;
          if (c === 0x5c) {
            pi++;
            if (pi >= p.length) return ABORT_ALL;
            c = lower(p[pi]!);
            if (tc === c) matched = true;
          } else if (c === 0x2d && prev !== 0 && pi + 1 < p.length && p[pi + 1] !== 0x5d) {
            pi++;
            c = p[pi]!;
            if (c === 0x5c) {
              pi++;
              if (pi >= p.length) return ABORT_ALL;
              c = p[pi]!;
            }
            c = lower(c);
            if (tc <= c && tc >= prev) matched = true;
            c = 0;
          } else if (c === 0x5b && p[pi + 1] === 0x3a) {
            const s = pi + 2;
            let e = s;
            while (e < p.length && p[e] !== 0x5d) e++;
            if (e >= p.length) return ABORT_ALL;
            if (e - s < 1 || p[e - 1] !== 0x3a) {
              // no ":]": a literal '['
              c = 0x5b;
              if (tc === c) matched = true;
            } else {
              const name = Buffer.from(p.subarray(s, e - 1)).toString('latin1');
              const r = classMatch(name, tc);
              if (r === undefined) return ABORT_ALL;
              if (r) matched = true;
              pi = e;
              c = 0;
            }
          } else {
            c = lower(c);
            if (tc === c) matched = true;
          }
          prev = c;
          pi++;
          c = pi < p.length ? p[pi]! : 0;
        } while (c !== 0x5d || pi >= p.length);
        if (matched === negate || tc === SLASH) return FALSE;
        continue;
      }
    }
  }
  return ti >= t.length ? TRUE : FALSE;
}

/** wildmatch(): the whole text matches the pattern. */
export function wildmatch(pattern: Uint8Array, text: Uint8Array, foldCase = false): boolean {
  return dowild(pattern, 0, text, 0, foldCase) === TRUE;
}

/** Start offset of the last `count` '/'-separated elements of `t`, or -1 (trailing_N_elements()). */
function trailingElements(t: Uint8Array, count: number): number {
  for (let i = t.length - 1; i >= 0; i--) {
    if (t[i] === SLASH && --count === 0) return i + 1;
  }
  return count === 1 ? 0 : -1;
}

/**
 * wildmatch_array(): `where` 0 = match the whole text, > 0 = match only the
 * trailing `where` elements, < 0 = match at the start or after any '/'.
 */
export function wildmatchWhere(pattern: Uint8Array, text: Uint8Array, where: number): boolean {
  let start = 0;
  if (where > 0) {
    start = trailingElements(text, where);
    if (start < 0) return false;
  }
  let m = dowild(pattern, 0, text, start, false);
  if (m !== TRUE && where < 0 && m !== ABORT_ALL) {
    for (let i = start; i < text.length; i++) {
      if (text[i] === SLASH) {
        m = dowild(pattern, 0, text, i + 1, false);
        if (m !== FALSE && m !== ABORT_TO_STARSTAR) break;
      }
    }
  }
  return m === TRUE;
}

/** litmatch_array(): literal comparison with the same `where` handling (where >= 0). */
export function litmatchWhere(literal: Uint8Array, text: Uint8Array, where: number): boolean {
  let start = 0;
  if (where > 0) {
    start = trailingElements(text, where);
    if (start < 0) return false;
  }
  if (text.length - start !== literal.length) return false;
  for (let i = 0; i < literal.length; i++) if (text[start + i] !== literal[i]) return false;
  return true;
}
