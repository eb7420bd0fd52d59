/**
 * Filter rules (exclude.c: parse_rule_tok(), add_rule()): the rule syntax of
 * --filter, --exclude/--include (with the old "+ "/"- " prefixes) and their
 * -from files, compiled into matcher flags.
 */
import { RsyncError } from '../errors.js';

export interface FilterRule {
  include: boolean;
  /** Pattern bytes without the dir-only trailing '/'; a leading '/' anchors it. */
  pattern: Uint8Array;
  /** Trailing '/': matches directories only. */
  dirOnly: boolean;
  /** '!' modifier: matches when the pattern does NOT. */
  negate: boolean;
  /** 's' (or hide/show): applies on the sending side only. */
  senderSide: boolean;
  /** 'r' (or protect/risk): applies on the receiving side only. */
  receiverSide: boolean;
  /** 'p': ignored when deleting a directory that is being removed. */
  perishable: boolean;
  /** A per-directory merge file (':'/dir-merge), passed to the sender as is. */
  dirMerge: boolean;
  /** Merge-file modifiers kept for the wire ('-', '+', 'n', 'w', 'e', 'C'). */
  mergeMods: string;
  /** '!' rule: clears the list so far. */
  clear: boolean;
  /** Derived matcher flags (add_rule()). */
  wild: boolean;
  wild2: boolean;
  wild2Prefix: boolean;
  wild3Suffix: boolean;
  slashCount: number;
}

export class FilterSyntaxError extends RsyncError {
  override name = 'FilterSyntaxError';
  constructor(message: string) {
    super(message, 'ERR_RSYNC_SYNTAX', 1);
  }
}

const enc = new TextEncoder();

function compile(
  r: Omit<
    FilterRule,
    'wild' | 'wild2' | 'wild2Prefix' | 'wild3Suffix' | 'slashCount' | 'dirOnly' | 'pattern'
  >,
  pat: Uint8Array,
): FilterRule {
  let p = pat;
  let dirOnly = false;
  if (p.length > 1 && p[p.length - 1] === 0x2f) {
    p = p.subarray(0, p.length - 1);
    dirOnly = true;
  }
  let slashCount = 0;
  for (const c of p) if (c === 0x2f) slashCount++;
  const s = Buffer.from(p).toString('latin1');
  const wild = /[*[?]/.test(s);
  const star2 = wild ? s.indexOf('**') : -1;
  return {
    ...r,
    pattern: p.slice(),
    dirOnly,
    wild,
    wild2: star2 >= 0,
    wild2Prefix: star2 === 0,
    wild3Suffix: star2 >= 0 && s.endsWith('***'),
    slashCount,
  };
}

function base(include: boolean) {
  return {
    include,
    negate: false,
    senderSide: false,
    receiverSide: false,
    perishable: false,
    dirMerge: false,
    mergeMods: '',
    clear: false,
  };
}

/** `--exclude PAT` / `--include PAT` (XFLG_OLD_PREFIXES: "- " / "+ " prefixes and a lone "!"). */
export function simpleRule(include: boolean, text: string): FilterRule {
  let inc = include;
  let t = text;
  if (t.startsWith('- ')) {
    inc = false;
    t = t.slice(2);
  } else if (t.startsWith('+ ')) {
    inc = true;
    t = t.slice(2);
  } else if (t === '!') {
    return compile({ ...base(false), clear: true }, new Uint8Array(0));
  }
  if (t.length === 0) throw new FilterSyntaxError(`empty ${include ? 'include' : 'exclude'} pattern`);
  return compile(base(inc), enc.encode(t));
}

const NAMES: Record<string, string> = {
  clear: '!',
  'dir-merge': ':',
  exclude: '-',
  hide: 'H',
  include: '+',
  merge: '.',
  protect: 'P',
  risk: 'R',
  show: 'S',
};

export interface ParsedFilter {
  /** A merge-file rule ('.'): the caller reads the file and parses its lines. */
  mergeFile?: { path: string; mods: string };
  rule?: FilterRule;
}

/** One `--filter` rule string (parse_rule_tok()). */
export function parseFilterRule(text: string): ParsedFilter {
  let s = text;
  let ch: string;
  const word = /^([a-z-]+)([ ,_]|$)/.exec(s);
  if (word && NAMES[word[1]!] !== undefined) {
    ch = NAMES[word[1]!]!;
    s = s.slice(word[1]!.length);
  } else {
    ch = s[0] ?? '';
    s = s.slice(1);
    if (s[0] === ',') s = s.slice(1);
  }
  const r = base(false);
  let merge = false;
  let sideFixed = false;
  switch (ch) {
    case ':':
      r.dirMerge = true;
      merge = true;
      break;
    case '.':
      merge = true;
      break;
    case '+':
      r.include = true;
      break;
    case '-':
      break;
    case 'S':
      r.include = true;
      r.senderSide = true;
      sideFixed = true;
      break;
    case 'H':
      r.senderSide = true;
      sideFixed = true;
      break;
    case 'R':
      r.include = true;
      r.receiverSide = true;
      sideFixed = true;
      break;
    case 'P':
      r.receiverSide = true;
      sideFixed = true;
      break;
    case '!':
      return { rule: compile({ ...r, clear: true }, new Uint8Array(0)) };
    default:
      throw new FilterSyntaxError(`Unknown filter rule: \`${text}'`);
  }
  let mods = '';
  while (s.length > 0 && s[0] !== ' ' && s[0] !== '_') {
    const m = s[0]!;
    s = s.slice(1);
    switch (m) {
      case '!':
        if (merge) throw new FilterSyntaxError(`invalid modifier '!' in filter rule: ${text}`);
        r.negate = true;
        break;
      case 'p':
        r.perishable = true;
        break;
      case 's':
        if (sideFixed) throw new FilterSyntaxError(`invalid modifier 's' in filter rule: ${text}`);
        r.senderSide = true;
        break;
      case 'r':
        if (sideFixed) throw new FilterSyntaxError(`invalid modifier 'r' in filter rule: ${text}`);
        r.receiverSide = true;
        break;
      case '/':
        throw new FilterSyntaxError(`the '/' (absolute path) modifier is not supported: ${text}`);
      case 'x':
        throw new FilterSyntaxError(`xattr filter rules are not supported: ${text}`);
      case '-':
      case '+':
      case 'n':
      case 'w':
      case 'e':
      case 'C':
        if (!merge && m !== 'C')
          throw new FilterSyntaxError(`invalid modifier '${m}' in filter rule: ${text}`);
        mods += m;
        break;
      default:
        throw new FilterSyntaxError(`invalid modifier '${m}' in filter rule: ${text}`);
    }
  }
  if (s.length > 0) s = s.slice(1); // the separating space or '_'
  if (merge && !r.dirMerge) {
    if (s.length === 0) throw new FilterSyntaxError(`merge rule needs a file name: ${text}`);
    return { mergeFile: { path: s, mods } };
  }
  if (mods.includes('C')) {
    // ":C" / "-C": the CVS ignore rules
    if (r.dirMerge) return { rule: compile({ ...r, mergeMods: mods }, enc.encode(s || '.cvsignore')) };
    return { rule: compile({ ...r, mergeMods: 'C' }, new Uint8Array(0)) };
  }
  if (s.length === 0) throw new FilterSyntaxError(`filter rule has no pattern: ${text}`);
  if (r.dirMerge) r.mergeMods = mods;
  return { rule: compile(r, enc.encode(s)) };
}

/** The default CVS ignore list (rsync.1 --cvs-exclude), as perishable excludes. */
export const CVS_IGNORE =
  'RCS SCCS CVS CVS.adm RCSLOG cvslog.* tags TAGS .make.state .nse_depinfo *~ #* .#* ,* _$* *$ *.old *.bak *.BAK *.orig *.rej .del-* *.a *.olb *.o *.obj *.so *.exe *.Z *.elc *.ln core .svn/ .git/ .hg/ .bzr/';

export function cvsRules(extra = ''): FilterRule[] {
  return `${CVS_IGNORE} ${extra}`
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w) => compile({ ...base(false), perishable: true }, enc.encode(w)));
}

/** Lines of an --exclude-from / --include-from / merge file: blank lines and ';'/'#' comments skipped. */
export function ruleFileLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.length > 0 && !l.startsWith(';') && !l.startsWith('#'));
}
