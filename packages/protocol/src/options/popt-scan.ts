/**
 * A small scanner with the command-line rules of the popt library rsync
 * links (popt.c:poptGetNextOpt()), and rsync's numeric option parsers.
 * Only what a server's argument vector needs: `--name`, `--name=value`,
 * `--name value`, clusters of short letters where a letter that takes a
 * value swallows the rest of the cluster (`-B2048`, `-e.iLsfxCIvu`) or the
 * next word, `--` ending the options, and options mixed with positionals.
 */
import { EXIT, RsyncError } from '../errors.js';

/** A bad argument vector; the message reads like rsync's (options.c:parse_arguments()). */
export class ServerArgsError extends RsyncError {
  override name = 'ServerArgsError';
  /** The argument word that was refused, when there was one. */
  readonly option: string | undefined;

  constructor(message: string, option?: string, exitCode: number = EXIT.SYNTAX) {
    super(message, 'ERR_RSYNC_SERVER_ARGS', exitCode);
    this.option = option;
  }
}

export type ArgKind = 'none' | 'str' | 'int';

export interface OptSpec<S> {
  kind: ArgKind;
  /**
   * Applies the option. `value` is the string argument, or for 'int' options
   * its decimal form; `word` is how the option was spelled (for reports).
   */
  run(state: S, value: string, word: string): void;
}

export interface OptTable<S> {
  long: Map<string, OptSpec<S>>;
  short: Map<string, OptSpec<S>>;
}

/** popt.c:poptStrerror() texts, in the "WORD: text" shape rsync prints. */
function bad(word: string, text: string, suffix: string): ServerArgsError {
  return new ServerArgsError(`${word}: ${text}${suffix}`, word);
}

/**
 * popt.c:poptParseInteger(): strtoll() with base 0 (decimal, 0x hex, 0 octal)
 * that must use the whole word, and an int range check.
 */
export function parsePoptInt(s: string): number | 'bad' | 'range' {
  const m = /^\s*([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(s);
  if (s === '') return 0;
  if (!m) return 'bad';
  const n = m[2] !== undefined ? parseInt(m[2], 16) : m[3] !== undefined ? parseInt(m[3], 8) : Number(m[4]);
  const v = m[1] === '-' ? -n : n;
  return v > 2147483647 || v < -2147483648 ? 'range' : v;
}

/**
 * Runs `table` over `argv` (options and positionals may mix, as popt allows);
 * returns the positional words. `suffix` is appended to popt's error texts.
 */
export function scanArgs<S>(argv: readonly string[], table: OptTable<S>, state: S, suffix = ''): string[] {
  const positional: string[] = [];
  let rest = false;
  const take = (spec: OptSpec<S>, value: string, word: string, shown: string) => {
    if (spec.kind === 'int') {
      const n = parsePoptInt(value);
      if (n === 'bad') throw bad(word, 'invalid numeric value', suffix);
      if (n === 'range') throw bad(word, 'number too large or too small', suffix);
      spec.run(state, String(n), shown);
    } else spec.run(state, value, shown);
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (rest || !word.startsWith('-') || word === '-') {
      positional.push(word);
      continue;
    }
    if (word === '--') {
      rest = true;
      continue;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq < 0 ? undefined : eq);
      const spec = table.long.get(name);
      if (!spec) throw bad(word, 'unknown option', suffix);
      if (spec.kind === 'none') {
        if (eq >= 0) throw bad(word, 'option does not take an argument', suffix);
        spec.run(state, '', word);
        continue;
      }
      let value: string;
      if (eq >= 0) value = word.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw bad(word, 'missing argument', suffix);
      take(spec, value, word, `--${name}=${value}`);
      continue;
    }
    for (let j = 1; j < word.length; j++) {
      const letter = word[j]!;
      const spec = table.short.get(letter);
      if (!spec) throw bad(word, 'unknown option', suffix);
      if (spec.kind === 'none') {
        if (word[j + 1] === '=') throw bad(word, 'option does not take an argument', suffix);
        spec.run(state, '', `-${letter}`);
        continue;
      }
      let value: string;
      if (j + 1 < word.length) value = word.slice(j + 1 + (word[j + 1] === '=' ? 1 : 0));
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw bad(word, 'missing argument', suffix);
      take(spec, value, word, `-${letter}${value}`);
      break;
    }
  }
  return positional;
}

const SIZE_REPS: Record<string, number> = { b: 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

function withCommas(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * options.c:parse_size_arg(): "1.5K", "10M", "2KB" (powers of 1000), "2KiB",
 * an optional "+1"/"-1" tail; the suffix defaults to `defSuffix`.
 * `unlimited0`: 0 is allowed below `min`.
 */
export function parseSizeArg(
  arg: string,
  defSuffix: 'b' | 'K',
  opt: string,
  min: number,
  max: number | undefined,
  unlimited0: boolean,
): number {
  const fail = (err: string, minMax?: 'min' | 'max', limit?: number): never => {
    let msg = `--${opt}=${arg} is ${err}`;
    if (minMax && limit !== undefined) {
      msg += ` (${minMax}: ${withCommas(limit)}${unlimited0 && minMax === 'min' ? ' or 0 for unlimited' : ''})`;
    }
    throw new ServerArgsError(msg, `--${opt}=${arg}`);
  };
  const m = /^([0-9]*(?:\.[0-9]*)?)(.*)$/s.exec(arg)!;
  const num = m[1]!;
  let rest = m[2]!;
  let suffix = defSuffix.toLowerCase();
  if (rest !== '' && rest[0] !== '+' && rest[0] !== '-') {
    suffix = rest[0]!.toLowerCase();
    rest = rest.slice(1);
  }
  const reps = SIZE_REPS[suffix];
  if (reps === undefined) return fail('invalid');
  let mult = 1024;
  if (rest[0] === 'b' || rest[0] === 'B') {
    mult = 1000;
    rest = rest.slice(1);
  } else if (/^ib/i.test(rest)) rest = rest.slice(2);
  else if (rest !== '' && rest[0] !== '+' && rest[0] !== '-') return fail('invalid');
  const limitMax = max ?? Number.MAX_SAFE_INTEGER;
  const scale = mult ** reps;
  const d = num === '' || num === '.' ? 0 : Number(num);
  if (d * scale > limitMax) return fail('too large', 'max', max);
  let size = Math.trunc(d * scale);
  if ((rest.startsWith('+1') || rest.startsWith('-1')) && rest.length < arg.length) {
    size += rest[0] === '+' ? 1 : -1;
    rest = rest.slice(2);
  }
  if (rest !== '') return fail('invalid');
  if (size < 0 || size > limitMax) return fail('too large', 'max', max);
  if (size < min && !(unlimited0 && size === 0)) return fail('too small', 'min', min);
  return size;
}
